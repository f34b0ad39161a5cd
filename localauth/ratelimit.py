"""Per-IP request limits on the local auth server, as GoTrue's tollbooth limiters apply them.

GoTrue (internal/api/apilimiter/apilimiter.go, `New`): the /token limiter refills at
RATE_LIMIT_TOKEN_REFRESH per 5 minutes (default 150) with a burst of 30, keyed by the
client's address (internal/api/middleware.go, `performRateLimiting`: the Sb-Forwarded-For
address when believed, else the RATE_LIMIT_HEADER value). Over the limit: 429
over_request_rate_limit "Request rate limit reached".
"""

import threading
import time

from localauth.errors import AuthError

WINDOW = 5 * 60  # the "per 5 minutes" of RATE_LIMIT_TOKEN_REFRESH
_MAX_KEYS = 100_000


def over_limit() -> AuthError:
    return AuthError(429, "over_request_rate_limit", "Request rate limit reached")


class TokenBuckets:
    """One token bucket per key; `take` spends one token or raises 429."""

    def __init__(self):
        self._buckets: dict[tuple, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str | None, per_window: float, burst: int) -> None:
        if not per_window or per_window <= 0 or not key:
            return  # off, or no address to count against (GoTrue: no header, no limit)
        rate = per_window / WINDOW
        now = time.monotonic()
        # The limit's settings are part of the key: a changed limit starts full buckets.
        bucket_key = (key, per_window, burst)
        with self._lock:
            tokens, at = self._buckets.get(bucket_key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - at) * rate)
            if tokens < 1:
                self._buckets[bucket_key] = (tokens, now)
                raise over_limit()
            if len(self._buckets) >= _MAX_KEYS:
                self._buckets.clear()
            self._buckets[bucket_key] = (tokens - 1, now)
