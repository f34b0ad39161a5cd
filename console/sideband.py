"""The console's own database connection beside the request's: for state every worker shares
that a user's transaction must neither see nor undo.

A signed-in request runs in one transaction as `authenticated` (console/rls.py): it cannot
reach the `console` schema, and whatever it writes goes if the request rolls back. The
Supabase Auth circuit breaker must count a failure that happens inside a user's rolled-back
admin action, and the database latency samples are the console's, not the user's. So they use
a second connection: autocommit, the console's login role, made from the settings of the
request's own connection (so tests and Supavisor see the same database and role).

The side connections are a small pool per process, not one per thread: a server that starts a
thread per request (Django's development server under `make run`) would otherwise leave one
open connection behind for every request it ever served. A connection is borrowed for one
`with cursor()` block and handed back; at most IDLE_KEPT stay open between uses, so the
number open is bounded by the requests using one at that moment.

Each statement stands alone (autocommit), so it is safe behind a transaction-mode pooler.
Any database error closes the connection it happened on; the next use opens a new one.
"""

import threading
from contextlib import contextmanager, suppress

from django.db import DatabaseError, connections

APPLICATION_NAME = "billygoat-console-side"
IDLE_KEPT = 2

_lock = threading.Lock()
_idle: dict[tuple, list] = {}  # settings key -> idle wrappers, most recently used last


def _settings_key(settings: dict) -> tuple:
    return tuple(settings.get(name) for name in ("NAME", "USER", "HOST", "PORT"))


def _new_wrapper(settings: dict):
    options = {**settings.get("OPTIONS", {}), "application_name": APPLICATION_NAME}
    wrapper = type(connections["default"])({**settings, "OPTIONS": options}, "default")
    wrapper.inc_thread_sharing()  # borrowed by whichever thread needs it next
    return wrapper


def _borrow() -> tuple[tuple, object]:
    settings = connections["default"].settings_dict
    key = _settings_key(settings)
    with _lock:
        idle = _idle.get(key)
        if idle:
            return key, idle.pop()
    return key, _new_wrapper(settings)


def _give_back(key: tuple, wrapper) -> None:
    with _lock:
        idle = _idle.setdefault(key, [])
        if len(idle) < IDLE_KEPT:
            idle.append(wrapper)
            return
    _close(wrapper)


def _close(wrapper) -> None:
    raw = wrapper.connection
    if raw is not None:
        # The raw connection: Django's close() refuses a wrapper made in another thread's
        # time. A socket that is already dead is as good as closed.
        with suppress(Exception):
            raw.close()
        wrapper.connection = None


@contextmanager
def cursor():
    """A cursor on a side connection. Raises DatabaseError when the database is away."""
    key, wrapper = _borrow()
    try:
        wrapper.close_if_unusable_or_obsolete()
        with wrapper.cursor() as cur:
            yield cur
    except DatabaseError:
        _close(wrapper)
        raise
    except BaseException:
        _give_back(key, wrapper)
        raise
    _give_back(key, wrapper)


def open_count() -> int:
    """Side connections open and idle in this process (the system page shows it)."""
    with _lock:
        return sum(1 for idle in _idle.values() for w in idle if w.connection is not None)


def close_all() -> None:
    """Close every idle side connection of this process (before a test database is dropped)."""
    with _lock:
        wrappers = [w for idle in _idle.values() for w in idle]
        _idle.clear()
    for wrapper in wrappers:
        _close(wrapper)
