"""Test code on the console's own login role, as a request gets it (tests/console_role.py).

The audit trigger believes the console's context (client IP, user agent, action name) only
from sessions of `billygoat_console`; a test that checks what the console hands over makes its
writes through `console_connection()`. The data it reads must be committed (transactional
tests), as for a request."""

from contextlib import contextmanager

from django.db import connections

CONSOLE_ROLE = "billygoat_console"


@contextmanager
def console_connection():
    """Django's default connection, for the block, logs in as the console's role."""
    owner = connections["default"]
    settings = {**owner.settings_dict, "USER": CONSOLE_ROLE, "PASSWORD": ""}
    console = type(owner)(settings, "default")
    connections["default"] = console
    try:
        yield console
    finally:
        connections["default"] = owner
        console.close()
