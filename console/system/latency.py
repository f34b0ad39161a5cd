"""Database round-trip latency, measured and kept by the console itself.

A sample is one `select 1` on the console's side connection (console/sideband.py), outside any
user's transaction, so it measures the network and the server, not RLS. Samples are taken at
most every SYSTEM_SAMPLE_SECONDS per worker, when the system page or /healthz is hit (a load
balancer polling /healthz keeps the history going), and across workers at most one is stored
per interval. The last two hours are kept; the page shows the last one.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError

from console import sideband

HISTORY_MINUTES = 60
BUCKET_MINUTES = 5

_next_due = 0.0
_lock = threading.Lock()

_STORE = """
with pruned as (
  delete from console.db_latency_samples where sampled_at < now() - interval '2 hours'
)
insert into console.db_latency_samples (milliseconds)
select %(ms)s
where not exists (
  select 1 from console.db_latency_samples
  where sampled_at > now() - make_interval(secs => %(every)s)
)
"""

_HISTORY = """
select date_bin(make_interval(mins => %(bucket)s), sampled_at, timestamptz '2000-01-01') as slot,
       count(*), percentile_cont(0.5) within group (order by milliseconds), max(milliseconds)
from console.db_latency_samples
where sampled_at > now() - make_interval(mins => %(minutes)s)
group by slot order by slot
"""


def measure() -> float:
    """One round trip on the side connection, in milliseconds. Raises DatabaseError."""
    with sideband.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("select 1")
        cursor.fetchone()
        return (time.perf_counter() - started) * 1000


def maybe_sample() -> float | None:
    """Measure and store a sample if this worker's interval has passed. Never raises."""
    global _next_due
    every = settings.SYSTEM_SAMPLE_SECONDS
    with _lock:
        now = time.monotonic()
        if now < _next_due:
            return None
        _next_due = now + every
    try:
        ms = measure()
        with sideband.cursor() as cursor:
            cursor.execute(_STORE, {"ms": ms, "every": every})
        return ms
    except DatabaseError:
        return None


def reset_interval() -> None:
    """Let the next call sample at once (tests)."""
    global _next_due
    _next_due = 0.0


@dataclass(frozen=True)
class Slot:
    start: datetime
    samples: int
    median_ms: float
    max_ms: float


def history() -> list[Slot]:
    """The last hour in five-minute slots: samples, median and worst round trip."""
    with sideband.cursor() as cursor:
        cursor.execute(_HISTORY, {"bucket": BUCKET_MINUTES, "minutes": HISTORY_MINUTES})
        return [Slot(*row) for row in cursor.fetchall()]
