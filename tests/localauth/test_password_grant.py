"""POST /token?grant_type=password through supabase-py's sign_in_with_password."""

import time
import uuid

import jwt
import pytest
from django.conf import settings
from supabase_auth.errors import AuthApiError

from tests.fixtures_auth import DEFAULT_TEST_PASSWORD
from tests.localauth.conftest import fetch, fetch_one

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(client, email, password=DEFAULT_TEST_PASSWORD):
    return client.auth.sign_in_with_password({"email": email, "password": password})


def api_error(call) -> AuthApiError:
    with pytest.raises(AuthApiError) as caught:
        call()
    return caught.value


def test_sign_in_returns_a_session_and_records_it(anon, make_user, auth_server):
    user = make_user("editor", display_name="Edith")
    before = int(time.time())
    response = sign_in(anon(), user.email.upper())  # emails match case-insensitively

    session = response.session
    assert session.token_type == "bearer" and session.expires_in == 3600
    assert before + 3600 <= session.expires_at <= int(time.time()) + 3600
    assert len(session.refresh_token) == 12 and session.refresh_token.isalnum()
    assert response.user.id == user.id and response.user.email == user.email
    assert response.user.identities[0].provider == "email"
    assert response.user.last_sign_in_at is not None

    header = jwt.get_unverified_header(session.access_token)
    assert header["alg"] == "HS256" and "kid" not in header
    claims = jwt.decode(
        session.access_token,
        settings.SUPABASE_JWT_SECRET,
        algorithms=["HS256"],
        audience="authenticated",
    )
    assert claims["iss"] == auth_server.url + "/auth/v1"
    assert claims["sub"] == user.id and claims["email"] == user.email and claims["phone"] == ""
    assert claims["role"] == "authenticated" and claims["aal"] == "aal1"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["app_metadata"] == {"provider": "email", "providers": ["email"]}
    assert claims["user_metadata"]["display_name"] == "Edith"
    assert claims["is_anonymous"] is False
    assert [a["method"] for a in claims["amr"]] == ["password"]
    assert isinstance(claims["amr"][0]["timestamp"], int)

    row = fetch_one("select * from auth.sessions where id = %s", [claims["session_id"]])
    assert str(row["user_id"]) == user.id and row["aal"] == "aal1"
    token = fetch_one("select * from auth.refresh_tokens where token = %s", [session.refresh_token])
    assert str(token["session_id"]) == claims["session_id"] and token["revoked"] is False
    assert token["parent"] is None and token["user_id"] == user.id
    assert (
        fetch_one("select last_sign_in_at from auth.users where id = %s", [user.id])[
            "last_sign_in_at"
        ]
        is not None
    )


def test_each_sign_in_is_its_own_session(anon, make_user):
    user = make_user()
    sign_in(anon(), user.email)
    sign_in(anon(), user.email)
    assert len(fetch("select id from auth.sessions where user_id = %s", [user.id])) == 2


def test_wrong_password_and_unknown_email_are_invalid_credentials(anon, make_user):
    user = make_user()
    for email, password in ((user.email, "Wrong-password-1"), ("nobody@example.test", "x" * 12)):
        error = api_error(lambda e=email, p=password: sign_in(anon(), e, p))
        assert (error.status, error.code) == (400, "invalid_credentials")
        assert error.message == "Invalid login credentials"
    assert fetch("select id from auth.sessions where user_id = %s", [user.id]) == []


def test_unconfirmed_email_is_refused_after_a_correct_password(anon, make_user):
    user = make_user(confirmed=False)
    error = api_error(lambda: sign_in(anon(), user.email))
    assert (error.status, error.code) == (400, "email_not_confirmed")
    # A wrong password does not reveal that the address is unconfirmed.
    error = api_error(lambda: sign_in(anon(), user.email, "Not-the-password-9"))
    assert error.code == "invalid_credentials"


def test_banned_user_is_refused_even_before_the_password_check(anon, admin, make_user):
    user = make_user()
    admin.update_user_by_id(user.id, {"ban_duration": "24h"})
    for password in (user.password, "Wrong-password-1"):
        error = api_error(lambda p=password: sign_in(anon(), user.email, p))
        assert (error.status, error.code, error.message) == (400, "user_banned", "User is banned")


def test_invited_user_without_a_password_cannot_sign_in(anon, admin):
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.test"
    admin.invite_user_by_email(email)
    error = api_error(lambda: sign_in(anon(), email, "anything-at-all"))
    assert error.code == "invalid_credentials"


def test_missing_email_and_unknown_grant(api):
    response = api.post(
        "/token",
        params={"grant_type": "password"},
        json={"password": "x"},
        headers={"X-Supabase-Api-Version": "2024-01-01"},
    )
    assert response.status_code == 400
    assert response.json() == {"code": "validation_failed", "message": "missing email or phone"}
    response = api.post(
        "/token",
        params={"grant_type": "password"},
        json={"email": "a@example.test", "phone": "15550001111", "password": "x"},
        headers={"X-Supabase-Api-Version": "2024-01-01"},
    )
    assert response.json()["code"] == "validation_failed"
    response = api.post("/token", params={"grant_type": "magic"}, json={})
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_credentials"
    assert response.json()["msg"] == "unsupported_grant_type"
    response = api.post(
        "/token", params={"grant_type": "pkce"}, json={"auth_code": "abc", "code_verifier": "def"}
    )
    assert (response.status_code, response.json()["error_code"]) == (404, "flow_state_not_found")


def test_low_cost_hashes_are_rehashed_at_sign_in(anon, make_user):
    import bcrypt
    from django.db import connection

    user = make_user()
    cheap = bcrypt.hashpw(user.password.encode(), bcrypt.gensalt(4)).decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "update auth.users set encrypted_password = %s where id = %s", [cheap, user.id]
        )
    sign_in(anon(), user.email)
    stored = fetch_one("select encrypted_password from auth.users where id = %s", [user.id])
    assert stored["encrypted_password"].startswith("$2a$10$")
