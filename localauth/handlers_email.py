"""Email flows: POST /recover, POST /otp, POST/GET /verify, and POST /signup (disabled)
(internal/api/recover.go, otp.go, verify.go, signup.go).

Emails land in the outbox (localauth.outbox) with a `token_hash` link; /verify exchanges the
hash (or email + 6-digit code) for a session.
"""

from datetime import timedelta
from urllib.parse import urlencode

from localauth import guards, mailer, otp, passwords, signin, tokens, users
from localauth.app import Response, field_str, json_response
from localauth.errors import AuthError, bad_request, forbidden, unprocessable, validation_failed

LINK_EXPIRED = "Email link is invalid or has expired"
TOKEN_EXPIRED = "Token has expired or is invalid"
_OAUTH_ERRORS = {
    400: "invalid_request",
    401: "unauthorized_client",
    403: "access_denied",
    500: "server_error",
    503: "temporarily_unavailable",
}


def _check_pkce(body: dict) -> None:
    if bool(field_str(body, "code_challenge")) != bool(field_str(body, "code_challenge_method")):
        raise validation_failed("PKCE flow requires code_challenge_method and code_challenge")


def _check_send_frequency(app, sent_at) -> None:
    frequency = int(getattr(app.config, "email_frequency", 0) or 0)
    if frequency and sent_at is not None:
        wait = (sent_at + timedelta(seconds=frequency) - users.now()).total_seconds()
        if wait > 0:
            raise AuthError(
                429,
                "over_email_send_rate_limit",
                f"For security purposes, you can only request this after {int(wait) + 1} seconds.",
            )


def _send_token_email(app, request, email: str, kind: str, verification_type: str) -> bool:
    """Issue a token of `kind` for the user with `email` and mail it after the commit.
    False when there is no such user."""
    with app.connect() as conn:
        user = users.find_by_email(conn, email)
        if user is None:
            return False
        _check_send_frequency(app, user[f"{kind}_sent_at"])
        user, code, hashed = otp.issue(conn, user, kind)
    redirect_url = mailer.redirect_for(app.config, request.query.get("redirect_to"))
    mailer.send(
        app.config.outbox_dir,
        to=email,
        verification_type=verification_type,
        hashed=hashed,
        otp=code,
        redirect_url=redirect_url,
        link_style=app.config.email_links,
        api_url=app.api_url,
    )
    return True


def recover(app, request):
    body = request.json()
    guards.require_captcha(app, request, body)  # api.go: /recover goes through verifyCaptcha
    email = field_str(body, "email")
    if not email:
        raise validation_failed("Password recovery requires an email")
    email = users.validate_email(email)
    _check_pkce(body)
    # The same answer whether or not the address exists: no account enumeration.
    _send_token_email(app, request, email, otp.RECOVERY, "recovery")
    return json_response({})


def send_otp(app, request):
    body = request.json()
    guards.require_captcha(app, request, body)  # api.go: /otp, /magiclink: verifyCaptcha
    email, phone = field_str(body, "email"), field_str(body, "phone")
    if email and phone:
        raise validation_failed("Only an email address or phone number should be provided")
    if phone:
        raise bad_request("phone_provider_disabled", "Unsupported phone provider")
    if field_str(body, "channel"):
        raise validation_failed("Channel should only be specified with Phone OTP")
    email = users.validate_email(email)
    _check_pkce(body)
    if not _send_token_email(app, request, email, otp.RECOVERY, "magiclink"):
        # Sign-ups are disabled on the local server, so OTP cannot create users.
        raise unprocessable("otp_disabled", "Signups not allowed for otp")
    return json_response({})


def signup(app, request):
    guards.require_captcha(app, request, request.optional_json())  # api.go: verifyCaptcha
    raise unprocessable("signup_disabled", "Signups not allowed for this instance")


# --- verification ---------------------------------------------------------------------------


def _find_by_email_and_code(conn, email: str, hashed: str, verification_type: str, lifetime: int):
    user = users.find_by_email(conn, email)
    if user is None:
        raise forbidden("otp_expired", TOKEN_EXPIRED)
    if users.is_banned(user):
        raise forbidden("user_banned", "User is banned")
    for kind in otp.KINDS_FOR_TYPE[verification_type]:
        if user[f"{kind}_token"] == hashed and not otp.is_expired(user, kind, lifetime):
            return users.find_by_id(conn, user["id"], for_update=True), kind
    raise forbidden("otp_expired", TOKEN_EXPIRED)


