"""The console's own database connection beside the request's: for state every worker shares
that a user's transaction must neither see nor undo.

A signed-in request runs in one transaction as `authenticated` (console/rls.py): it cannot
reach the `console` schema, and whatever it writes goes if the request rolls back. The
Supabase Auth circuit breaker must count a failure that happens inside a user's rolled-back
admin action, and the database latency samples are the console's, not the user's. So they use
this second connection: one per thread, autocommit, the console's login role, made from the
`default` settings (so tests and Supavisor see the same database), opened on first use.

Each statement stands alone (autocommit), so it is safe behind a transaction-mode pooler.
Any database error closes the connection; the next use opens a new one.
"""

import threading
from contextlib import contextmanager, suppress

from django.db import DatabaseError, connections

_local = threading.local()
_all: list = []  # every thread's wrapper, for close_all()
_all_lock = threading.Lock()


APPLICATION_NAME = "billygoat-console-side"


def _connection():
    wrapper = getattr(_local, "connection", None)
    if wrapper is None:
        default = connections.settings["default"]
        options = {**default.get("OPTIONS", {}), "application_name": APPLICATION_NAME}
        wrapper = type(connections["default"])({**default, "OPTIONS": options}, "default")
        _local.connection = wrapper
        with _all_lock:
            _all.append(wrapper)
    return wrapper


@contextmanager
def cursor():
    """A cursor on the side connection. Raises DatabaseError when the database is away."""
    wrapper = _connection()
    try:
        wrapper.close_if_unusable_or_obsolete()
        with wrapper.cursor() as cur:
            yield cur
    except DatabaseError:
        close()
        raise


def is_open() -> bool:
    wrapper = getattr(_local, "connection", None)
    return wrapper is not None and wrapper.connection is not None


def close() -> None:
    """Close this thread's side connection."""
    wrapper = getattr(_local, "connection", None)
    _local.connection = None
    if wrapper is not None:
        with _all_lock:
            if wrapper in _all:
                _all.remove(wrapper)
        with suppress(DatabaseError):
            wrapper.close()


def close_all() -> None:
    """Close every thread's side connection (before a test database is dropped)."""
    with _all_lock:
        wrappers, _all[:] = list(_all), []
    for wrapper in wrappers:
        raw = wrapper.connection
        if raw is not None:
            # The raw connection: Django's close() refuses other threads'. Closing only: a
            # socket that is already dead is as good.
            with suppress(Exception):
                raw.close()
