"""The sign-in's second step: the code of the user's authenticator app (`/login/mfa/`).

Reached only with a session whose password was right (the step needs the session's tokens),
so wrong codes are counted per email and IP like passwords (purpose "mfa") and nobody
elsewhere can lock the user out. A correct code upgrades the Supabase session to aal2.
"""

import logging

from django import forms
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from pydantic import ValidationError
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError

from console import audited
from console.auth import breaker, mfa, throttle
from console.auth import session as session_store
from console.auth.redirects import safe_next, to_login
from console.http import client_ip, user_agent
from console.permissions import public
from console.rls import as_user, outside_user_transaction

logger = logging.getLogger(__name__)

AUTH_DOWN = "Supabase Auth is not answering. Nothing was changed; try again in a minute."
WRONG_CODE = "That code is not right. Enter the current code from your authenticator app."
# Supabase Auth's codes for a code it did not accept (a wrong, expired or reused code).
REFUSED_CODES = {"mfa_verification_failed", "mfa_challenge_expired", "mfa_verification_rejected"}


class CodeForm(forms.Form):
    code = forms.RegexField(
        label="Code",
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": "Enter the 6-digit code."},
        help_text="The 6-digit code your authenticator app shows now.",
    )
    factor = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def clean_code(self):
        return self.cleaned_data["code"].strip()


def record_event(request, claims: dict, action: str, user_id, new_values: dict) -> None:
    """An MFA event in the audit trail, in the name of the user of `claims` (run as them: the
    step is outside the request's user transaction)."""
    actor = audited.Actor(claims["sub"], client_ip(request), user_agent(request))
    with as_user(claims):
        audited.record(actor, action, "profiles", user_id, None, new_values)


def _page(request, context: dict, status: int = 200):
    return render(request, "console/login_mfa.html", context, status=status)


@sensitive_post_parameters("code")
@public
@outside_user_transaction
def login_mfa(request):
    claims = request.auth_claims
    if claims is None:
        return to_login(request)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if mfa.is_aal2(claims):
        request.session.pop(mfa.PENDING_KEY, None)
        return redirect(safe_next(request, next_url))
    form = CodeForm(request.POST or None)
    context = {"form": form, "next": next_url}
    tokens = session_store.load(request)
    try:
        client, user = mfa.signed_in_client(tokens)
    except mfa.FactorsUnavailable:
        form.add_error(None, AUTH_DOWN)
        return _page(request, context, 503)
    factors = mfa.verified(user.factors or [])
    if not factors:  # removed meanwhile (an admin's lost-phone removal): the password is enough
        request.session.pop(mfa.PENDING_KEY, None)
        return redirect(safe_next(request, next_url))
    chosen = next((f for f in factors if f.id == form["factor"].value()), factors[0])
    context["factor"] = chosen
    if request.method != "POST":
        return _page(request, context)
    if not form.is_valid():
        return _page(request, context, 400)

    email, ip = claims.get("email") or user.email or "", client_ip(request)
    wait = throttle.attempt(email, ip, purpose="mfa")
    if wait:
        minutes = max(1, round(wait / 60))
        plural = "s" if minutes != 1 else ""
        form.add_error(None, f"Too many wrong codes. Try again in {minutes} minute{plural}.")
        response = _page(request, context, 429)
        response["Retry-After"] = str(wait)
        return response
    event = {"factor_id": chosen.id, "factor": chosen.friendly_name or ""}
    try:
        client.auth.mfa.challenge_and_verify(
            {"factor_id": chosen.id, "code": form.cleaned_data["code"]}
        )
        session = client.auth.get_session()
    except AuthRetryableError as exc:
        throttle.not_tried(email, ip, purpose="mfa")
        form.add_error(None, breaker.UNAVAILABLE_MESSAGE if breaker.open_error(exc) else AUTH_DOWN)
        return _page(request, context, 503)
    except AuthApiError as exc:
        if exc.code not in REFUSED_CODES:
            logger.warning("Supabase Auth refused an MFA verification: %s", exc.code)
        record_event(request, claims, "MFA_FAILED", claims["sub"], event)
        form.add_error(None, WRONG_CODE)
        return _page(request, context, 400)
    except (AuthError, ValidationError):
        logger.exception("unexpected answer from Supabase Auth on MFA verification")
        form.add_error(None, AUTH_DOWN)
        return _page(request, context, 503)
    if session is None:
        form.add_error(None, AUTH_DOWN)
        return _page(request, context, 503)
    # A new session key for the raised session (as for a sign-in), then its tokens.
    session_store.start(request, session_store.from_supabase_session(session))
    request.session.pop(mfa.PENDING_KEY, None)
    record_event(request, claims, "MFA_LOGIN", claims["sub"], event)
    return redirect(safe_next(request, next_url))
