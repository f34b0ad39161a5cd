"""A circuit breaker in front of Supabase Auth, shared by every worker and instance.

Closed: calls go through. After AUTH_BREAKER_FAILURES consecutive failures (connection errors,
timeouts, 502/503/504) within AUTH_BREAKER_WINDOW seconds it opens: for
AUTH_BREAKER_OPEN_SECONDS every call fails at once (`CircuitOpen`) instead of waiting for the
timeout. Then the first caller becomes the probe (half-open) while everyone else still fails
fast: its success closes the breaker, its failure opens it again.

The state is one row of `console.auth_circuit`, changed by single atomic statements on the
console's side connection (console/sideband.py), so a failure inside a user's rolled-back
transaction still counts, and every worker sees the same state. With the database away the
breaker cannot be read: calls then go through (fail open) and nothing is counted.

Every call of supabase-py passes here: `console.auth.client` builds its httpx client on
`BreakerTransport`. Each change of state is logged (logger `console.auth.breaker`).
"""

import logging
from dataclasses import dataclass
from datetime import datetime

import httpx
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from console import sideband

logger = logging.getLogger(__name__)

NAME = "supabase_auth"
FAILURE_STATUSES = frozenset({502, 503, 504})
UNAVAILABLE_MESSAGE = (
    "Sign-in is unavailable: Supabase Auth is not answering. Signed-in sessions keep working "
    "while their tokens are valid. Please try again in a minute."
)


class CircuitOpen(httpx.TransportError):
    """Supabase Auth is marked down: the call was not made. supabase-py turns this into an
    AuthRetryableError whose __cause__ is this exception."""

    def __init__(self, retry_after: int):
        super().__init__(f"Supabase Auth circuit open; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class BreakerState:
    state: str  # closed, open, half_open
    failures: int
    open_until: datetime | None
    last_failure: str | None
    last_failure_at: datetime | None
    times_opened: int
    changed_at: datetime | None

    @property
    def retry_after(self) -> int:
        if self.open_until is None:
            return 0
        return max(0, int((self.open_until - timezone.now()).total_seconds()) + 1)


CLOSED = BreakerState("closed", 0, None, None, None, 0, None)


def _seconds(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# One statement: claim the probe if the breaker is open and its time is up (or a probe's
# deadline passed), else read the state as it is.
_BEFORE_CALL = """
with claim as (
  update console.auth_circuit
  set state = 'half_open', previous_state = state,
      probe_until = now() + make_interval(secs => %(probe)s), changed_at = now()
  where name = %(name)s and ((state = 'open' and open_until <= now())
                             or (state = 'half_open' and probe_until <= now()))
  returning 'probe'::text, open_until
)
select * from claim
union all
select state, open_until from console.auth_circuit
where name = %(name)s and not exists (select 1 from claim)
"""

_FAILED = """
insert into console.auth_circuit as c
  (name, state, failures, window_started, last_failure, last_failure_at)
values (%(name)s, 'closed', 1, now(), %(reason)s, now())
on conflict (name) do update set
  failures = case when c.window_started is null
                    or c.window_started < now() - make_interval(secs => %(window)s)
                  then 1 else c.failures + 1 end,
  window_started = case when c.window_started is null
                          or c.window_started < now() - make_interval(secs => %(window)s)
                        then now() else c.window_started end,
  last_failure = %(reason)s, last_failure_at = now()
returning state
"""

# Opens the breaker when the failure just counted crossed the threshold, or a probe failed.
_OPEN_IF_DUE = """
update console.auth_circuit
set previous_state = state, state = 'open', probe_until = null,
    open_until = now() + make_interval(secs => %(open)s),
    times_opened = times_opened + 1, changed_at = now()
where name = %(name)s
  and (state = 'half_open' or (state = 'closed' and failures >= %(threshold)s))
returning previous_state
"""

_SUCCEEDED = """
update console.auth_circuit
set previous_state = state, state = 'closed', failures = 0, window_started = null,
    open_until = null, probe_until = null,
    changed_at = case when state <> 'closed' then now() else changed_at end
where name = %(name)s and (state <> 'closed' or failures > 0)
returning previous_state
"""

_READ = """
select state, failures, open_until, last_failure, last_failure_at, times_opened, changed_at
from console.auth_circuit where name = %s
"""


def before_call() -> bool:
    """Raise CircuitOpen when the call must not be made. True when this call is the probe."""
    try:
        with sideband.cursor() as cursor:
            probe = _seconds("SUPABASE_TIMEOUT", 5) + 1
            cursor.execute(_BEFORE_CALL, {"name": NAME, "probe": probe})
            row = cursor.fetchone()
    except DatabaseError:
        logger.warning("circuit breaker state unreadable (database away); calling Supabase Auth")
        return False
    if row is None or row[0] == "closed":
        return False
    if row[0] == "probe":
        logger.warning("Supabase Auth circuit half-open: this call is the probe")
        return True
    state = BreakerState(row[0], 0, row[1], None, None, 0, None)
    raise CircuitOpen(state.retry_after or _seconds("AUTH_BREAKER_OPEN_SECONDS", 30))


_failures_counted = 0  # in this process, since the last reset (tests reset when not zero)


def failures_counted() -> int:
    return _failures_counted


def record_failure(reason: str) -> None:
    global _failures_counted
    _failures_counted += 1
    params = {
        "name": NAME,
        "reason": reason[:500],
        "window": _seconds("AUTH_BREAKER_WINDOW", 60),
        "open": _seconds("AUTH_BREAKER_OPEN_SECONDS", 30),
        "threshold": _seconds("AUTH_BREAKER_FAILURES", 3),
    }
    try:
        with sideband.cursor() as cursor:
            cursor.execute(_FAILED, params)
            cursor.execute(_OPEN_IF_DUE, params)
            opened = cursor.fetchone()
    except DatabaseError:
        logger.warning("could not count a Supabase Auth failure (database away): %s", reason)
        return
    if opened:
        logger.error(
            "Supabase Auth circuit %s -> open for %s s (last failure: %s)",
            opened[0],
            params["open"],
            reason,
        )


def record_success() -> None:
    try:
        with sideband.cursor() as cursor:
            cursor.execute(_SUCCEEDED, {"name": NAME})
            closed = cursor.fetchone()
    except DatabaseError:
        return
    if closed and closed[0] != "closed":
        logger.warning("Supabase Auth circuit %s -> closed (a call succeeded)", closed[0])


def current() -> BreakerState:
    """The breaker as the system page shows it."""
    with sideband.cursor() as cursor:
        cursor.execute(_READ, [NAME])
        row = cursor.fetchone()
    return BreakerState(*row) if row else CLOSED


def reset() -> None:
    """Close the breaker and forget its figures (tests, and an operator after a fix)."""
    global _failures_counted
    _failures_counted = 0
    with sideband.cursor() as cursor:
        cursor.execute("delete from console.auth_circuit where name = %s", [NAME])


def open_error(exc: BaseException | None) -> CircuitOpen | None:
    """The CircuitOpen behind an exception supabase-py raised, if the breaker refused it."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, CircuitOpen):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


class BreakerTransport(httpx.BaseTransport):
    """An httpx transport that asks the breaker before each call and tells it the outcome."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        before_call()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            record_failure(f"{type(exc).__name__}: {exc}".strip())
            raise
        if response.status_code in FAILURE_STATUSES:
            record_failure(f"HTTP {response.status_code} from {request.url.path}")
        else:
            record_success()
        return response

    def close(self) -> None:
        self.inner.close()