def _complete(app, request, conn, user: dict, kind: str, verification_type: str) -> dict:
    """Apply the verification (confirm / recover) and sign the user in (amr "otp")."""
    if verification_type == "email":
        verification_type = "signup" if kind == otp.CONFIRMATION else "magiclink"
    if verification_type in ("signup", "invite"):
        if not user["encrypted_password"] and user["invited_at"] is not None:
            # GoTrue sets a random password; the app then asks the user to choose one.
            user = users.set_password(
                conn, user, passwords.hash_password(passwords.random_password())
            )
        user = users.confirm_email(conn, user)
        users.update_identity_data(conn, user["id"], "email", {"email_verified": True})
    else:
        users.clear_one_time_tokens(conn, user["id"])
        user = users.update(conn, user["id"], recovery_token="")
        if user["email_confirmed_at"] is None:
            user = users.confirm_email(conn, user)
    return signin.sign_in(app, conn, user, method="otp", request=request)


def _verify(app, request, *, verification_type: str, hashed: str, email: str = "") -> dict:
    lifetime = int(app.config.otp_lifetime)
    with app.connect() as conn:
        if email:
            user, kind = _find_by_email_and_code(conn, email, hashed, verification_type, lifetime)
        else:
            found = otp.find_user_by_hash(conn, hashed, otp.KINDS_FOR_TYPE[verification_type])
            if found is None:
                raise forbidden("otp_expired", LINK_EXPIRED)
            user, kind = found
            if users.is_banned(user):
                raise forbidden("user_banned", "User is banned")
            if otp.is_expired(user, kind, lifetime):
                raise forbidden("otp_expired", LINK_EXPIRED)
        return _complete(app, request, conn, user, kind, verification_type)


def verify_post(app, request):
    body = request.json()
    verification_type = field_str(body, "type")
    code, hashed = field_str(body, "token"), field_str(body, "token_hash")
    email, phone = field_str(body, "email"), field_str(body, "phone")
    if not verification_type:
        raise validation_failed("Verify requires a verification type")
    if bool(code) == bool(hashed):
        raise validation_failed("Verify requires either a token or a token hash")
    if code:
        if phone and not email:
            raise forbidden("otp_expired", TOKEN_EXPIRED)  # no SMS on the local server
        if not email or phone:
            raise validation_failed(
                "Only an email address or phone number should be provided on verify"
            )
        try:
            email = users.validate_email(email)
        except AuthError:
            raise AuthError(422, "validation_failed", "Invalid email format") from None
        hashed = tokens.token_hash(email, code.replace("-", ""))
    elif email or phone or field_str(body, "redirect_to"):
        raise validation_failed("Only the token_hash and type should be provided")
    if verification_type == "email_change":
        raise forbidden("otp_expired", LINK_EXPIRED if not code else TOKEN_EXPIRED)
    if verification_type not in otp.KINDS_FOR_TYPE:
        if code:
            raise validation_failed("Unsupported verification type")
        raise validation_failed("Invalid email verification type")
    session = _verify(
        app,
        request,
        verification_type=verification_type,
        hashed=hashed,
        email=email if code else "",
    )
    return json_response(session)


def verify_get(app, request):
    """The `action_link` of generate_link: verify, then 303 to redirect_to with the session
    (or the error) in the fragment, as GoTrue's implicit flow does."""
    verification_type = request.query.get("type", "")
    hashed = request.query.get("token", "")
    if not verification_type:
        raise validation_failed("Verify requires a verification type")
    if not hashed:
        raise validation_failed("Verify requires a token or a token hash")
    redirect_url = mailer.redirect_for(app.config, request.query.get("redirect_to"))
    try:
        if verification_type not in otp.KINDS_FOR_TYPE:
            raise validation_failed("Invalid email verification type")
        session = _verify(app, request, verification_type=verification_type, hashed=hashed)
    except AuthError as error:
        fragment = {"error_code": error.code, "error_description": error.message}
        if error.status in _OAUTH_ERRORS:
            fragment = {"error": _OAUTH_ERRORS[error.status], **fragment}
        location = redirect_url.split("#")[0] + "#" + urlencode(fragment) + "&sb="
    else:
        fragment = {
            "access_token": session["access_token"],
            "expires_at": session["expires_at"],
            "expires_in": session["expires_in"],
            "refresh_token": session["refresh_token"],
            "token_type": "bearer",
            "type": verification_type,
        }
        location = redirect_url.split("#")[0] + "#" + urlencode(fragment) + "&sb="
    return Response(303, b"", {"Location": location})
