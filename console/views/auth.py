"""Sign-in, sign-out and password recovery, all through Supabase Auth (supabase-py)."""

import contextlib
import logging
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from pydantic import ValidationError
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError

from console import audited
from console.auth import breaker, mfa, throttle
from console.auth import session as session_store
from console.auth.client import sign_in_client, user_client
from console.auth.forms import EmailLinkPasswordForm, LoginForm, PasswordForgotForm
from console.auth.redirects import safe_next
from console.auth.tokens import AuthUnavailable, InvalidToken, verify_access_token
from console.http import client_ip, user_agent
from console.permissions import public
from console.rls import outside_user_transaction
from console.views.errors import database_answers

logger = logging.getLogger(__name__)

AUTH_DOWN = (
    "The sign-in service (Supabase Auth) is not answering. Nothing was changed; "
    "please try again in a minute."
)
CAPTCHA_REQUIRED = (
    "This Supabase project requires a CAPTCHA, which the console does not support, so "
    "nobody can sign in (your password was not checked). An administrator must turn off "
    "CAPTCHA protection for the project: Supabase dashboard, Authentication, Attack "
    "Protection."
)
LOGIN_REFUSED = {
    "invalid_credentials": "Incorrect email or password.",
    "email_not_confirmed": (
        "This email address is not confirmed yet. Use the link in your invitation email."
    ),
    "user_banned": "This account is suspended. Contact an administrator.",
}


def _auth_unavailable(request, template: str, context: dict, exc: Exception):
    """503: Supabase Auth did not answer, or the circuit breaker says it is down (at once)."""
    refused = breaker.open_error(exc)
    context["form"].add_error(None, breaker.UNAVAILABLE_MESSAGE if refused else AUTH_DOWN)
    response = render(request, template, context, status=503)
    if refused:
        response["Retry-After"] = str(refused.retry_after)
    return response


def _sign_in_not_tried(request, context: dict, exc: AuthApiError):
    """The page for a refusal that says nothing about the password, or None: 429 (Auth's
    per-IP /token limit, internal/api/middleware.go performRateLimiting), CAPTCHA required
    (verifyCaptcha refuses before the password is looked at: captcha_failed), 409 or 5xx."""
    form = context["form"]
    if exc.status == 429:
        form.add_error(None, "Supabase Auth is limiting sign-in requests. Try again in a minute.")
        return render(request, "console/login.html", context, status=429)
    if exc.code == "captcha_failed":
        logger.error("Supabase Auth requires a CAPTCHA to sign in; the console sends none")
        form.add_error(None, CAPTCHA_REQUIRED)
        return render(request, "console/login.html", context, status=503)
    if exc.status == 409 or exc.status >= 500:
        logger.error("Supabase Auth failed a sign-in: %s %s", exc.status, exc.code)
        form.add_error(None, AUTH_DOWN)
        return render(request, "console/login.html", context, status=503)
    return None


def _audit_system_event(request, action: str, claims=None, new_values=None) -> None:
    """LOGIN, LOGIN_FAILED, LOGOUT: system events, recorded with the console's own connection,
    in the name of the user of these verified claims (none: nobody's, as for LOGIN_FAILED)."""
    user_id = claims["sub"] if claims else None
    actor = audited.Actor(user_id, client_ip(request), user_agent(request))
    try:
        audited.record(actor, action, None, None, None, new_values, claims=claims)
    except Exception:
        logger.exception("could not write the %s audit row", action)


def _answer_no_sooner_than(started: float) -> None:
    """A refused sign-in takes at least LOGIN_FAILURE_MIN_MS, whether or not the email has an
    account (the auth server may answer an unknown email faster than it checks a password)."""
    left = settings.LOGIN_FAILURE_MIN_MS / 1000 - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)


