"""Second factors: a user's own authenticator apps (`/users/me/mfa/`) and an admin's removal of
someone's factor (the lost-phone path), all through Supabase Auth (supabase-py's `auth.mfa.*`
and `auth.admin.mfa.*`). Each step is in the audit trail with the factor's name, never its
secret.
"""

import base64
import logging
from urllib.parse import unquote

from django import forms
from django.contrib import messages
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from pydantic import ValidationError
from supabase_auth.errors import AuthApiError, AuthError

from console import audited
from console.auth import mfa
from console.auth import session as session_store
from console.auth.client import admin_client
from console.permissions import area_required, signed_in_required
from console.users.forms import TypedEmailConfirmation
from console.users.models import UserAccount
from console.views.mfa import CodeForm

logger = logging.getLogger(__name__)

AUTH_DOWN = "Supabase Auth is not answering. Nothing was changed; try again in a minute."
QR_PREFIX = "data:image/svg+xml;utf-8,"  # what supabase-py puts before the server's SVG


class EnrolForm(forms.Form):
    friendly_name = forms.CharField(
        label="Name (optional)",
        max_length=60,
        required=False,
        help_text="To tell your authenticator apps apart, such as “Work phone”.",
    )

    def clean_friendly_name(self):
        return self.cleaned_data["friendly_name"].strip()


class RemoveFactorForm(TypedEmailConfirmation):
    consequence = "remove the factor"


def _event(factor) -> dict:
    return {"factor_id": factor.id, "factor": factor.friendly_name or "", "type": "totp"}


def _record(request, action: str, user_id, values: dict) -> None:
    audited.record(audited.Actor.from_request(request), action, "profiles", user_id, None, values)


def qr_image(qr_code: str) -> str:
    """The QR code as a data: URI an <img> shows (img-src allows data:), base64 so that the
    SVG's own characters need no escaping."""
    svg = unquote(qr_code[len(QR_PREFIX) :]) if qr_code.startswith(QR_PREFIX) else qr_code
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _own_factors(request):
    """(client, factors) of the signed-in user; None when Supabase Auth did not answer."""
    try:
        client, user = mfa.signed_in_client(session_store.load(request))
    except mfa.FactorsUnavailable:
        return None, None
    return client, list(user.factors or [])


def _page(request, factors, status=200, **extra):
    context = {
        "factors": factors,
        "has_verified": bool(mfa.verified(factors or [])),
        "aal2": mfa.is_aal2(request.auth_claims),
        "form": extra.pop("form", None) or EnrolForm(),
        **extra,
    }
    return render(request, "users/my_mfa.html", context, status=status)


@mfa.enrolment
@signed_in_required
def my_mfa(request):
    """The user's factors; POST adds an authenticator app and shows its QR code and secret."""
    client, factors = _own_factors(request)
    if factors is None:
        messages.error(request, AUTH_DOWN)
        return _page(request, [], 503)
    if request.method != "POST":
        return _page(request, factors)
    form = EnrolForm(request.POST)
    if not form.is_valid():
        return _page(request, factors, 400, form=form)
    if mfa.verified(factors) and not mfa.is_aal2(request.auth_claims):
        return _to_code_step(request)
    name = form.cleaned_data["friendly_name"]
    try:
        enrolled = client.auth.mfa.enroll({"factor_type": "totp", "friendly_name": name})
    except AuthApiError as exc:
        form.add_error(None, _enrol_refusal(exc))
        return _page(request, factors, 400, form=form)
    except (AuthError, ValidationError):
        logger.exception("unexpected answer from Supabase Auth on MFA enrolment")
        form.add_error(None, AUTH_DOWN)
        return _page(request, factors, 503, form=form)
    _record(
        request,
        "MFA_ENROLL",
        request.console_user.id,
        {"factor_id": enrolled.id, "factor": enrolled.friendly_name or "", "type": "totp"},
    )
    _, factors = _own_factors(request)
    return _page(
        request,
        factors or [],
        enrolled=enrolled,
        qr_src=qr_image(enrolled.totp.qr_code),
        code_form=CodeForm(initial={"factor": enrolled.id}),
    )


def _enrol_refusal(exc: AuthApiError) -> str:
    if exc.code == "mfa_factor_name_conflict":
        return "You already have an authenticator app with that name. Choose another name."
    if exc.code == "too_many_enrolled_mfa_factors":
        return "You have as many authenticator apps as allowed. Remove one first."
    return f"Supabase Auth refused it ({exc.message})."


def _to_code_step(request):
    request.session[mfa.PENDING_KEY] = True
    messages.info(request, "Enter the code from your authenticator app first.")
    return redirect(mfa.STEP_URL_NAME)


