"""Throttling of sign-in and password-recovery attempts, so that guessing is slow and nobody
can lock someone else out.

- Counted per **email and client IP pair**: wrong passwords typed for your email somewhere
  else do not stop you signing in from your own address.
- Per **IP** (a spray of many emails from one address) and per **account** (one email tried
  from many addresses), only for pairs that have not signed in successfully lately: the
  account's own recent IPs sign in whatever strangers do.
- **Atomic**: an attempt is counted, in one locked database row, before the password is
  tried (`private.login_attempt`, supabase/migrations/20261127000400_login_throttle.sql), so
  parallel tries cannot slip past the limit.
- **Exponential back-off**: the attempt that reaches a limit blocks the key for
  LOGIN_THROTTLE_BACKOFF seconds, doubling with each attempt after that, up to
  LOGIN_THROTTLE_WINDOW.

Emails and IPs are stored hashed. The database work runs as the console's own connection
role (sign-in is outside any user's transaction).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import connection

KNOWN_PAIR_SECONDS = 30 * 24 * 3600  # how long a successful sign-in vouches for its IP


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _pair(purpose: str, email: str, ip: str | None) -> str:
    return f"{purpose}:pair:{_digest(email.strip().lower(), ip or '')}"


def is_known_pair(email: str, ip: str | None) -> bool:
    return bool(ip) and cache.get(_pair("known", email, ip)) is not None


def _keys(purpose: str, email: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(_pair(purpose, email, ip), settings.LOGIN_THROTTLE_EMAIL_LIMIT)]
    if not is_known_pair(email, ip):
        if ip:
            keys.append((f"{purpose}:ip:{_digest(ip)}", settings.LOGIN_THROTTLE_IP_LIMIT))
        keys.append(
            (
                f"{purpose}:account:{_digest(email.strip().lower())}",
                settings.LOGIN_THROTTLE_ACCOUNT_LIMIT,
            )
        )
    return keys


def attempt(email: str, ip: str | None, purpose: str = "login") -> int:
    """Count one attempt; 0 when it may go ahead, else the seconds to wait."""
    wait = 0
    with connection.cursor() as cursor:
        for key, limit in _keys(purpose, email, ip):
            cursor.execute(
                "select allowed, retry_after from private.login_attempt(%s, %s, %s, %s)",
                [
                    key,
                    limit,
                    settings.LOGIN_THROTTLE_WINDOW,
                    settings.LOGIN_THROTTLE_BACKOFF,
                ],
            )
            allowed, retry = cursor.fetchone()
            if not allowed:
                wait = max(wait, retry, 1)
    return wait


def not_tried(email: str, ip: str | None, purpose: str = "login") -> None:
    """Supabase Auth could not be asked (down, or its circuit open): the attempt counted by
    `attempt()` is given back, so an outage does not lock people out when it ends."""
    with connection.cursor() as cursor:
        for key, limit in _keys(purpose, email, ip):
            cursor.execute(
                "update private.login_throttle set attempts = greatest(attempts - 1, 0),"
                " blocked_until = case when attempts - 1 < %s then null else blocked_until end"
                " where key = %s",
                [limit, key],
            )


def succeeded(email: str, ip: str | None) -> None:
    """A correct password: its pair starts over, and its IP counts as the account's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "delete from private.login_throttle where key = %s", [_pair("login", email, ip)]
        )
    if ip:
        cache.set(_pair("known", email, ip), 1, KNOWN_PAIR_SECONDS)
