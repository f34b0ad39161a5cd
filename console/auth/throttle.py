"""Throttling of sign-in and password-recovery attempts, so that guessing is slow and nobody
can lock someone else out.

- Counted per **email and client IP pair**: wrong passwords typed for your email somewhere
  else do not stop you signing in from your own address.
- Per **IP** (a spray of many emails from one address) and per **account** (one email tried
  from many addresses), only for pairs that have not signed in successfully lately: the
  account's own recent IPs sign in whatever strangers do.
- An account's block refuses only **addresses that have been failing** for it: guessing from
  many addresses slows down, and a correct password from an address with no failures still
  signs in.
- **Refused attempts count nowhere**: an attempt one key refuses adds to none of the others,
  so hammering a blocked pair neither blocks the account nor the address.
- **Atomic**: an attempt is checked and counted on all its keys, in locked database rows,
  before the password is tried (`private.sign_in_attempt`,
  supabase/migrations/20261208030000_sessions_and_throttle.sql), so parallel tries cannot
  slip past the limit.
- **Exponential back-off**: the attempt that reaches a limit blocks the key for
  LOGIN_THROTTLE_BACKOFF seconds, doubling with each attempt after that, up to
  LOGIN_THROTTLE_WINDOW.

Emails and IPs are stored hashed, in plain typed tables (nothing read back is unpickled). The
database work runs as the console's own connection role (sign-in is outside any user's
transaction).
"""

import hashlib

from django.conf import settings
from django.db import connection

KNOWN_PAIR_SECONDS = 30 * 24 * 3600  # how long a successful sign-in vouches for its IP


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _pair(purpose: str, email: str, ip: str | None) -> str:
    return f"{purpose}:pair:{_digest(email.strip().lower(), ip or '')}"


def is_known_pair(email: str, ip: str | None) -> bool:
    if not ip:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "select 1 from private.login_known_pair where key = %s and expires_at > now()",
            [_pair("known", email, ip)],
        )
        return cursor.fetchone() is not None


def _keys(purpose: str, email: str, ip: str | None) -> list[tuple[str | None, int]]:
    """The pair, the IP and the account keys with their limits; None for one not counted."""
    pair = (_pair(purpose, email, ip), settings.LOGIN_THROTTLE_EMAIL_LIMIT)
    if is_known_pair(email, ip):
        return [pair, (None, 0), (None, 0)]
    return [
        pair,
        (f"{purpose}:ip:{_digest(ip)}" if ip else None, settings.LOGIN_THROTTLE_IP_LIMIT),
        (
            f"{purpose}:account:{_digest(email.strip().lower())}",
            settings.LOGIN_THROTTLE_ACCOUNT_LIMIT,
        ),
    ]


def attempt(email: str, ip: str | None, purpose: str = "login") -> int:
    """Count one attempt; 0 when it may go ahead, else the seconds to wait."""
    params = [value for key in _keys(purpose, email, ip) for value in key]
    with connection.cursor() as cursor:
        cursor.execute(
            "select allowed, retry_after from private.sign_in_attempt"
            "(%s, %s, %s, %s, %s, %s, %s, %s)",
            [*params, settings.LOGIN_THROTTLE_WINDOW, settings.LOGIN_THROTTLE_BACKOFF],
        )
        allowed, retry = cursor.fetchone()
    return 0 if allowed else max(retry, 1)


def not_tried(email: str, ip: str | None, purpose: str = "login") -> None:
    """Supabase Auth could not be asked (down, or its circuit open): the attempt counted by
    `attempt()` is given back, so an outage does not lock people out when it ends."""
    with connection.cursor() as cursor:
        for key, limit in _keys(purpose, email, ip):
            if key is None:
                continue
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
            cursor.execute(
                "insert into private.login_known_pair (key, expires_at)"
                " values (%s, now() + make_interval(secs => %s))"
                " on conflict (key) do update set expires_at = excluded.expires_at",
                [_pair("known", email, ip), KNOWN_PAIR_SECONDS],
            )
            # Forgotten pairs go with sign-ins (the index on expires_at keeps this cheap).
            cursor.execute("delete from private.login_known_pair where expires_at <= now()")
