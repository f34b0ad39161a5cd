"""The local auth server is as strict as Supabase Auth where the console depends on it: the
per-IP /token limit, 409 on a refresh that another one holds, CAPTCHA, the default email
templates' ConfirmationURL links, and Sb-Forwarded-For only from a secret key."""

import threading
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pytest

from localauth.outbox import latest_link
from localauth.server import LocalAuthConfig
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD
from tests.localauth.conftest import fetch, service_headers

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_KEY = "sb_secret_local_test_" + "k" * 24
SOLVED_CAPTCHA = "10000000-aaaa-bbbb-cccc-000000000001"


def api_of(server) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/auth/v1", timeout=15)


def password_grant(api, email, password=DEFAULT_TEST_PASSWORD, captcha=None, headers=None):
    body = {"email": email, "password": password}
    if captcha is not None:
        body["gotrue_meta_security"] = {"captcha_token": captcha}
    return api.post("/token?grant_type=password", json=body, headers=headers or {})


def refresh(api, refresh_token, headers=None):
    return api.post(
        "/token?grant_type=refresh_token",
        json={"refresh_token": refresh_token},
        headers=headers or {},
    )


def error_code(response) -> str:
    return response.json().get("error_code") or response.json().get("code")


# --- the /token rate limit ------------------------------------------------------------------


def test_the_token_limit_defaults_to_gotrues():
    # apilimiter.go: RateLimitTokenRefresh (150) per 5 minutes, burst 30.
    config = LocalAuthConfig(dsn="", jwt_secret="x")
    assert (config.rate_limit_token_refresh, config.rate_limit_token_burst) == (150, 30)


def test_token_requests_beyond_the_burst_from_one_ip_get_429(auth_server_factory):
    server = auth_server_factory(rate_limit_token_refresh=150, rate_limit_token_burst=5)
    with api_of(server) as api:
        answers = [refresh(api, "a" * 12).status_code for _ in range(5)]
        assert answers == [400] * 5  # refresh_token_not_found, but counted
        limited = refresh(api, "a" * 12)
        assert limited.status_code == 429
        assert error_code(limited) == "over_request_rate_limit"
        assert limited.headers["x-sb-error-code"] == "over_request_rate_limit"
        assert limited.json()["msg"] == "Request rate limit reached"
        # Every grant shares the bucket: a sign-in from the same IP is refused too.
        assert password_grant(api, "nobody@example.test").status_code == 429


def test_each_forwarded_client_ip_has_its_own_bucket(auth_server_factory):
    server = auth_server_factory(
        rate_limit_token_refresh=150,
        rate_limit_token_burst=2,
        secret_keys=[SECRET_KEY],
        sb_forwarded_for_enabled=True,
    )
    with api_of(server) as api:
        alice = {"apikey": SECRET_KEY, "Sb-Forwarded-For": "198.51.100.1"}
        bob = {"apikey": SECRET_KEY, "Sb-Forwarded-For": "198.51.100.2"}
        assert [refresh(api, "a" * 12, alice).status_code for _ in range(3)] == [400, 400, 429]
        assert refresh(api, "a" * 12, bob).status_code == 400


# --- concurrent refreshes -------------------------------------------------------------------


def _signed_in(server, make_user):
    user = make_user("viewer")
    with api_of(server) as api:
        session = password_grant(api, user.email).json()
    return user, session


def test_a_refresh_of_a_session_another_refresh_holds_gets_409(auth_server_factory, make_user):
    server = auth_server_factory(refresh_retry_seconds=0.3)
    _user, session = _signed_in(server, make_user)
    session_id = fetch(
        "select session_id from auth.refresh_tokens where token = %s", [session["refresh_token"]]
    )[0]["session_id"]
    with psycopg.connect(server.config.dsn) as holder, api_of(server) as api:
        holder.execute("select 1 from auth.sessions where id = %s for update", [session_id])
        held = refresh(api, session["refresh_token"])
        assert held.status_code == 409
        assert error_code(held) == "conflict"
        assert held.json()["msg"] == (
            "Too many concurrent token refresh requests on the same session or refresh token"
        )
        holder.rollback()
        assert refresh(api, session["refresh_token"]).status_code == 200  # the token survived


def test_simultaneous_refreshes_of_one_token_both_get_the_same_new_token(
    auth_server_factory, make_user
):
    server = auth_server_factory()
    _user, session = _signed_in(server, make_user)
    answers = []

    def one():
        with api_of(server) as api:
            answers.append(refresh(api, session["refresh_token"]))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["refresh_token"] == answers[1].json()["refresh_token"]


# --- CAPTCHA --------------------------------------------------------------------------------


