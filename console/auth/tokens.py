"""Local verification of Supabase access tokens.

HS256 tokens are checked with the project's JWT secret (legacy keys); ES256 and RS256 tokens
with the public key of their `kid` from the project's JWKS (cached). Signature, expiry,
audience, issuer and the `authenticated` role are all required; `alg: none`, other algorithms, a
wrong key or a forged payload are refused.
"""

import functools
import time

import jwt
from django.conf import settings

ASYMMETRIC_ALGORITHMS = ("ES256", "RS256")


class InvalidToken(Exception):
    """The access token cannot be trusted; the session must end."""


@functools.cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=600, timeout=settings.SUPABASE_TIMEOUT)


def expected_issuer() -> str:
    """Supabase Auth's issuer: `<SUPABASE_URL>/auth/v1` unless SUPABASE_JWT_ISSUER says
    otherwise (a custom domain)."""
    return settings.SUPABASE_JWT_ISSUER or f"{settings.SUPABASE_URL}/auth/v1"


def _key_for(token: str, header: dict):
    alg = header.get("alg")
    # HS256 with or without a `kid`: a legacy secret imported as a signing key keeps signing
    # with the same secret, and symmetric keys are never published in the JWKS.
    if alg == "HS256":
        if not settings.SUPABASE_JWT_SECRET:
            raise InvalidToken("HS256 token but no SUPABASE_JWT_SECRET configured")
        return settings.SUPABASE_JWT_SECRET, ["HS256"]
    if alg in ASYMMETRIC_ALGORITHMS:
        if not header.get("kid"):
            raise InvalidToken("asymmetric token without a key id")
        try:
            signing_key = _jwks_client(settings.SUPABASE_JWKS_URL).get_signing_key_from_jwt(token)
        except jwt.PyJWKClientError as exc:
            raise InvalidToken(f"no usable key in the project's JWKS: {exc}") from exc
        return signing_key.key, [alg]
    raise InvalidToken(f"algorithm {alg!r} is not accepted")


def verify_access_token(token: str) -> dict:
    """Return the verified claims of a user's access token, or raise InvalidToken.

    A token already verified (every request of a session brings the same one until it is
    refreshed) is not verified again; its expiry is checked every time."""
    claims = _verified(
        token,
        settings.SUPABASE_JWT_SECRET,
        settings.SUPABASE_JWKS_URL,
        settings.SUPABASE_JWT_AUDIENCE,
        expected_issuer(),
    )
    if claims["exp"] <= time.time():
        raise InvalidToken("token expired")
    return dict(claims)


@functools.lru_cache(maxsize=1024)
def _verified(token: str, _secret, _jwks_url, _audience, _issuer) -> dict:
    """verify(token), remembered for the settings it was verified with (an exception is
    never remembered)."""
    return _verify(token)


def _verify(token: str) -> dict:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed token: {exc}") from exc
    key, algorithms = _key_for(token, header)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.SUPABASE_JWT_AUDIENCE,
            issuer=expected_issuer(),
            options={"require": ["exp", "iat", "sub", "aud", "role", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"token rejected: {exc}") from exc
    if claims.get("role") != "authenticated":
        raise InvalidToken("only user tokens with the authenticated role are accepted")
    return claims