@sensitive_post_parameters("password")  # outermost: the request is marked before anything
@public
@outside_user_transaction
def login(request):
    if request.auth_claims is not None:
        return redirect(safe_next(request, request.GET.get("next")))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = LoginForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method != "POST":
        database_answers()
    if request.method != "POST" or not form.is_valid():
        return render(
            request, "console/login.html", context, status=400 if request.method == "POST" else 200
        )

    email, password = form.cleaned_data["email"], form.cleaned_data["password"]
    ip = client_ip(request)
    started = time.monotonic()
    wait = throttle.attempt(email, ip)  # counted before the password is tried: no races
    if wait:
        minutes = max(1, round(wait / 60))
        form.add_error(
            None,
            f"Too many failed sign-in attempts. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}.",
        )
        response = render(request, "console/login.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response

    try:
        result = sign_in_client(ip).auth.sign_in_with_password(
            {"email": email, "password": password}
        )
    except AuthRetryableError as exc:
        throttle.not_tried(email, ip)
        return _auth_unavailable(request, "console/login.html", context, exc)
    except AuthApiError as exc:
        refused = _sign_in_not_tried(request, context, exc)
        if refused is not None:
            throttle.not_tried(email, ip)
            return refused
        _audit_system_event(
            request, "LOGIN_FAILED", None, {"email": email, "reason": exc.code or "refused"}
        )
        form.add_error(None, LOGIN_REFUSED.get(exc.code, "Incorrect email or password."))
        _answer_no_sooner_than(started)
        return render(request, "console/login.html", context, status=400)
    except (AuthError, ValidationError):
        logger.exception("unexpected answer from Supabase Auth on sign-in")
        form.add_error(None, AUTH_DOWN)
        return render(request, "console/login.html", context, status=503)

    if result.session is None:
        form.add_error(None, LOGIN_REFUSED["email_not_confirmed"])
        return render(request, "console/login.html", context, status=400)
    try:
        claims = verify_access_token(result.session.access_token)
    except (InvalidToken, AuthUnavailable):
        logger.exception("Supabase Auth issued a token that does not verify")
        form.add_error(None, AUTH_DOWN)
        return render(request, "console/login.html", context, status=503)

    throttle.succeeded(email, ip)
    tokens = session_store.from_supabase_session(result.session)
    session_store.start(request, tokens)
    _audit_system_event(request, "LOGIN", claims, {"email": email})
    if mfa.verified(result.user.factors or []):
        request.session[mfa.PENDING_KEY] = True  # nothing but the code step until a code
        return redirect(f"{reverse(mfa.STEP_URL_NAME)}?{urlencode({'next': next_url})}")
    return redirect(safe_next(request, next_url))


@public
@require_POST
@outside_user_transaction
def logout(request):
    tokens = session_store.load(request)
    if tokens is not None:
        try:
            # Global sign-out at Supabase Auth; 401/403/404 mean "already signed out".
            user_client().auth.admin.sign_out(tokens.access_token, "global")
        except (AuthError, ValidationError):
            logger.warning("sign-out at Supabase Auth failed; the local session ends anyway")
        _audit_system_event(request, "LOGOUT", request.auth_claims)
    session_store.end(request)
    messages.info(request, "You have signed out.")
    return redirect("console:login")


@public
@outside_user_transaction
def password_forgot(request):
    form = PasswordForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        ip = client_ip(request)
        # Counted apart from sign-ins: asking for someone's reset link locks nobody out.
        if throttle.attempt(email, ip, purpose="forgot"):
            form.add_error(None, "Too many attempts. Try again later.")
            return render(request, "console/password_forgot.html", {"form": form}, status=429)
        try:
            user_client().auth.reset_password_for_email(
                email, {"redirect_to": request.build_absolute_uri(reverse("console:password_set"))}
            )
        except AuthRetryableError as exc:
            return _auth_unavailable(request, "console/password_forgot.html", {"form": form}, exc)
        except AuthApiError as exc:
            if exc.status == 429:
                form.add_error(None, "Supabase Auth is limiting email. Try again in a minute.")
                return render(request, "console/password_forgot.html", {"form": form}, status=429)
            if exc.code == "captcha_failed":  # refused whatever the address: nothing leaks
                logger.error("Supabase Auth requires a CAPTCHA to send a recovery email")
                form.add_error(None, CAPTCHA_REQUIRED)
                context = {"form": form}
                return render(request, "console/password_forgot.html", context, status=503)
            logger.warning("password recovery request refused: %s", exc.code)
        return render(request, "console/password_forgot.html", {"form": form, "sent": True})
    if request.method != "POST":
        database_answers()
    status = 400 if request.method == "POST" else 200
    return render(request, "console/password_forgot.html", {"form": form}, status=status)


@sensitive_post_parameters()  # the new password, and the link's token (a credential too)
@public
@outside_user_transaction
def password_set(request):
    """The target of recovery and invite links.

    - `?token_hash=…&type=recovery|invite` (the SSR template docs/deploying.md asks for): GET only
      shows the form (mail scanners that open links consume nothing); POST verifies the token
      with Supabase Auth and sets the password in the same step.
    - The default templates' `{{ .ConfirmationURL }}` goes through Auth's GET /verify, which
      consumes the token and redirects here with the session in the URL fragment
      (`#access_token=…&refresh_token=…&type=recovery|invite`, internal/api/verify.go
      verifyGet) or an error there (`#error_code=otp_expired…`). The server never sees a
      fragment: static/console/link_landing.js puts the tokens into the form's hidden fields
      (or shows the error), and the POST sets the password with that session.
    """
    if request.method == "POST":
        form = EmailLinkPasswordForm(request.POST)
    else:
        form = EmailLinkPasswordForm(
            initial={
                "token_hash": request.GET.get("token_hash", ""),
                "type": request.GET.get("type", "recovery"),
            }
        )
    purpose = form["type"].value() if form["type"].value() in ("recovery", "invite") else "recovery"
    context = {"form": form, "purpose": purpose}
    if request.method != "POST":
        database_answers()
        context["landing"] = not request.GET.get("token_hash")
        return render(request, "console/password_set.html", context)
    if not form.is_valid():
        return render(request, "console/password_set.html", context, status=400)

    client = user_client()
    try:
        access_token = _link_session(client, form.cleaned_data)
        client.auth.update_user({"password": form.cleaned_data["new_password1"]})
    except AuthRetryableError as exc:
        return _auth_unavailable(request, "console/password_set.html", context, exc)
    except (AuthApiError, AuthError, ValidationError) as exc:
        code = getattr(exc, "code", None)
        message = (
            "This link has expired or was already used. Ask for a new one."
            if code in ("otp_expired", None) or getattr(exc, "status", 0) in (401, 403)
            else "Supabase Auth refused the new password. Choose another one."
        )
        form.add_error(None, message)
        return render(request, "console/password_set.html", context, status=400)

    try:
        claims = verify_access_token(access_token)
    except (InvalidToken, AuthUnavailable):
        claims = None  # recorded without an actor rather than not at all
    _audit_system_event(request, "PASSWORD_SET", claims, {"via": form.cleaned_data["type"]})
    with contextlib.suppress(AuthError, ValidationError):
        client.auth.admin.sign_out(access_token, "local")
    messages.success(request, "Your password is set. Sign in with it now.")
    return redirect("console:login")


def _link_session(client, data: dict) -> str:
    """Give `client` the session of the email link; its access token. A token hash is
    verified now (POST /verify); a session from Auth's /verify redirect must verify here as
    an access token of this project (else it is an expired or forged link)."""
    if data["token_hash"]:
        verified = client.auth.verify_otp({"token_hash": data["token_hash"], "type": data["type"]})
        if verified.session is None:
            raise AuthApiError("no session", 403, "otp_expired")
        return verified.session.access_token
    try:
        verify_access_token(data["access_token"])
    except InvalidToken as exc:
        raise AuthApiError("the link's session is not valid", 403, "otp_expired") from exc
    except AuthUnavailable as exc:
        raise AuthRetryableError(str(exc), 503) from exc
    client.auth.set_session(data["access_token"], data["refresh_token"])
    return data["access_token"]
