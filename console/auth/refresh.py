"""Keeps a stored session's access token fresh, refreshing it through Supabase Auth.

Only a definitive refusal of the refresh token ends the session (400: refresh_token_not_found,
refresh_token_already_used, session_not_found, session_expired, user_banned; 401/403). A
refusal that says "not now" keeps it: 429 over_request_rate_limit (Auth's /token limit is per
IP, and every user of the console shares its IP), 409 conflict (another refresh of the same
session held it for 5 s: internal/tokens/service.go, RefreshTokenGrant), a 5xx, no answer, or
an answer supabase-py cannot read. Then the access token is used while it is valid and the
refresh is tried again on a later request; once it has expired the request gets the 503 page,
the session still kept.
"""

import logging
import time

from django.conf import settings
from pydantic import ValidationError
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError, AuthUnknownError

from console.auth import session as session_store
from console.auth.client import user_client
from console.auth.tokens import AuthUnavailable

__all__ = ["AuthUnavailable", "SessionEnded", "ensure_fresh", "is_transient"]

logger = logging.getLogger(__name__)

# Statuses of a refresh refusal that say nothing about the refresh token itself.
TRANSIENT_STATUSES = (409, 429)


class SessionEnded(Exception):
    """The session cannot go on (refresh refused, token invalid); sign in again."""


def is_transient(exc: Exception) -> bool:
    """Whether a failed Supabase Auth call may succeed if tried again later."""
    if isinstance(exc, AuthApiError):
        status = exc.status or 0
        return status in TRANSIENT_STATUSES or status >= 500
    # AuthRetryableError (no answer, 502/503/504), AuthUnknownError (a body that is not
    # GoTrue's JSON: a proxy's error page), ValidationError (a reply supabase-py cannot read).
    return isinstance(exc, (AuthRetryableError, AuthUnknownError, ValidationError))


def ensure_fresh(request, tokens: session_store.StoredTokens) -> session_store.StoredTokens:
    now = int(time.time())
    if tokens.expires_at - now > settings.SUPABASE_REFRESH_MARGIN:
        return tokens
    try:
        response = user_client().auth.refresh_session(tokens.refresh_token)
    except (AuthError, ValidationError) as exc:
        if not is_transient(exc):
            raise SessionEnded("Your session has expired. Please sign in again.") from exc
        logger.warning(
            "session refresh deferred: %s %s",
            getattr(exc, "status", None) or type(exc).__name__,
            getattr(exc, "code", None) or "",
        )
        if tokens.expires_at > now:
            return tokens  # still valid: try again on a later request
        raise AuthUnavailable(str(exc)) from exc
    if response.session is None:
        raise SessionEnded("Your session has expired. Please sign in again.")
    fresh = session_store.from_supabase_session(response.session)
    if fresh.user_id != tokens.user_id:
        raise SessionEnded("Your session has ended. Please sign in again.")
    session_store.store(request, fresh)
    return fresh
