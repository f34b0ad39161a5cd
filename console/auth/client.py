"""supabase-py clients, built the way a server must use them.

- A user client per request (never shared between users: it keeps session state), with
  auto-refresh off (it would start a timer thread) and the implicit flow (the PKCE verifier
  would be lost between requests; email links use token_hash + verify_otp instead).
- One admin client with the service-role key, used only for `auth.admin.*` calls.
Both share one httpx connection pool, whose transport goes through the circuit breaker
(console/auth/breaker.py): while Supabase Auth is marked down, every call fails at once.
"""

import functools
import logging
import threading

import httpx
from django.conf import settings

from console.auth.breaker import BreakerTransport
from supabase import Client, ClientOptions, create_client

logger = logging.getLogger(__name__)

_clients: dict[float, httpx.Client] = {}
_clients_lock = threading.Lock()


def _http_client(timeout: float) -> httpx.Client:
    with _clients_lock:
        if timeout not in _clients:
            _clients[timeout] = httpx.Client(
                timeout=timeout,
                follow_redirects=True,
                transport=BreakerTransport(httpx.HTTPTransport()),
            )
        return _clients[timeout]


def drop_connections() -> None:
    """Start over with new connections (tests: a stopped server's kept-alive connections
    would otherwise go on answering)."""
    with _clients_lock:
        old = list(_clients.values())
        _clients.clear()
    for client in old:
        client.close()


def http_client() -> httpx.Client:
    """The shared httpx client (through the breaker), for calls supabase-py does not make."""
    return _http_client(float(settings.SUPABASE_TIMEOUT))


def _options() -> ClientOptions:
    return ClientOptions(
        auto_refresh_token=False,
        persist_session=False,
        flow_type="implicit",
        httpx_client=http_client(),
    )


def user_client() -> Client:
    return create_client(settings.SUPABASE_URL, settings.SUPABASE_ANON_KEY, options=_options())


SECRET_KEY_PREFIX = "sb_secret_"


def is_secret_key(key: str | None) -> bool:
    """A new-style secret API key. Legacy service_role JWTs are not: hosted Supabase passes
    `Sb-Forwarded-For` on to Auth only with a secret key (docs: auth/rate-limits,
    ip-forwarding), and GoTrue believes it only with the project's toggle on
    (internal/sbff/sbff.go, GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED)."""
    return bool(key) and key.startswith(SECRET_KEY_PREFIX)


def forwarding_problem() -> str | None:
    """Why SUPABASE_FORWARD_CLIENT_IP cannot work as configured, or None."""
    if not settings.SUPABASE_FORWARD_CLIENT_IP:
        return None
    if not is_secret_key(settings.SUPABASE_SERVICE_ROLE_KEY):
        return (
            "SUPABASE_FORWARD_CLIENT_IP is on, but SUPABASE_SERVICE_ROLE_KEY is not a secret "
            "key (sb_secret_...): Supabase Auth ignores Sb-Forwarded-For from any other key, "
            "so the browser's IP is not passed on and every sign-in counts against the "
            "console's own IP. Set SUPABASE_SERVICE_ROLE_KEY to a secret key, or turn the "
            "setting off."
        )
    return None


@functools.cache
def _warn_once(problem: str | None) -> None:
    if problem:
        logger.warning(problem)


def sign_in_client(ip: str | None) -> Client:
    """The client for a sign-in. With SUPABASE_FORWARD_CLIENT_IP and a secret key
    (sb_secret_...), it passes the browser's address in `Sb-Forwarded-For`: Supabase Auth's
    per-IP rate limits and the session's IP are then the person's, not the console's.
    With any other key the header would be ignored, so it is not sent (`check` says why)."""
    key = settings.SUPABASE_SERVICE_ROLE_KEY
    if not (settings.SUPABASE_FORWARD_CLIENT_IP and is_secret_key(key) and ip):
        if settings.SUPABASE_FORWARD_CLIENT_IP:
            _warn_once(forwarding_problem())
        return user_client()
    options = _options()
    options.headers["Sb-Forwarded-For"] = ip
    return create_client(settings.SUPABASE_URL, key, options=options)


def admin_client() -> Client:
    if not settings.SUPABASE_SERVICE_ROLE_KEY:
        raise RuntimeError("SUPABASE_SERVICE_ROLE_KEY is not set: user administration is off")
    return create_client(
        settings.SUPABASE_URL, settings.SUPABASE_SERVICE_ROLE_KEY, options=_options()
    )
