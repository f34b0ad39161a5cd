"""Multi-factor sign-in: the session's assurance level (the access token's `aal`), the roles
that need a second factor (MFA_REQUIRED_ROLES), the gate every signed-in request passes, and
the user's factors through Supabase Auth (supabase-py's `auth.mfa.*`).

- After a correct password, a user with a verified factor has a session at aal1 marked
  pending: until a correct code (console.views.mfa) it reaches only the code step and sign-out.
- A user of a role in MFA_REQUIRED_ROLES at aal1 reads what the role allows; every POST and
  the users and system pages send them to enrol (no factor yet) or to the code step first.
The database refuses the same writes on its own (supabase/migrations/20261208050000_mfa.sql).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from pydantic import ValidationError
from supabase_auth.errors import AuthError

from console.auth import session as session_store
from console.auth.client import user_client

PENDING_KEY = "mfa_pending"  # the password was right; the second factor is still to come
STEP_URL_NAME = "console:login_mfa"
ENROL_URL_NAME = "users:my_mfa"
# Pages that are user administration or the system's state: aal2 even to read.
_GUARDED_PAGES = ("users", "console:system")


class FactorsUnavailable(Exception):
    """Supabase Auth could not say which factors the user has."""


def is_aal2(claims: dict | None) -> bool:
    return bool(claims) and claims.get("aal") == "aal2"


def required_for(role) -> bool:
    return role is not None and str(role) in settings.MFA_REQUIRED_ROLES


def enrolment(view):
    """Mark a view an aal1 session of a role that needs MFA may use, POSTs included (adding
    an authenticator app). A session waiting for its code still reaches only the code step."""
    view.mfa_enrolment = True
    return view


def verified(factors) -> list:
    return [f for f in factors if f.status == "verified" and f.factor_type == "totp"]


def signed_in_client(tokens: session_store.StoredTokens):
    """A supabase-py client holding this session (set_session asks Supabase Auth for the user,
    factors included). Returns (client, user)."""
    client = user_client()
    try:
        response = client.auth.set_session(tokens.access_token, tokens.refresh_token)
    except (AuthError, ValidationError) as exc:
        raise FactorsUnavailable(str(exc)) from exc
    if response.user is None:
        raise FactorsUnavailable("no user for this session")
    return client, response.user


def own_verified_factors() -> int:
    """The signed-in user's verified factors, as the database knows them (inside the user's
    transaction: no round trip to Supabase Auth)."""
    with connection.cursor() as cursor:
        cursor.execute("select private.own_verified_factors()")
        return cursor.fetchone()[0]


def _redirect(request, url_name: str) -> HttpResponse:
    target = reverse(url_name)
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


def _guarded_page(request) -> bool:
    match = request.resolver_match
    if match is None:
        return False
    if match.view_name.startswith("users:my_"):
        return False  # one's own profile is not user administration
    return match.app_name in _GUARDED_PAGES or match.view_name in _GUARDED_PAGES


def gate(request, view_func) -> HttpResponse | None:
    """A response that sends the request to the second factor first, or None to go on. Runs
    in the user's transaction, once `request.console_user` is known (console.rls)."""
    if is_aal2(request.auth_claims):
        return None
    if request.session.get(PENDING_KEY):
        return _redirect(request, STEP_URL_NAME)
    user = request.console_user
    if not required_for(user.role) or getattr(view_func, "mfa_enrolment", False):
        return None
    if request.method != "POST" and not _guarded_page(request):
        return None
    if own_verified_factors():
        request.session[PENDING_KEY] = True
        messages.info(request, "Enter the code from your authenticator app to go on.")
        return _redirect(request, STEP_URL_NAME)
    messages.warning(
        request,
        f"Your role ({user.role}) needs a second factor for this: add an authenticator app.",
    )
    return _redirect(request, ENROL_URL_NAME)
