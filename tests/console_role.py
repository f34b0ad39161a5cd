"""Every request a test makes runs as the console's production login role.

Test code arranges data through `django.db.connection` as the database's owner, as a
deployment's migrations would. The console itself never gets that connection: when a request
starts (Django's test client, or the live server's threads behind Chromium) the thread's
`default` connection is swapped for one that logs in as `billygoat_console` to the same
database, and swapped back when the request has finished. So a privilege the role lacks fails
the test the way it fails for users, and data a request must see has to be committed first
(transactional tests: `transactional_db`, `live_server`, `make_user`, `signed_in`).

Each connection a request used is checked once: a role with superuser or BYPASSRLS fails
the test (`_no_view_ran_as_a_privileged_role`). Queries the request made are added to the
owner's query log, so `django_assert_max_num_queries` still counts them, and the owner's
execute wrappers apply to them.
"""

import threading

import pytest
from django.core.signals import request_finished, request_started
from django.db import connections

CONSOLE_ROLE = "billygoat_console"

_local = threading.local()
_privileged_requests: list[str] = []  # what the role check found, for the running test


class OwnerTransactionOpen(AssertionError):
    """A request would not see what the test wrote in its own, uncommitted transaction."""


def console_settings(owner) -> dict:
    """The owner's connection settings, logging in as the console's role instead."""
    return {**owner.settings_dict, "USER": CONSOLE_ROLE, "PASSWORD": ""}


def _console_wrapper(owner):
    """This thread's connection as the console's role, to the database the owner's is on."""
    settings = console_settings(owner)
    wrapper = getattr(_local, "console", None)
    if wrapper is not None and wrapper.settings_dict == settings:
        return wrapper
    if wrapper is not None:
        wrapper.close()
    wrapper = type(owner)(settings, "default")
    _local.console = wrapper
    return wrapper


def _start(**kwargs):
    owner = connections["default"]
    if owner.settings_dict["USER"] == CONSOLE_ROLE:
        return  # already the console's (a request inside a request)
    if owner.in_atomic_block:
        raise OwnerTransactionOpen(
            "a request in a test that holds an open transaction: the console's connection"
            " cannot see its data; make the test transactional"
        )
    console = _console_wrapper(owner)
    # What a test put on "the connection" applies to the request's: query counting, and
    # execute_wrapper() (a test that explains what a page asks).
    console.force_debug_cursor = owner.force_debug_cursor
    console.execute_wrappers = owner.execute_wrappers
    _local.owner = owner
    connections["default"] = console


def _finish(**kwargs):
    owner = getattr(_local, "owner", None)
    if owner is None:
        return
    console = connections["default"]
    _check_role(console)
    if console.queries_log:
        owner.queries_log.extend(console.queries_log)
        console.queries_log.clear()
    console.execute_wrappers = []
    connections["default"] = owner
    _local.owner = None
    if threading.current_thread() is not threading.main_thread():
        # The live server serves each request on a thread of its own, which then ends.
        _local.console = None
        console.close()


def _check_role(console) -> None:
    raw = console.connection
    if raw is None or getattr(console, "role_checked_on", None) is raw:
        return
    with console.cursor() as cursor:
        cursor.execute(
            "select session_user, rolsuper or rolbypassrls from pg_roles"
            " where rolname = session_user"
        )
        user, privileged = cursor.fetchone()
    console.role_checked_on = raw
    if privileged or user != CONSOLE_ROLE:
        _privileged_requests.append(user)


def restore_owner() -> None:
    """Give the thread its owner's connection back if a request never finished (a streamed
    response the test did not read to the end sends no request_finished)."""
    if getattr(_local, "owner", None) is not None:
        _finish()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield
    restore_owner()  # before the fixtures' teardown, which cleans up as the owner


def install() -> None:
    request_started.connect(_start, dispatch_uid="tests.console_role.start")
    request_finished.connect(_finish, dispatch_uid="tests.console_role.finish")


def close() -> None:
    console = getattr(_local, "console", None)
    _local.console = None
    if console is not None:
        console.close()


@pytest.fixture(autouse=True)
def _no_view_ran_as_a_privileged_role():
    _privileged_requests.clear()
    yield
    found, _privileged_requests[:] = list(_privileged_requests), []
    assert not found, f"a view ran on a connection as {found}: superuser or BYPASSRLS"
