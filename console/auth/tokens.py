"""Local verification of Supabase access tokens.

HS256 tokens are checked with SUPABASE_JWT_SECRET: the legacy JWT secret, or a shared-secret
signing key (which signs HS256 with a `kid`; symmetric keys are never published in the JWKS,
so the secret must be configured). ES256 and RS256 tokens with the public key of their `kid`
from the project's JWKS. Signature, expiry, audience, issuer and the `authenticated` role are
all required; `alg: none`, other algorithms, a wrong key or a forged payload are refused.

The JWKS is kept JWKS_LIFETIME (10 minutes, as Supabase's clients cache it) and then fetched
again; a key removed from it (revoked) stops being trusted then, tokens already verified with
it included. A `kid` the cached set lacks (a new key) fetches it again at once, at most once
per UNKNOWN_KID_REFETCH_SECONDS per URL, so forged kids cannot make every request fetch.
"""

import functools
import logging
import threading
import time

import httpx
import jwt
from django.conf import settings

logger = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = ("ES256", "RS256")
JWKS_LIFETIME = 600
UNKNOWN_KID_REFETCH_SECONDS = 30


class InvalidToken(Exception):
    """The access token cannot be trusted; the session must end."""


class AuthUnavailable(Exception):
    """Supabase Auth did not answer, and the access token cannot be used without it."""


def _clock() -> float:
    return time.monotonic()


class KeySet:
    """One JWKS URL's public keys by kid."""

    def __init__(self, url: str):
        self.url = url
        self.keys: dict[str, jwt.PyJWK] = {}
        self.generation = 0  # bumped by every fetch; verified tokens are remembered per fetch
        self.fetched_at: float | None = None
        self.tried_at: float | None = None
        self.unknown_kid_at: float | None = None  # the last fetch an unknown kid caused
        self._lock = threading.Lock()

    def current(self) -> int:
        """The key set's generation, fetched again once it is older than JWKS_LIFETIME."""
        with self._lock:
            now = _clock()
            if self.fetched_at is None or now - self.fetched_at >= JWKS_LIFETIME:
                self._fetch(now, keep_stale=True)
            return self.generation

    def key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            if kid not in self.keys:
                now = _clock()
                last = self.unknown_kid_at
                if last is None or now - last >= UNKNOWN_KID_REFETCH_SECONDS:
                    self.unknown_kid_at = now
                    self._fetch(now, keep_stale=False)
            if kid not in self.keys:
                raise InvalidToken(f"no key with kid {kid!r} in the project's JWKS")
            return self.keys[kid]

    def _fetch(self, now: float, *, keep_stale: bool) -> None:
        self.tried_at = now
        try:
            # Not through the circuit breaker: it keeps its state in the database, and a
            # fetch happens at most every few minutes.
            response = httpx.get(self.url, timeout=settings.SUPABASE_TIMEOUT)
            response.raise_for_status()
            keys = {}
            for data in response.json().get("keys", []):
                try:
                    key = jwt.PyJWK.from_dict(data)
                except jwt.PyJWTError:
                    continue  # a symmetric or unknown key type: not ours to use
                if key.key_id:
                    keys[key.key_id] = key
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            if keep_stale and self.fetched_at is not None:
                # Auth is away: the keys it published last stay in use until it answers
                # (a revocation cannot be learnt from it meanwhile either).
                logger.warning("could not fetch the JWKS again (%s); keeping the last one", exc)
                return
            raise AuthUnavailable(f"could not fetch the project's JWKS: {exc}") from exc
        self.keys = keys
        self.fetched_at = now
        self.generation += 1


_key_sets: dict[str, KeySet] = {}
_key_sets_lock = threading.Lock()


def key_set(url: str) -> KeySet:
    with _key_sets_lock:
        if url not in _key_sets:
            _key_sets[url] = KeySet(url)
        return _key_sets[url]


def expected_issuer() -> str:
    """Supabase Auth's issuer: `<SUPABASE_URL>/auth/v1` unless SUPABASE_JWT_ISSUER says
    otherwise (a custom domain)."""
    return settings.SUPABASE_JWT_ISSUER or f"{settings.SUPABASE_URL}/auth/v1"


def _header(token: str) -> dict:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed token: {exc}") from exc


def _key_for(header: dict):
    alg = header.get("alg")
    if alg == "HS256":
        if not settings.SUPABASE_JWT_SECRET:
            logger.error(
                "Supabase Auth signs with a shared secret (HS256%s) but SUPABASE_JWT_SECRET "
                "is not set: no session can be verified. Set it to the project's JWT secret.",
                f", kid {header['kid']}" if header.get("kid") else "",
            )
            raise InvalidToken("HS256 token but no SUPABASE_JWT_SECRET configured")
        return settings.SUPABASE_JWT_SECRET, ["HS256"]
    if alg in ASYMMETRIC_ALGORITHMS:
        kid = header.get("kid")
        if not kid or not isinstance(kid, str):
            raise InvalidToken("asymmetric token without a key id")
        return key_set(settings.SUPABASE_JWKS_URL).key(kid).key, [alg]
    raise InvalidToken(f"algorithm {alg!r} is not accepted")


def verify_access_token(token: str) -> dict:
    """Return the verified claims of a user's access token, or raise InvalidToken
    (AuthUnavailable when the project's JWKS cannot be fetched at all).

    A token already verified (every request of a session brings the same one until it is
    refreshed) is not verified again while the key set it was verified with is current; its
    expiry is checked every time."""
    header = _header(token)
    generation = 0
    if header.get("alg") in ASYMMETRIC_ALGORITHMS:
        generation = key_set(settings.SUPABASE_JWKS_URL).current()
    claims = _verified(
        token,
        settings.SUPABASE_JWT_SECRET,
        settings.SUPABASE_JWKS_URL,
        settings.SUPABASE_JWT_AUDIENCE,
        expected_issuer(),
        generation,
    )
    if claims["exp"] <= time.time():
        raise InvalidToken("token expired")
    return dict(claims)


@functools.lru_cache(maxsize=1024)
def _verified(token: str, _secret, _jwks_url, _audience, _issuer, _generation) -> dict:
    """verify(token), remembered for the settings and key set it was verified with (an
    exception is never remembered)."""
    return _verify(token)


def _verify(token: str) -> dict:
    header = _header(token)
    key, algorithms = _key_for(header)
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
    except jwt.InvalidSignatureError as exc:
        if header.get("alg") == "HS256" and header.get("kid"):
            logger.error(
                "an HS256 token with kid %s does not verify with SUPABASE_JWT_SECRET: if the "
                "project signs with a new shared-secret key, set SUPABASE_JWT_SECRET to it",
                header["kid"],
            )
        raise InvalidToken(f"token rejected: {exc}") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"token rejected: {exc}") from exc
    if claims.get("role") != "authenticated":
        raise InvalidToken("only user tokens with the authenticated role are accepted")
    return claims