@sensitive_post_parameters("code")
@require_POST
@mfa.enrolment
@signed_in_required
def my_mfa_verify(request):
    """The first code of a new factor: the factor is verified and the session raised to aal2
    (Supabase Auth ends the user's other sessions below aal2)."""
    client, factors = _own_factors(request)
    if factors is None:
        messages.error(request, AUTH_DOWN)
        return redirect("users:my_mfa")
    form = CodeForm(request.POST)
    chosen = form.cleaned_data["factor"] if form.is_valid() else None
    factor = next((f for f in factors if chosen and f.id == chosen), None)
    if factor is None:
        if form.is_valid():
            messages.error(request, "That authenticator app is no longer waiting for a code.")
            return redirect("users:my_mfa")
        return _page(request, factors, 400, code_form=form, verifying=True)
    try:
        code = form.cleaned_data["code"]
        client.auth.mfa.challenge_and_verify({"factor_id": factor.id, "code": code})
        session = client.auth.get_session()
    except AuthApiError:
        _record(request, "MFA_CODE_REFUSED", request.console_user.id, _event(factor))
        form.add_error(None, "That code is not right. Enter the current code from the app.")
        return _page(request, factors, 400, code_form=form, verifying=True)
    except (AuthError, ValidationError):
        logger.exception("unexpected answer from Supabase Auth on MFA verification")
        messages.error(request, AUTH_DOWN)
        return redirect("users:my_mfa")
    if session is not None:
        session_store.store(request, session_store.from_supabase_session(session))
    request.session.pop(mfa.PENDING_KEY, None)
    if factor.status != "verified":
        _record(request, "MFA_VERIFY", request.console_user.id, _event(factor))
    messages.success(request, "Your authenticator app is set up: sign-in now asks for its code.")
    return redirect("users:my_mfa")


@require_POST
@mfa.enrolment
@signed_in_required
def my_mfa_remove(request, factor_id):
    client, factors = _own_factors(request)
    if factors is None:
        messages.error(request, AUTH_DOWN)
        return redirect("users:my_mfa")
    factor = next((f for f in factors if f.id == str(factor_id)), None)
    if factor is None:
        raise Http404("You have no such authenticator app.")
    if mfa.verified(factors) and not mfa.is_aal2(request.auth_claims):
        return _to_code_step(request)  # Supabase Auth asks aal2 to remove a verified factor
    try:
        client.auth.mfa.unenroll({"factor_id": factor.id})
    except (AuthError, ValidationError):
        logger.warning("Supabase Auth did not remove a factor", exc_info=True)
        messages.error(request, "Supabase Auth did not remove it. Nothing was changed.")
        return redirect("users:my_mfa")
    _record(request, "MFA_UNENROLL", request.console_user.id, _event(factor))
    messages.success(request, f"Removed {factor.friendly_name or 'the authenticator app'}.")
    return redirect("users:my_mfa")


# --- an admin's view of someone's factors -----------------------------------------------------


def user_factors(user_id) -> list | None:
    """A user's factors as Supabase Auth lists them; None when it could not be asked."""
    try:
        return list(admin_client().auth.admin.mfa.list_factors({"user_id": str(user_id)}))
    except (AuthError, ValidationError, RuntimeError):
        logger.warning("could not list a user's factors", exc_info=True)
        return None


@area_required("users", write=True)
def user_factor_remove(request, pk, factor_id):
    """The lost-phone path: an admin removes a user's factor (typed confirmation), and every
    session of the user ends."""
    account = get_object_or_404(UserAccount, pk=pk)
    factors = user_factors(pk)
    if factors is None:
        messages.error(request, AUTH_DOWN)
        return redirect("users:user_detail", pk=pk)
    factor = next((f for f in factors if f.id == str(factor_id)), None)
    if factor is None:
        raise Http404("This user has no such factor.")
    form = RemoveFactorForm(request.POST or None, email=account.email)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                _admin_remove(request, account, factor)
            except audited.WriteFailed as exc:
                form.add_error(None, exc.message)
                status = 403 if isinstance(exc, audited.WriteRefused) else 400
            else:
                messages.success(
                    request,
                    f"Removed {factor.friendly_name or 'the factor'} of {account.email}; "
                    "their sessions ended and they sign in with the password alone.",
                )
                return redirect("users:user_detail", pk=pk)
    context = {"account": account, "factor": factor, "form": form, "area": "users"}
    return render(request, "users/user_factor_remove.html", context, status=status)


def _admin_remove(request, account, factor) -> None:
    """The database says whether this admin may (aal2 where MFA is required), Supabase Auth
    removes the factor, then the database ends the user's sessions, with the audit row. (The
    sessions' rows are deleted only after the auth server's call: it updates them too.)"""
    target = str(account.pk)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("select private.authorize_user_admin('end_sessions', %s)", [target])
    except DatabaseError as exc:
        raise audited.WriteRefused(
            "The database refused this for your session: verify your authenticator code first."
        ) from exc
    try:
        admin_client().auth.admin.mfa.delete_factor({"user_id": target, "id": factor.id})
    except (AuthError, ValidationError, RuntimeError) as exc:
        raise audited.WriteFailed(
            f"Supabase Auth did not remove the factor ({getattr(exc, 'message', exc)}). "
            "Nothing was changed."
        ) from exc
    with connection.cursor() as cursor:
        cursor.execute("select private.end_user_sessions(%s)", [target])
    _record(request, "MFA_ADMIN_DELETE", account.pk, {**_event(factor), "sessions": "ended"})
