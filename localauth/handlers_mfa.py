"""Multi-factor authentication with TOTP: /factors for the signed-in user and the admin's
/admin/users/{id}/factors (internal/api/mfa.go, admin.go; routes in internal/api/api.go).

As GoTrue: every /factors route runs requireAuthentication and requireNotAnonymous, the
/factors/{factor_id} ones loadFactor (internal/api/middleware.go). Phone and WebAuthn factors
are off, as they are by default on a project.
"""

import ipaddress
import uuid
from urllib.parse import urlsplit

from localauth import factors, sessions, signin, tokens, totp, users
from localauth.app import field_str, json_response
from localauth.errors import bad_request, forbidden, not_found, unprocessable
from localauth.guards import require_admin, require_user

TOO_MANY = "Maximum number of verified factors reached, unenroll to continue"


def _caller(app, request, conn):
    """requireAuthentication + requireNotAnonymous (internal/api/auth.go)."""
    caller = require_user(app, request, conn)
    if caller.claims.get("is_anonymous"):
        raise forbidden("no_authorization", "Anonymous user not allowed to perform these actions")
    return caller


def _load_factor(conn, user_id, factor_id: str) -> dict:
    """middleware.go loadFactor: the factor must belong to the user in the path or token."""
    try:
        parsed = uuid.UUID(factor_id)
    except ValueError:
        raise not_found("validation_failed", "factor_id must be an UUID") from None
    factor = factors.find_owned(conn, user_id, parsed)
    if factor is None:
        raise not_found("mfa_factor_not_found", "Factor not found")
    return factor


def _require_session(caller, action: str) -> dict:
    # GoTrue answers a token without a session with a 500; the local server says why instead.
    if caller.session is None:
        raise forbidden(
            "session_not_found", f"A valid session and a registered user are required to {action}"
        )
    return caller.session


def _client_ip(request) -> str:
    # A request handed to AuthApp without a socket has none; the challenge's column is NOT NULL.
    return request.client_ip or "127.0.0.1"


# mfa.go EnrollFactor, enrollTOTPFactor, validateFactors
def enroll(app, request):
    with app.connect() as conn:
        caller = _caller(app, request, conn)
        session = _require_session(caller, "enroll a factor")
        body = request.json()
        friendly_name = field_str(body, "friendly_name")
        factor_type, issuer = field_str(body, "factor_type"), field_str(body, "issuer")
        field_str(body, "phone")  # a string, or bad_json, whatever the factor type
        if factor_type == "phone":
            raise unprocessable("mfa_phone_enroll_not_enabled", "MFA enroll is disabled for Phone")
        if factor_type == "webauthn":
            raise unprocessable(
                "mfa_webauthn_enroll_not_enabled", "MFA enroll is disabled for WebAuthn"
            )
        if factor_type != "totp":
            raise bad_request(
                "validation_failed", "factor_type needs to be totp, phone, or webauthn"
            )
        issuer = issuer or urlsplit(app.config.site_url).netloc
        factors.delete_expired_unverified(conn)
        existing = factors.for_user(conn, caller.user["id"])
        if any((f["friendly_name"] or "") == friendly_name for f in existing):
            raise unprocessable(
                "mfa_factor_name_conflict",
                f'A factor with the friendly name "{friendly_name}" for this user already exists',
            )
        verified = sum(1 for f in existing if f["status"] == "verified")
        if len(existing) >= factors.MAX_ENROLLED or verified >= factors.MAX_VERIFIED:
            raise unprocessable("too_many_enrolled_mfa_factors", TOO_MANY)
        if verified and session["aal"] != "aal2":
            raise forbidden("insufficient_aal", "AAL2 required to enroll a new factor")
        if not caller.user["email"]:
            # pquerna/otp needs an account name; GoTrue fails with a 500 here.
            raise unprocessable(
                "validation_failed", "A TOTP factor needs a user with an email address"
            )
        secret = totp.new_secret()
        uri = totp.provisioning_uri(issuer=issuer, account=caller.user["email"], secret=secret)
        factor = factors.create_totp(
            conn, caller.user["id"], friendly_name=friendly_name, secret=secret
        )
    return json_response(
        {
            "id": str(factor["id"]),
            "type": "totp",
            "friendly_name": factor["friendly_name"] or "",
            # Raw SVG markup, not a data URI: the clients prefix `data:image/svg+xml;utf-8,`.
            "totp": {"qr_code": totp.qr_svg(uri), "secret": secret, "uri": uri},
        }
    )


# mfa.go ChallengeFactor, challengeTOTPFactor (a TOTP challenge reads no body)
def challenge(app, request, factor_id):
    with app.connect() as conn:
        caller = _caller(app, request, conn)
        factor = _load_factor(conn, caller.user["id"], factor_id)
        row = factors.create_challenge(conn, factor, _client_ip(request))
    return json_response(
        {
            "id": str(row["id"]),
            "type": factor["factor_type"],
            "expires_at": int(factors.challenge_expires_at(row).timestamp()),
        }
    )


