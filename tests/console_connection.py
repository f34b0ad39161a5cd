"""Test code on the console's own login role, as a request gets it (tests/console_role.py).

The audit trigger believes the console's context (client IP, user agent, action name) only
from sessions of `billygoat_console`; a test that checks what the console hands over makes its
writes through `console_connection()`. The data it reads must be committed (transactional
tests), as for a request."""

from contextlib import contextmanager

from django.db import connections

from tests.console_role import console_settings


@contextmanager
def console_connection():
    """Django's default connection, for the block, logs in as the console's role."""
    owner = connections["default"]
    console = type(owner)(console_settings(owner), "default")
    connections["default"] = console
    try:
        yield console
    finally:
        connections["default"] = owner
        console.close()
