"""Who is calling: GoTrue's requireAuthentication and requireAdminCredentials
(internal/api/auth.go, middleware.go), with their checks in GoTrue's order and its errors."""

import re
import uuid
from dataclasses import dataclass

from localauth import sessions, tokens, users
from localauth.errors import AuthError, bad_request, forbidden, unauthorized

ADMIN_ROLES = ("service_role", "supabase_admin")
SECRET_KEY_CLAIMS = {"iss": "supabase", "role": "service_role"}
_BEARER = re.compile(r"^bearer (\S+)$", re.IGNORECASE)


@dataclass
class Caller:
    claims: dict
    user: dict
    session: dict | None


def bearer_claims(app, request) -> dict:
    match = _BEARER.match(request.headers.get("authorization", ""))
    if not match:
        raise unauthorized("no_authorization", "This endpoint requires a valid Bearer token")
    if app.is_secret_key(match.group(1)):
        # Hosted Supabase's gateway swaps a secret key for a short-lived service_role JWT
        # before Auth sees the request (docs: guides/api/api-keys).
        return dict(SECRET_KEY_CLAIMS)
    return tokens.verify(match.group(1), app.config.jwt_secret, app.config.signing_jwk)


def _session_id(claims: dict) -> str | None:
    value = claims.get("session_id")
    if not value or value == tokens.NIL_UUID:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise forbidden("bad_jwt", "invalid claim: session_id claim must be a UUID") from None


def require_user(app, request, conn) -> Caller:
    claims = bearer_claims(app, request)
    sub = claims.get("sub")
    if not sub:
        raise forbidden("bad_jwt", "invalid claim: missing sub claim")
    try:
        user_id = uuid.UUID(str(sub))
    except ValueError:
        raise bad_request("bad_jwt", "invalid claim: sub claim must be a UUID") from None
    user = users.find_by_id(conn, user_id)
    if user is None:
        raise forbidden("user_not_found", "User from sub claim in JWT does not exist")
    session = None
    session_id = _session_id(claims)
    if session_id:
        session = sessions.find(conn, session_id)
        if session is None or str(session["user_id"]) != str(user["id"]):
            raise forbidden(
                "session_not_found", "Session from session_id claim in JWT does not exist"
            )
    if users.is_banned(user):
        raise forbidden("user_banned", "User is banned")
    return Caller(claims, user, session)


def is_admin(claims: dict) -> bool:
    return claims.get("role") in ADMIN_ROLES


def require_admin(app, request, conn) -> dict:
    claims = bearer_claims(app, request)
    if not is_admin(claims):
        raise AuthError(403, "not_admin", "User not allowed")
    session_id = _session_id(claims)
    if session_id and sessions.find(conn, session_id) is None:
        raise forbidden("session_expired", "Session from session_id claim in JWT has expired")
    return claims


def is_admin_request(app, request) -> bool:
    """GoTrue's verifyCaptcha skip: `requireAdminCredentials` succeeds on the bearer."""
    try:
        return is_admin(bearer_claims(app, request))
    except AuthError:
        return False


def require_captcha(app, request, body: dict) -> None:
    """GoTrue's verifyCaptcha (internal/api/middleware.go): with CAPTCHA on, a request
    without an admin bearer needs gotrue_meta_security.captcha_token; none is 400
    captcha_failed, an unsolved one 400 captcha_failed with the provider's reason."""
    if not app.config.captcha_enabled or is_admin_request(app, request):
        return
    security = body.get("gotrue_meta_security")
    token = security.get("captcha_token") if isinstance(security, dict) else None
    token = token.strip() if isinstance(token, str) else ""
    if not token:
        raise bad_request(
            "captcha_failed", "captcha protection: request disallowed (no captcha_token found)"
        )
    if token != app.config.captcha_accept_token:
        raise bad_request(
            "captcha_failed", "captcha protection: request disallowed (invalid-input-response)"
        )
