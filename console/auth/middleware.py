"""Turns the Django session's Supabase tokens into verified JWT claims for the request."""

from django.contrib import messages
from django.shortcuts import render

from console.auth import session as session_store
from console.auth.refresh import AuthUnavailable, SessionEnded, ensure_fresh
from console.auth.tokens import InvalidToken, verify_access_token


class SupabaseAuthMiddleware:
    """Sets `request.auth_claims`: the verified claims, or None. When the session cannot go on
    it ends here, with a message for the login page. `request.console_user` is filled in by
    console.rls.RequestAsUserMiddleware, which reads the user's profile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.auth_claims = None
        request.console_user = None
        tokens = session_store.load(request)
        if tokens is not None:
            try:
                tokens = ensure_fresh(request, tokens)
                request.auth_claims = verify_access_token(tokens.access_token)
            except (SessionEnded, InvalidToken) as exc:
                session_store.end(request)
                messages.warning(
                    request,
                    str(exc)
                    if isinstance(exc, SessionEnded)
                    else "Your session is no longer valid. Please sign in again.",
                )
            except AuthUnavailable:
                return render(request, "503.html", {"reason": "auth"}, status=503)
        return self.get_response(request)
