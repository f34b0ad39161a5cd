"""The console against Supabase Auth's stricter behaviours, as the local auth server now has
them (tests/localauth/test_like_gotrue.py): refreshes refused for the moment (429, 409, 5xx)
keep the session; a project with CAPTCHA says so; default-template email links land; the
client IP is forwarded only with a secret key; the JWKS is cached for a limited time."""

import json
import logging
import time
from types import SimpleNamespace
from urllib.parse import parse_qs

import httpx
import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import checks
from django.db import connection
from django.test import Client
from django.urls import reverse
from supabase_auth.errors import AuthApiError, AuthRetryableError

from console.auth import session as session_store
from console.auth import tokens as console_tokens
from localauth.outbox import latest_link
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_KEY = "sb_secret_console_test_" + "s" * 24
CAPTCHA_WORDS = "requires a CAPTCHA"


def sign_in(client, email, password=DEFAULT_TEST_PASSWORD, **extra):
    return client.post(reverse("console:login"), {"email": email, "password": password}, **extra)


def stored(client):
    """The Supabase tokens the client's Django session holds (None once it has ended)."""
    return session_store.load(SimpleNamespace(session=client.session))


def session_id_of(refresh_token: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "select session_id from auth.refresh_tokens where token = %s", [refresh_token]
        )
        return str(cursor.fetchone()[0])


def use_up_token_limit(auth_server, monkeypatch):
    """Turn on GoTrue's /token limit with a burst of one and spend it from 127.0.0.1, the
    address every console request comes from."""
    monkeypatch.setattr(auth_server.config, "rate_limit_token_refresh", 150)
    monkeypatch.setattr(auth_server.config, "rate_limit_token_burst", 1)
    for _ in range(2):
        httpx.post(
            f"{auth_server.api_url}/token?grant_type=refresh_token",
            json={"refresh_token": "a" * 12},
        )


# --- refreshes refused for the moment keep the session --------------------------------------


def test_a_rate_limited_refresh_keeps_a_valid_session_and_retries_later(
    client, make_user, auth_server, settings, monkeypatch
):
    user = make_user("viewer")
    assert sign_in(client, user.email).status_code == 302
    before = stored(client)
    use_up_token_limit(auth_server, monkeypatch)
    settings.SUPABASE_REFRESH_MARGIN = 10_000  # a refresh is due on every request
    assert client.get("/agents/").status_code == 200
    assert stored(client) == before  # kept, not ended
    monkeypatch.setattr(auth_server.config, "rate_limit_token_refresh", 0)
    assert client.get("/agents/").status_code == 200
    assert stored(client).refresh_token != before.refresh_token  # the retry refreshed it


def test_a_rate_limited_refresh_of_an_expired_token_gives_503_and_keeps_the_session(
    client, make_user, auth_server, monkeypatch
):
    monkeypatch.setattr(auth_server.config, "access_token_lifetime", 1)
    user = make_user("viewer")
    assert sign_in(client, user.email).status_code == 302
    monkeypatch.setattr(auth_server.config, "access_token_lifetime", 3600)
    time.sleep(1.5)
    use_up_token_limit(auth_server, monkeypatch)
    page = client.get("/agents/")
    assert page.status_code == 503
    assert stored(client) is not None
    monkeypatch.setattr(auth_server.config, "rate_limit_token_refresh", 0)
    assert client.get("/agents/").status_code == 200


def test_a_refresh_held_by_another_refresh_keeps_the_session(
    client, make_user, auth_server, settings, monkeypatch
):
    user = make_user("viewer")
    assert sign_in(client, user.email).status_code == 302
    before = stored(client)
    monkeypatch.setattr(auth_server.config, "refresh_retry_seconds", 0.2)
    settings.SUPABASE_REFRESH_MARGIN = 10_000
    with psycopg.connect(auth_server.config.dsn) as holder:
        holder.execute(
            "select 1 from auth.sessions where id = %s for update",
            [session_id_of(before.refresh_token)],
        )
        assert client.get("/agents/").status_code == 200  # Auth answered 409 conflict
        holder.rollback()
    assert stored(client) == before


