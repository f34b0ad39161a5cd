"""The HTTP layer: discovery endpoints, error shapes on the wire, binding, and ES256 mode."""

import json
import logging
import uuid

import httpx
import jwt
import pytest
from django.conf import settings

from localauth.server import LocalAuthConfig, LocalAuthServer
from localauth.tokens import generate_signing_jwk
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD, supabase_client
from tests.localauth.conftest import service_headers

VERSION = {"X-Supabase-Api-Version": "2024-01-01"}


def test_health_settings_and_jwks(api):
    health = api.get("/health").json()
    assert health["name"] == "GoTrue" and {"version", "description"} <= set(health)
    flags = api.get("/settings").json()
    assert flags["external"]["email"] is True and flags["disable_signup"] is True
    response = api.get("/.well-known/jwks.json")
    assert response.json() == {"keys": []}  # HS256: the secret is never published
    assert response.headers["cache-control"] == "public, max-age=600"


def test_error_shapes_with_and_without_the_version_header(api):
    response = api.get("/user", headers=VERSION)
    assert response.status_code == 401
    assert response.json() == {
        "code": "no_authorization",
        "message": "This endpoint requires a valid Bearer token",
    }
    assert response.headers["x-supabase-api-version"] == "2024-01-01"
    assert response.headers["x-sb-error-code"] == "no_authorization"

    response = api.get("/user")
    assert response.status_code == 401
    assert response.json() == {
        "code": 401,
        "error_code": "no_authorization",
        "msg": "This endpoint requires a valid Bearer token",
    }
    assert "x-supabase-api-version" not in response.headers
    assert response.headers["x-sb-error-code"] == "no_authorization"

    # An old version date means the legacy shape too.
    response = api.get("/user", headers={"X-Supabase-Api-Version": "2023-06-01"})
    assert response.json()["error_code"] == "no_authorization"


def test_bad_json_and_unknown_routes(api):
    response = api.post(
        "/token",
        params={"grant_type": "password"},
        content=b"{nope",
        headers={**VERSION, "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["code"] == "bad_json"
    assert response.json()["message"].startswith("Could not parse request body as JSON: ")
    response = api.post("/token", params={"grant_type": "password"}, json=["a", "list"])
    assert (response.status_code, response.json()["error_code"]) == (400, "bad_json")
    response = api.post(
        "/token", params={"grant_type": "password"}, json={"email": 42, "password": "x"}
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "bad_json")
    response = api.get("/no/such/thing", headers=VERSION)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not Found"}
    response = httpx.get(api.base_url.copy_with(path="/rest/v1/profiles"))
    assert response.status_code == 404
    response = api.delete("/health")
    assert response.status_code == 405


def test_an_oversized_body_is_refused(api):
    response = api.post(
        "/recover", content=b"x" * (1024 * 1024 + 1), headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["error_code"]) == (
        413,
        "request_entity_too_large",
    )


def test_unexpected_errors_are_500_without_a_traceback(api, auth_server, caplog):
    def broken(app, request):
        raise RuntimeError("secret internals")

    original = list(auth_server.app.routes)
    auth_server.app.routes = [
        (m, p, broken if p.pattern.startswith("/health") else h) for m, p, h in original
    ]
    try:
        with caplog.at_level(logging.ERROR, logger="localauth"):
            response = api.get("/health", headers=VERSION)
            legacy = api.get("/health")
    finally:
        auth_server.app.routes = original
    assert response.status_code == 500
    assert response.json() == {
        "code": "unexpected_failure",
        "message": "Unexpected failure, please check server logs for more information",
    }
    assert legacy.json()["code"] == 500 and legacy.json()["error_id"]
    assert "secret internals" not in response.text + legacy.text
    assert "Traceback" not in response.text + legacy.text
    assert any("unexpected failure" in r.getMessage() for r in caplog.records)
    assert api.get("/health").status_code == 200


def test_only_loopback_binds_are_allowed():
    config = LocalAuthConfig(dsn="dbname=unused", jwt_secret="s" * 40)
    for host in ("0.0.0.0", "localhost", "::", "192.0.2.1"):  # noqa: S104 - that is the point
        with pytest.raises(ValueError, match="only binds 127.0.0.1"):
            LocalAuthServer(config, host=host, port=0)


def test_the_request_log_holds_no_query_strings(api, caplog):
    with caplog.at_level(logging.DEBUG, logger="localauth"):
        api.get("/verify", params={"token": "SENSITIVE", "type": "recovery"})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "SENSITIVE" not in text
    assert "GET /auth/v1/verify" in text


@pytest.mark.django_db(transaction=True)
def test_es256_mode_publishes_the_key_and_signs_with_it(auth_server, make_user):
    jwk = generate_signing_jwk(kid=f"test-{uuid.uuid4().hex[:8]}")
    config = LocalAuthConfig(
        dsn=auth_server.config.dsn,
        jwt_secret=settings.SUPABASE_JWT_SECRET,
        outbox_dir=auth_server.config.outbox_dir,
        signing_jwk=jwk,
    )
    with LocalAuthServer(config, port=0) as es_server:
        keys = httpx.get(es_server.url + "/auth/v1/.well-known/jwks.json").json()["keys"]
        assert len(keys) == 1
        public = keys[0]
        assert public["kid"] == jwk["kid"] and public["kty"] == "EC" and public["crv"] == "P-256"
        assert public["alg"] == "ES256" and "d" not in public

        user = make_user()
        client = supabase_client(es_server.url, settings.SUPABASE_ANON_KEY)
        session = client.auth.sign_in_with_password(
            {"email": user.email, "password": DEFAULT_TEST_PASSWORD}
        ).session
        header = jwt.get_unverified_header(session.access_token)
        assert header == {"alg": "ES256", "kid": jwk["kid"], "typ": "JWT"}
        key = jwt.PyJWK.from_json(json.dumps(public))
        claims = jwt.decode(
            session.access_token,
            key.key,
            algorithms=["ES256"],
            audience="authenticated",
            issuer=es_server.url + "/auth/v1",
        )
        assert claims["sub"] == user.id
        # The secret no longer verifies it ...
        with pytest.raises(jwt.InvalidTokenError):
            jwt.decode(
                session.access_token,
                settings.SUPABASE_JWT_SECRET,
                algorithms=["HS256"],
                audience="authenticated",
            )
        # ... supabase-py verifies it against the JWKS, and the server accepts it.
        assert client.auth.get_claims(session.access_token)["claims"]["sub"] == user.id
        assert client.auth.get_user(session.access_token).user.id == user.id
        # The HS256 service-role key still works for the admin API.
        response = httpx.get(es_server.url + "/auth/v1/admin/users", headers=service_headers())
        assert response.status_code == 200
        # A token signed by another EC key with the same kid is refused.
        other = generate_signing_jwk(kid=jwk["kid"])
        forged = jwt.encode(
            claims,
            jwt.PyJWK.from_json(json.dumps(other)).key,
            algorithm="ES256",
            headers={"kid": jwk["kid"]},
        )
        response = httpx.get(
            es_server.url + "/auth/v1/user",
            headers={"Authorization": f"Bearer {forged}", **VERSION},
        )
        assert (response.status_code, response.json()["code"]) == (403, "bad_jwt")


def test_serve_forever_runs_in_the_foreground_until_stopped(auth_server):
    import threading

    server = LocalAuthServer(auth_server.config, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    assert httpx.get(server.url + "/auth/v1/health", timeout=5).status_code == 200
    server.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/auth/v1/health", timeout=2)