def test_captcha_on_refuses_a_sign_in_without_a_captcha_token(auth_server_factory, make_user):
    server = auth_server_factory(captcha_enabled=True)
    user = make_user("viewer")
    with api_of(server) as api:
        missing = password_grant(api, user.email)
        assert missing.status_code == 400 and error_code(missing) == "captcha_failed"
        assert missing.json()["msg"] == (
            "captcha protection: request disallowed (no captcha_token found)"
        )
        # Refused before the password is looked at: a wrong one says the same.
        wrong_password = password_grant(api, user.email, "Wrong-password-1")
        assert error_code(wrong_password) == "captcha_failed"
        unsolved = password_grant(api, user.email, captcha="not-solved")
        assert unsolved.status_code == 400 and error_code(unsolved) == "captcha_failed"
        solved = password_grant(api, user.email, captcha=SOLVED_CAPTCHA)
        assert solved.status_code == 200
        # isIgnoreCaptchaRoute: refreshes need none.
        assert refresh(api, solved.json()["refresh_token"]).status_code == 200
        recover = api.post("/recover", json={"email": user.email})
        assert recover.status_code == 400 and error_code(recover) == "captcha_failed"
        # An admin bearer skips the check (verifyCaptcha: requireAdminCredentials).
        assert password_grant(api, user.email, headers=service_headers()).status_code == 200


# --- email links ----------------------------------------------------------------------------


def test_confirmation_url_links_verify_and_redirect_with_the_session_in_the_fragment(
    auth_server_factory, make_user
):
    server = auth_server_factory(email_links="confirmation_url")
    user = make_user("viewer")
    landing = "http://127.0.0.1:8000/auth/confirm/"
    with api_of(server) as api:
        assert api.post(f"/recover?redirect_to={landing}", json={"email": user.email}).is_success
        link = latest_link(server.config.outbox_dir, user.email, "recovery")
        parts = urlsplit(link)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{server.api_url}/verify"
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["type"] == "recovery" and query["redirect_to"] == landing
        assert query["token"] and "token_hash" not in query
        followed = httpx.get(link, follow_redirects=False)
        assert followed.status_code == 303
        target, fragment = followed.headers["location"].split("#", 1)
        assert target == landing
        values = {k: v[0] for k, v in parse_qs(fragment).items()}
        assert values["type"] == "recovery" and values["token_type"] == "bearer"
        assert values["access_token"] and values["refresh_token"]
        assert refresh(api, values["refresh_token"]).status_code == 200
        again = httpx.get(link, follow_redirects=False).headers["location"]
        assert "error_code=otp_expired" in again  # used once


def test_token_hash_links_stay_the_default(auth_server, make_user, anon):
    user = make_user("viewer")
    anon().auth.reset_password_for_email(user.email, {"redirect_to": "http://127.0.0.1:8000/x"})
    link = latest_link(auth_server.config.outbox_dir, user.email, "recovery")
    assert link.startswith("http://127.0.0.1:8000/x?token_hash=")


# --- Sb-Forwarded-For and secret keys -------------------------------------------------------


def _session_ip(email) -> str:
    return fetch(
        "select host(s.ip) as ip from auth.sessions s join auth.users u on u.id = s.user_id"
        " where u.email = %s order by s.created_at desc limit 1",
        [email],
    )[0]["ip"]


@pytest.mark.parametrize(
    ("key", "toggle", "believed"),
    [
        ("secret", True, True),
        ("secret", False, False),  # the project has not turned forwarding on
        ("service_role_jwt", True, False),  # a legacy key never carries it
        ("anon", True, False),
    ],
)
def test_sb_forwarded_for_is_believed_only_from_a_secret_key_with_the_toggle_on(
    auth_server_factory, make_user, key, toggle, believed
):
    from django.conf import settings

    server = auth_server_factory(secret_keys=[SECRET_KEY], sb_forwarded_for_enabled=toggle)
    apikey = {
        "secret": SECRET_KEY,
        "service_role_jwt": settings.SUPABASE_SERVICE_ROLE_KEY,
        "anon": settings.SUPABASE_ANON_KEY,
    }[key]
    user = make_user("viewer")
    headers = {"apikey": apikey, "Authorization": f"Bearer {apikey}"}
    with api_of(server) as api:
        answer = password_grant(
            api, user.email, headers={**headers, "Sb-Forwarded-For": "2001:db8::7, 10.0.0.1"}
        )
    assert answer.status_code == 200
    assert _session_ip(user.email) == ("2001:db8::7" if believed else "127.0.0.1")


def test_a_secret_key_is_an_admin_key(auth_server_factory):
    server = auth_server_factory(secret_keys=[SECRET_KEY])
    email = f"made-{uuid.uuid4().hex[:8]}@example.test"
    headers = {"apikey": SECRET_KEY, "Authorization": f"Bearer {SECRET_KEY}"}
    with api_of(server) as api:
        made = api.post("/admin/users", json={"email": email}, headers=headers)
        assert made.status_code == 200 and made.json()["email"] == email
        wrong = {"apikey": "sb_secret_wrong", "Authorization": "Bearer sb_secret_wrong"}
        assert api.get("/admin/users", headers=wrong).status_code == 403