def test_a_refresh_token_already_used_ends_the_session(client, make_user, auth_server, settings):
    user = make_user("viewer")
    assert sign_in(client, user.email).status_code == 302
    first = stored(client).refresh_token
    url = f"{auth_server.api_url}/token?grant_type=refresh_token"
    second = httpx.post(url, json={"refresh_token": first}).json()["refresh_token"]
    httpx.post(url, json={"refresh_token": second})  # `first` is now two generations back
    settings.SUPABASE_REFRESH_MARGIN = 10_000
    response = client.get("/agents/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert stored(client) is None


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (AuthApiError("Request rate limit reached", 429, "over_request_rate_limit"), True),
        (AuthApiError("Too many concurrent token refresh requests", 409, "conflict"), True),
        (AuthApiError("Unexpected failure", 500, "unexpected_failure"), True),
        (AuthRetryableError("no answer", 0), True),
        (AuthApiError("Invalid Refresh Token", 400, "refresh_token_not_found"), False),
        (AuthApiError("Invalid Refresh Token", 400, "refresh_token_already_used"), False),
        (AuthApiError("Invalid Refresh Token", 400, "session_not_found"), False),
        (AuthApiError("User is banned", 400, "user_banned"), False),
    ],
)
def test_which_refresh_refusals_end_a_session(error, transient):
    from console.auth.refresh import is_transient

    assert is_transient(error) is transient


# --- CAPTCHA --------------------------------------------------------------------------------


def test_a_project_requiring_captcha_is_named_not_a_wrong_password(
    client, make_user, auth_server, monkeypatch
):
    user = make_user("viewer")
    monkeypatch.setattr(auth_server.config, "captcha_enabled", True)
    response = sign_in(client, user.email)
    page = response.content.decode()
    assert response.status_code == 503
    assert CAPTCHA_WORDS in page and "does not support" in page
    assert "Incorrect email or password" not in page
    forgot = client.post(reverse("console:password_forgot"), {"email": user.email})
    assert forgot.status_code == 503 and CAPTCHA_WORDS in forgot.content.decode()
    assert "If an account exists" not in forgot.content.decode()


# --- the default templates' links (Auth's /verify, session in the fragment) -----------------


