"""Access tokens are verified locally: signature, expiry, audience, role, algorithm."""

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from console.auth.tokens import InvalidToken, verify_access_token
from tests.factories import claims_for

USER_ID = "8a0d1c9e-0000-4000-8000-000000000001"


def hs256(claims, secret=None, headers=None):
    return jwt.encode(
        claims, secret or settings.SUPABASE_JWT_SECRET, algorithm="HS256", headers=headers
    )


def test_a_valid_hs256_token_gives_its_claims():
    claims = verify_access_token(hs256(claims_for(USER_ID, "a@example.com")))
    assert claims["sub"] == USER_ID and claims["email"] == "a@example.com"


def test_an_expired_token_is_refused():
    expired = claims_for(USER_ID, exp=int(time.time()) - 5)
    with pytest.raises(InvalidToken, match="expired"):
        verify_access_token(hs256(expired))


def test_a_token_signed_with_another_secret_is_refused():
    with pytest.raises(InvalidToken):
        verify_access_token(hs256(claims_for(USER_ID), secret="not-the-project-secret-" * 2))


def test_a_forged_payload_is_refused():
    header, payload, signature = hs256(claims_for(USER_ID)).split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["sub"] = "00000000-0000-4000-8000-00000000beef"
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        verify_access_token(f"{header}.{forged_payload}.{signature}")


def test_alg_none_is_refused():
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = (
        base64.urlsafe_b64encode(json.dumps(claims_for(USER_ID)).encode()).rstrip(b"=").decode()
    )
    with pytest.raises(InvalidToken, match="not accepted"):
        verify_access_token(f"{header}.{payload}.")


def test_other_algorithms_are_refused():
    token = jwt.encode(claims_for(USER_ID), settings.SUPABASE_JWT_SECRET, algorithm="HS512")
    with pytest.raises(InvalidToken, match="not accepted"):
        verify_access_token(token)


def test_the_audience_must_be_authenticated():
    with pytest.raises(InvalidToken):
        verify_access_token(hs256(claims_for(USER_ID, aud="someone-else")))


def test_api_keys_are_not_user_tokens():
    """The service_role key verifies with the secret, but is no user's session."""
    with pytest.raises(InvalidToken):
        verify_access_token(settings.SUPABASE_SERVICE_ROLE_KEY)
    with pytest.raises(InvalidToken, match="authenticated role"):
        verify_access_token(hs256(claims_for(USER_ID, role="service_role")))


def test_garbage_is_refused():
    for token in ("", "abc", "a.b.c", "x" * 5000):
        with pytest.raises(InvalidToken):
            verify_access_token(token)


@pytest.fixture
def es256_server(auth_server_factory):
    """A local auth server that signs ES256 with a kid and publishes its JWKS."""
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key))
    jwk.update(kid="test-es256-key", alg="ES256", use="sig")
    return auth_server_factory(signing_jwk=jwk), key


def test_es256_tokens_verify_against_the_projects_jwks(es256_server, settings):
    server, key = es256_server
    settings.SUPABASE_JWKS_URL = f"{server.url}/auth/v1/.well-known/jwks.json"
    token = jwt.encode(
        claims_for(USER_ID), key, algorithm="ES256", headers={"kid": "test-es256-key"}
    )
    assert verify_access_token(token)["sub"] == USER_ID


def test_es256_with_an_unknown_key_or_kid_is_refused(es256_server, settings):
    server, _key = es256_server
    settings.SUPABASE_JWKS_URL = f"{server.url}/auth/v1/.well-known/jwks.json"
    stranger = ec.generate_private_key(ec.SECP256R1())
    wrong_key = jwt.encode(
        claims_for(USER_ID), stranger, algorithm="ES256", headers={"kid": "test-es256-key"}
    )
    unknown_kid = jwt.encode(
        claims_for(USER_ID), stranger, algorithm="ES256", headers={"kid": "nobody-knows"}
    )
    for token in (wrong_key, unknown_kid):
        with pytest.raises(InvalidToken):
            verify_access_token(token)


def test_a_token_from_another_issuer_is_refused():
    other = claims_for(USER_ID, "a@example.com", iss="https://someone-else.supabase.co/auth/v1")
    with pytest.raises(InvalidToken, match="issuer|iss"):
        verify_access_token(hs256(other))
    missing = claims_for(USER_ID, "a@example.com")
    del missing["iss"]
    with pytest.raises(InvalidToken):
        verify_access_token(hs256(missing))


def test_the_issuer_is_supabase_urls_auth_endpoint_unless_configured(settings):
    settings.SUPABASE_URL = "https://abc.supabase.co"
    claims = claims_for(USER_ID, "a@example.com")
    assert claims["iss"] == "https://abc.supabase.co/auth/v1"
    assert verify_access_token(hs256(claims))["sub"] == USER_ID
    settings.SUPABASE_JWT_ISSUER = "https://auth.example.com/auth/v1"
    with pytest.raises(InvalidToken):
        verify_access_token(hs256(claims))
    claims["iss"] = "https://auth.example.com/auth/v1"
    assert verify_access_token(hs256(claims))["sub"] == USER_ID


def test_an_hs256_token_with_a_kid_is_verified_with_the_secret():
    # A legacy JWT secret imported as a signing key: HS256 tokens then carry its key id.
    token = hs256(claims_for(USER_ID, "a@example.com"), headers={"kid": "legacy-hs256-key"})
    assert verify_access_token(token)["sub"] == USER_ID
