"""POST /token: the password and refresh_token grants (internal/api/token.go,
internal/tokens/service.go)."""

import re
from datetime import timedelta

from localauth import passwords, sessions, signin, users
from localauth.app import field_str, json_response
from localauth.errors import bad_request, not_found, validation_failed
from localauth.tokens import is_refresh_token_format

INVALID_CREDENTIALS = "Invalid login credentials"


def token(app, request):
    grant_type = request.query.get("grant_type", "")
    if grant_type == "password":
        return password_grant(app, request)
    if grant_type == "refresh_token":
        return refresh_token_grant(app, request)
    if grant_type == "pkce":
        return pkce_grant(app, request)
    raise bad_request("invalid_credentials", "unsupported_grant_type")


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
    body = request.json()
    presented = field_str(body, "refresh_token")
    if not presented:
        raise validation_failed("refresh_token required")
    if not is_refresh_token_format(presented):
        raise validation_failed("Refresh token is not valid")
    with app.connect() as conn:
        token = sessions.find_refresh_token(conn, presented)
        user = users.find_by_id(conn, token["user_id"]) if token else None
        if token is None or user is None:
            raise bad_request(
                "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"
            )
        if users.is_banned(user):
            raise bad_request("user_banned", "Invalid Refresh Token: User Banned")
        session = (
            sessions.find(conn, token["session_id"], for_update=True)
            if token["session_id"]
            else None
        )
        if session is None:
            raise bad_request("session_not_found", "Invalid Refresh Token: No Valid Session Found")
        token = sessions.find_refresh_token(conn, presented)  # again, now under the session lock
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
        response = signin.token_response(app, conn, user, session, issued)
    return json_response(response)


def pkce_grant(app, request):
    body = request.json()
    if not field_str(body, "auth_code") or not field_str(body, "code_verifier"):
        raise validation_failed(
            "invalid request: both auth code and code verifier should be non-empty"
        )
    # The local server never starts PKCE flows (its email links carry token hashes).
    raise not_found("flow_state_not_found", "invalid flow state, no valid flow state found")
