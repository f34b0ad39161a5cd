"""Keeps a stored session's access token fresh, refreshing it through Supabase Auth."""

import time

from django.conf import settings
from pydantic import ValidationError
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError

from console.auth import session as session_store
from console.auth.client import user_client


class SessionEnded(Exception):
    """The session cannot go on (refresh refused, token invalid); sign in again."""


class AuthUnavailable(Exception):
    """Supabase Auth did not answer, and the access token cannot be used without it."""


def ensure_fresh(request, tokens: session_store.StoredTokens) -> session_store.StoredTokens:
    now = int(time.time())
    if tokens.expires_at - now > settings.SUPABASE_REFRESH_MARGIN:
        return tokens
    try:
        response = user_client().auth.refresh_session(tokens.refresh_token)
    except AuthRetryableError as exc:
        if tokens.expires_at > now:
            return tokens  # still valid: try again on a later request
        raise AuthUnavailable(str(exc)) from exc
    except (AuthApiError, AuthError, ValidationError) as exc:
        raise SessionEnded("Your session has expired. Please sign in again.") from exc
    if response.session is None:
        raise SessionEnded("Your session has expired. Please sign in again.")
    fresh = session_store.from_supabase_session(response.session)
    if fresh.user_id != tokens.user_id:
        raise SessionEnded("Your session has ended. Please sign in again.")
    session_store.store(request, fresh)
    return fresh
