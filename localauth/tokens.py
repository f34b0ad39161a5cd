"""Token material: access-token JWTs (HS256 or ES256), refresh tokens, email OTPs and their hashes.

Access tokens carry GoTrue's claim set (internal/tokens/service.go). With no signing key they are
HS256 with the JWT secret and no `kid`, like a project on the legacy secret; with an EC P-256
private JWK they are ES256 with its `kid`, and the public half is published in the JWKS.
"""

import hashlib
import json
import secrets
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from localauth.errors import AuthError, forbidden

REFRESH_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
REFRESH_TOKEN_LENGTH = 12
OTP_LENGTH = 6
AAL2_METHODS = ("totp", "mfa/phone", "mfa/webauthn")  # AMRClaim.IsAAL2Claim
NIL_UUID = "00000000-0000-0000-0000-000000000000"


def new_refresh_token() -> str:
    return "".join(secrets.choice(REFRESH_TOKEN_ALPHABET) for _ in range(REFRESH_TOKEN_LENGTH))


def is_refresh_token_format(token: str) -> bool:
    return len(token) == REFRESH_TOKEN_LENGTH and all(c in REFRESH_TOKEN_ALPHABET for c in token)


def new_otp() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(OTP_LENGTH))


def token_hash(email_or_phone: str, otp: str) -> str:
    """GoTrue's `crypto.GenerateTokenHash`: hex(sha224(email + otp))."""
    return hashlib.sha224((email_or_phone + otp).encode()).hexdigest()


# --- signing keys ---------------------------------------------------------------------------


def generate_signing_jwk(kid: str | None = None) -> dict:
    """A fresh EC P-256 private JWK usable as `LocalAuthConfig.signing_jwk`."""
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = ECAlgorithm.to_jwk(key, as_dict=True)
    jwk.update(
        {
            "kid": kid or str(uuid.uuid4()),
            "alg": "ES256",
            "use": "sig",
            "key_ops": ["sign", "verify"],
        }
    )
    return jwk


def _private_key(signing_jwk: dict):
    return ECAlgorithm.from_jwk(json.dumps(signing_jwk))


def public_jwk(signing_jwk: dict) -> dict:
    """The public half of a signing JWK, as GoTrue lists it in /.well-known/jwks.json."""
    public = ECAlgorithm.to_jwk(_private_key(signing_jwk).public_key(), as_dict=True)
    return {
        "kty": public["kty"],
        "crv": public["crv"],
        "x": public["x"],
        "y": public["y"],
        "kid": signing_jwk["kid"],
        "alg": "ES256",
        "use": "sig",
        "key_ops": ["verify"],
    }


def jwks(signing_jwk: dict | None) -> dict:
    # HMAC secrets are never published, so a server on the legacy secret lists no keys.
    return {"keys": [public_jwk(signing_jwk)] if signing_jwk else []}


# --- access tokens --------------------------------------------------------------------------


def aal_of(amr: list[dict]) -> str:
    """Session.CalculateAALAndAMR (internal/models/sessions.go): aal2 once a second factor was
    verified in the session, on every token of it, refreshed ones included."""
    return "aal2" if any(entry["method"] in AAL2_METHODS for entry in amr) else "aal1"


def access_token_claims(
    *,
    issuer: str,
    user: dict,
    session_id: str,
    amr: list[dict],
    lifetime: int,
    now: int | None = None,
) -> dict:
    iat = int(now if now is not None else time.time())
    return {
        "iss": issuer,
        "sub": str(user["id"]),
        "aud": user["aud"] or "authenticated",
        "exp": iat + int(lifetime),
        "iat": iat,
        "email": user["email"] or "",
        "phone": user["phone"] or "",
        "app_metadata": user["raw_app_meta_data"] or {},
        "user_metadata": user["raw_user_meta_data"] or {},
        "role": user["role"] or "",
        "aal": aal_of(amr),
        "amr": amr,
        "session_id": str(session_id),
        "is_anonymous": bool(user["is_anonymous"]),
    }


def sign(claims: dict, jwt_secret: str, signing_jwk: dict | None) -> str:
    if signing_jwk:
        return jwt.encode(
            claims,
            _private_key(signing_jwk),
            algorithm="ES256",
            headers={"kid": signing_jwk["kid"], "typ": "JWT"},
        )
    return jwt.encode(claims, jwt_secret, algorithm="HS256", headers={"typ": "JWT"})


def _bad_jwt(detail: str) -> AuthError:
    return forbidden("bad_jwt", f"invalid JWT: unable to parse or verify signature, {detail}")


def verify(token: str, jwt_secret: str, signing_jwk: dict | None) -> dict:
    """Claims of a bearer token, verified as GoTrue does; raises 403 bad_jwt otherwise.

    A `kid` naming the signing key selects it; otherwise (no kid, or an unknown one) an HS256
    token is checked against the legacy secret. `exp` is enforced, `aud` is not.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise _bad_jwt(f"token is malformed: {exc}") from None
    alg, kid = header.get("alg"), header.get("kid")
    if signing_jwk and kid == signing_jwk.get("kid") and alg == "ES256":
        key, algorithms = _private_key(signing_jwk).public_key(), ["ES256"]
    elif alg == "HS256":
        key, algorithms = jwt_secret, ["HS256"]
    else:
        raise _bad_jwt(f"token is unverifiable: signing method {alg} is invalid")
    try:
        claims = jwt.decode(
            token, key, algorithms=algorithms, options={"verify_aud": False, "verify_iss": False}
        )
    except jwt.ExpiredSignatureError:
        raise _bad_jwt("token has invalid claims: token is expired") from None
    except jwt.InvalidSignatureError:
        raise _bad_jwt("token signature is invalid: signature is invalid") from None
    except jwt.PyJWTError as exc:
        raise _bad_jwt(f"token is malformed: {exc}") from None
    if not isinstance(claims, dict):
        raise _bad_jwt("token is malformed: claims are not an object")
    return claims