def _challenge_id(body: dict) -> uuid.UUID:
    """VerifyFactorParams.ChallengeID is a uuid.UUID: other text fails JSON decoding."""
    value = body.get("challenge_id")
    if value is None:
        return uuid.UUID(int=0)
    try:
        if not isinstance(value, str):
            raise ValueError(f"cannot unmarshal {type(value).__name__} into a UUID")
        return uuid.UUID(value)
    except ValueError as exc:
        raise bad_request(
            "bad_json", f"Could not parse request body as JSON: uuid: {exc}"
        ) from None


def _valid_challenge(conn, request, factor: dict, challenge_id) -> dict:
    """mfa.go validateChallenge."""
    row = factors.find_challenge(conn, factor, challenge_id)
    if row is None:
        raise unprocessable(
            "mfa_factor_not_found", "MFA factor with the provided challenge ID not found"
        )
    if row["verified_at"] is not None or not _same_ip(row["ip"], _client_ip(request)):
        raise unprocessable(
            "mfa_ip_address_mismatch", "Challenge and verify IP addresses mismatch."
        )
    if users.now() > factors.challenge_expires_at(row):
        factors.delete_challenge(conn, row)
        conn.commit()
        raise unprocessable(
            "mfa_challenge_expired",
            f"MFA challenge {row['id']} has expired, verify against another challenge or "
            "create a new challenge.",
        )
    return row


def _same_ip(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a == b


# mfa.go VerifyFactor, verifyTOTPFactor; token.go updateMFASessionAndClaims
def verify(app, request, factor_id):
    with app.connect() as conn:
        caller = _caller(app, request, conn)
        factor = _load_factor(conn, caller.user["id"], factor_id)
        body = request.json()
        code = field_str(body, "code")
        challenge_id = _challenge_id(body)
        if not code:
            raise bad_request("validation_failed", "Code needs to be non-empty")
        session = _require_session(caller, "verify a factor")
        row = _valid_challenge(conn, request, factor, challenge_id)
        if not totp.is_valid(code, factor["secret"]):
            raise unprocessable("mfa_verification_failed", "Invalid TOTP code entered")
        factors.mark_verified(conn, factor, row)
        response = _raise_session(app, conn, caller.user["id"], session, factor)
        factors.end_sessions_below_aal2(conn, caller.user["id"])
        factors.delete_unverified(conn, caller.user["id"], factor["factor_type"])
    return json_response(response)


def _raise_session(app, conn, user_id, session: dict, factor: dict) -> dict:
    """updateMFASessionAndClaims: the method joins the session's amr, its refresh token is
    swapped for a child, its aal recalculated (CalculateAALAndAMR) and a new token issued."""
    factors.add_amr_claim(conn, session["id"], factors.AMR_METHOD[factor["factor_type"]])
    session = sessions.find(conn, session["id"], for_update=True)
    current = sessions.active_refresh_token(conn, session["id"])
    if current is not None:
        sessions.revoke(conn, current["id"])
    refresh_token = sessions.issue_refresh_token(
        conn, user_id, session["id"], parent=current["token"] if current else None
    )
    aal = tokens.aal_of(sessions.amr(conn, session))
    factors.set_session_aal(conn, session["id"], aal, factor["id"])
    user = users.find_by_id(conn, user_id)
    return signin.token_response(app, conn, user, session, refresh_token)


# mfa.go UnenrollFactor
def unenroll(app, request, factor_id):
    with app.connect() as conn:
        caller = _caller(app, request, conn)
        factor = _load_factor(conn, caller.user["id"], factor_id)
        session = _require_session(caller, "unenroll a factor")
        if factor["status"] == "verified" and session["aal"] != "aal2":
            raise unprocessable("insufficient_aal", "AAL2 required to unenroll verified factor")
        factors.delete(conn, factor)
        factors.downgrade_sessions(conn, factor)
    return json_response({"id": str(factor["id"])})


def _load_user(conn, user_id: str) -> dict:
    """admin.go loadUser."""
    try:
        parsed = uuid.UUID(user_id)
    except ValueError:
        raise not_found("validation_failed", "user_id must be an UUID") from None
    user = users.find_by_id(conn, parsed)
    if user is None:
        raise not_found("user_not_found", "User not found")
    return user


# admin.go adminUserGetFactors
def admin_list_factors(app, request, user_id):
    with app.connect() as conn:
        require_admin(app, request, conn)
        user = _load_user(conn, user_id)
        return json_response(factors.user_factors_json(conn, user["id"]))


# admin.go adminUserDeleteFactor: the deleted factor's JSON
def admin_delete_factor(app, request, user_id, factor_id):
    with app.connect() as conn:
        require_admin(app, request, conn)
        user = _load_user(conn, user_id)
        factor = _load_factor(conn, user["id"], factor_id)
        factors.delete(conn, factor)
        factors.downgrade_sessions(conn, factor)
    return json_response(factors.factor_json(factor))
