"""My profile: every signed-in user's own display name and password."""

import contextlib

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from pydantic import ValidationError
from supabase_auth.errors import AuthError

from console import audited
from console.auth import session as session_store
from console.auth.client import user_client
from console.auth.redirects import to_login
from console.permissions import signed_in_required
from console.users import actions
from console.users.forms import MyDisplayNameForm, MyPasswordForm
from console.users.models import Profile

# Wrong current passwords in one session before it is ended (the session holder may not be
# its owner). Kept in the session itself: the sign-in throttle's tables are out of reach of a
# request that runs as its user.
WRONG_PASSWORDS = "my_password_failures"


def _last_sign_in(user_id):
    # Their own row of the auth state: its RLS policy lets every user read it.
    with connection.cursor() as cursor:
        cursor.execute(
            "select last_sign_in_at from private.user_auth_state where id = %s", [user_id]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _page(request, profile, status=200, name_form=None, password_form=None):
    context = {
        "account": profile,
        "last_sign_in_at": _last_sign_in(profile.pk),
        "form": name_form
        or MyDisplayNameForm(
            initial={
                "display_name": profile.display_name,
                "version": profile.updated_at.isoformat(),
            }
        ),
        "password_form": password_form or MyPasswordForm(),
    }
    return render(request, "users/my_profile.html", context, status=status)


def _own_account(request) -> Profile:
    return get_object_or_404(Profile, pk=request.console_user.id)


def _end_this_session(request, tokens) -> None:
    """Sign this session out, at Supabase Auth and here. (Not session_store.end(): the Django
    session lives in the console schema, out of reach of a request running as its user; the
    session saved after the response simply has no tokens any more.)"""
    with contextlib.suppress(AuthError, ValidationError):
        user_client().auth.admin.sign_out(tokens.access_token, "local")
    request.session.pop(session_store.SESSION_KEY, None)
    request.session.pop(WRONG_PASSWORDS, None)


@signed_in_required
def my_profile(request):
    account = _own_account(request)
    if request.method != "POST":
        return _page(request, account)
    form = MyDisplayNameForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            actions.set_own_display_name(
                audited.Actor.from_request(request),
                form.cleaned_data["display_name"],
                version=form.cleaned_data["version"],
            )
        except audited.WriteFailed as exc:
            account = _own_account(request)
            status = 409 if isinstance(exc, actions.StaleForm) else 400
            if isinstance(exc, actions.StaleForm):
                data = form.data.copy()
                data["version"] = account.updated_at.isoformat()
                form.data = data
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("users:my_profile")
    return _page(request, account, status, name_form=form)


@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@require_POST
@signed_in_required
def my_password(request):
    account = _own_account(request)
    form = MyPasswordForm(request.POST)
    if not form.is_valid():
        return _page(request, account, 400, password_form=form)
    email = request.console_user.email
    tokens = session_store.load(request)
    try:
        session = actions.change_own_password(
            audited.Actor.from_request(request),
            email=email,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            current=form.cleaned_data["current_password"],
            new=form.cleaned_data["new_password1"],
        )
    except actions.WrongPassword as exc:
        failures = request.session.get(WRONG_PASSWORDS, 0) + 1
        if failures >= settings.LOGIN_THROTTLE_EMAIL_LIMIT:
            _end_this_session(request, tokens)
            messages.warning(request, "Too many wrong passwords: please sign in again.")
            return to_login(request)
        request.session[WRONG_PASSWORDS] = failures
        form.add_error("current_password", exc.message)
        return _page(request, account, 400, password_form=form)
    except audited.WriteFailed as exc:
        form.add_error(None, exc.message)
        return _page(request, account, 400, password_form=form)
    request.session.pop(WRONG_PASSWORDS, None)
    if session is not None and session.access_token != tokens.access_token:
        session_store.store(request, session_store.from_supabase_session(session))
    messages.success(request, "Your password is changed. Your other sessions have ended.")
    return redirect("users:my_profile")
