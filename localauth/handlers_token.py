"""POST /token: the password and refresh_token grants (internal/api/token.go,
internal/tokens/service.go)."""

import random
import re
import time
from datetime import timedelta

from localauth import guards, passwords, sessions, signin, users
from localauth.app import field_str, json_response
from localauth.errors import AuthError, bad_request, not_found, validation_failed
from localauth.tokens import is_refresh_token_format

INVALID_CREDENTIALS = "Invalid login credentials"
CAPTCHA_EXEMPT_GRANTS = ("refresh_token", "pkce", "id_token")


def token(app, request):
    """GoTrue's Token (internal/api/token.go): verifyCaptcha runs first (api.go routes /token
    through it; isIgnoreCaptchaRoute exempts refresh_token, pkce and id_token), then the
    grant type, then performRateLimiting with the /token limiter, then the grant."""
    grant_type = request.query.get("grant_type", "")
    if grant_type not in CAPTCHA_EXEMPT_GRANTS:
        guards.require_captcha(app, request, request.optional_json())
    grants = {
        "password": password_grant,
        "refresh_token": refresh_token_grant,
        "pkce": pkce_grant,
    }
    if grant_type not in grants:
        raise bad_request("invalid_credentials", "unsupported_grant_type")
    app.limits.take(
        request.client_ip, app.config.rate_limit_token_refresh, app.config.rate_limit_token_burst
    )
    return grants[grant_type](app, request)


def password_grant(app, request):
    body = request.json()
    email, phone = field_str(body, "email"), field_str(body, "phone")
    password = field_str(body, "password")
    if email and phone:
        raise validation_failed(
            "Only an email address or phone number should be provided on login."
        )
    if not email and not phone:
        raise validation_failed("missing email or phone")
    with app.connect() as conn:
        if email:
            user = users.find_by_email(conn, email.strip())
        else:
            user = users.find_by_phone(conn, re.sub(r"[\s+\-()]", "", phone))
        if user is None or not user["encrypted_password"]:
            passwords.check_against_nothing(password)  # as slow as a real check
            raise bad_request("invalid_credentials", INVALID_CREDENTIALS)
        if users.is_banned(user):
            raise bad_request("user_banned", "User is banned")
        if not passwords.check_password(password, user["encrypted_password"]):
            raise bad_request("invalid_credentials", INVALID_CREDENTIALS)
        if email and user["email_confirmed_at"] is None:
            raise bad_request("email_not_confirmed", "Email not confirmed")
        if not email and user["phone_confirmed_at"] is None:
            raise bad_request("phone_not_confirmed", "Phone not confirmed")
        if passwords.needs_rehash(user["encrypted_password"]):
            user = users.update(
                conn, user["id"], touch=False, encrypted_password=passwords.hash_password(password)
            )
        response = signin.sign_in(app, conn, user, method="password", request=request)
    response["weak_password"] = None
    return json_response(response)


def refresh_token_grant(app, request):
    """GoTrue's RefreshTokenGrant (internal/tokens/service.go): the token and its session are
    locked with FOR UPDATE SKIP LOCKED; while another refresh holds them the whole step is
    retried every 10-30 ms, for at most retryLoopDuration (5 s), then 409 conflict."""
    body = request.json()
    presented = field_str(body, "refresh_token")
    if not presented:
        raise validation_failed("refresh_token required")
    if not is_refresh_token_format(presented):
        raise validation_failed("Refresh token is not valid")
    give_up_at = time.monotonic() + float(app.config.refresh_retry_seconds)
    while True:
        with app.connect() as conn:
            response = _refresh_once(app, request, conn, presented)
        if response is not None:
            return json_response(response)
        if time.monotonic() >= give_up_at:
            raise AuthError(
                409,
                "conflict",
                "Too many concurrent token refresh requests on the same session or refresh token",
            )
        time.sleep(random.uniform(0.010, 0.030))  # noqa: S311 - a pause, not a secret


def _refresh_once(app, request, conn, presented: str) -> dict | None:
    """One attempt; None when another refresh holds the token or its session."""
    token = sessions.find_refresh_token(conn, presented)
    user = users.find_by_id(conn, token["user_id"]) if token else None
    if token is None or user is None:
        raise bad_request(
            "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"
        )
    if users.is_banned(user):
        raise bad_request("user_banned", "Invalid Refresh Token: User Banned")
    if not token["session_id"] or sessions.find(conn, token["session_id"]) is None:
        raise bad_request("session_not_found", "Invalid Refresh Token: No Valid Session Found")
    token = sessions.lock_refresh_token(conn, presented)
    session = sessions.lock(conn, token["session_id"]) if token else None
    if session is None:
        conn.rollback()
        return None
    issued = None
    if token["revoked"]:
        active = sessions.active_refresh_token(conn, session["id"])
        if active is not None and active["parent"] == token["token"]:
            # The client lost the answer to its last refresh: hand out the same token.
            issued = active["token"]
        else:
            reuse_until = token["updated_at"] + timedelta(
                seconds=app.config.refresh_token_reuse_interval
            )
            if users.now() > reuse_until:
                sessions.revoke_family(conn, session["id"])
                conn.commit()
                raise bad_request(
                    "refresh_token_already_used", "Invalid Refresh Token: Already Used"
                )
    if issued is None:
        sessions.revoke(conn, token["id"])
        issued = sessions.issue_refresh_token(
            conn, user["id"], session["id"], parent=token["token"]
        )
    sessions.touch(conn, session["id"], user_agent=request.user_agent, ip=request.client_ip)
    return signin.token_response(app, conn, user, session, issued)


def pkce_grant(app, request):
    body = request.json()
    if not field_str(body, "auth_code") or not field_str(body, "code_verifier"):
        raise validation_failed(
            "invalid request: both auth code and code verifier should be non-empty"
        )
    # The local server never starts PKCE flows (its email links carry token hashes).
    raise not_found("flow_state_not_found", "invalid flow state, no valid flow state found")