def test_a_confirmation_url_link_lands_on_the_password_page(
    client, make_user, auth_server, monkeypatch
):
    monkeypatch.setattr(auth_server.config, "email_links", "confirmation_url")
    user = make_user("editor")
    assert client.post(reverse("console:password_forgot"), {"email": user.email}).status_code == 200
    link = latest_link(auth_server.config.outbox_dir, user.email, "recovery")
    assert link.startswith(f"{auth_server.api_url}/verify?")
    location = httpx.get(link, follow_redirects=False).headers["location"]
    page_url, fragment = location.split("#", 1)
    assert page_url == "http://testserver" + reverse("console:password_set")
    landing = client.get(page_url)
    assert landing.status_code == 200
    assert "console/link_landing.js" in landing.content.decode()
    values = {k: v[0] for k, v in parse_qs(fragment).items()}
    new_password = "Fragment-Landing-2026"
    done = client.post(
        reverse("console:password_set"),
        {
            "access_token": values["access_token"],
            "refresh_token": values["refresh_token"],
            "type": values["type"],
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert done.status_code == 302 and done["Location"] == reverse("console:login")
    assert sign_in(Client(), user.email, new_password).status_code == 302


def test_a_landing_with_a_forged_session_sets_nothing(client, make_user):
    user = make_user("editor")
    forged = jwt.encode({"sub": user.id, "role": "authenticated"}, "not-the-secret-" * 3)
    response = client.post(
        reverse("console:password_set"),
        {
            "access_token": forged,
            "refresh_token": "a" * 12,
            "type": "recovery",
            "new_password1": "Forged-Landing-2026",
            "new_password2": "Forged-Landing-2026",
        },
    )
    assert response.status_code == 400
    assert "expired or was already used" in response.content.decode()
    assert sign_in(Client(), user.email).status_code == 302  # the old password still works


# --- Sb-Forwarded-For only with a secret key ------------------------------------------------


def _session_ips(user_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "select host(ip) from auth.sessions where user_id = %s order by created_at", [user_id]
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_client_ip_is_forwarded_only_with_a_secret_key(
    make_user, auth_server, settings, monkeypatch
):
    monkeypatch.setattr(auth_server.config, "secret_keys", [SECRET_KEY])
    monkeypatch.setattr(auth_server.config, "sb_forwarded_for_enabled", True)
    from console.auth.client import sign_in_client

    user = make_user("viewer")
    settings.SUPABASE_FORWARD_CLIENT_IP = True  # with the legacy service_role key: not sent
    assert "Sb-Forwarded-For" not in sign_in_client("203.0.113.7").options.headers
    assert sign_in(Client(REMOTE_ADDR="203.0.113.7"), user.email).status_code == 302
    settings.SUPABASE_SERVICE_ROLE_KEY = SECRET_KEY
    assert sign_in_client("198.51.100.23").options.headers["Sb-Forwarded-For"] == "198.51.100.23"
    assert sign_in(Client(REMOTE_ADDR="198.51.100.23"), user.email).status_code == 302
    assert _session_ips(user.id) == ["127.0.0.1", "198.51.100.23"]


def test_check_says_when_forwarding_cannot_work(settings):
    from console.auth.checks import supabase_auth_settings

    settings.SUPABASE_FORWARD_CLIENT_IP = True
    warnings = [m for m in supabase_auth_settings() if m.level == checks.WARNING]
    assert len(warnings) == 1 and "sb_secret_" in warnings[0].msg
    assert any(m.id == "console.W101" for m in checks.run_checks())
    settings.SUPABASE_SERVICE_ROLE_KEY = SECRET_KEY
    assert not [m for m in supabase_auth_settings() if m.level == checks.WARNING]


# --- signing keys ---------------------------------------------------------------------------


def _es256_jwk(kid):
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key))
    jwk.update(kid=kid, alg="ES256", use="sig")
    return jwk


@pytest.fixture
def es256_auth(auth_server_factory, settings):
    server = auth_server_factory(signing_jwk=_es256_jwk("key-one"))
    settings.SUPABASE_URL = server.url
    settings.SUPABASE_JWKS_URL = f"{server.api_url}/.well-known/jwks.json"
    return server


def test_a_revoked_signing_key_stops_being_trusted_when_the_jwks_expires(
    client, make_user, es256_auth, monkeypatch
):
    user = make_user("viewer")
    assert sign_in(client, user.email).status_code == 302
    assert client.get("/agents/").status_code == 200
    es256_auth.config.signing_jwk = _es256_jwk("key-two")  # key-one revoked: not published
    assert client.get("/agents/").status_code == 200  # the cached set holds for 10 minutes
    assert console_tokens.JWKS_LIFETIME == 600
    later = time.monotonic() + console_tokens.JWKS_LIFETIME + 1
    monkeypatch.setattr(console_tokens, "_clock", lambda: later)
    response = client.get("/agents/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_new_signing_key_is_fetched_at_once_and_unknown_kids_not_every_time(
    client, make_user, es256_auth
):
    user = make_user("viewer")
    assert sign_in(client, user.email).status_code == 302
    es256_auth.config.signing_jwk = _es256_jwk("key-two")  # rotated within the 10 minutes
    assert sign_in(Client(), user.email).status_code == 302  # key-two fetched on sight
    keys = console_tokens.key_set(es256_auth.api_url + "/.well-known/jwks.json")
    tried = keys.tried_at
    stranger = jwt.encode(
        {"sub": user.id}, ec.generate_private_key(ec.SECP256R1()), "ES256", {"kid": "forged"}
    )
    for _ in range(3):
        with pytest.raises(console_tokens.InvalidToken):
            console_tokens.verify_access_token(stranger)
    assert keys.tried_at == tried  # no fetch per forged kid within the interval


def test_hs256_without_the_secret_is_a_clear_error(client, make_user, settings, caplog):
    user = make_user("viewer")
    settings.SUPABASE_JWT_SECRET = ""
    with caplog.at_level(logging.ERROR):
        response = sign_in(client, user.email)
    assert response.status_code == 503
    assert "SUPABASE_JWT_SECRET is not set" in caplog.text
    from console.auth.checks import supabase_auth_settings

    assert any(m.id == "console.I102" for m in supabase_auth_settings())
