"""GET/PUT /user, refresh-token rotation and logout, through supabase-py."""

import json
import time

import jwt
import pytest
from django.conf import settings
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

from tests.fixtures_auth import DEFAULT_TEST_PASSWORD
from tests.localauth.conftest import fetch, fetch_one

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(anon, user, password=DEFAULT_TEST_PASSWORD):
    client = anon()
    session = client.auth.sign_in_with_password({"email": user.email, "password": password}).session
    return client, session


def api_error(call) -> AuthApiError:
    with pytest.raises(AuthApiError) as caught:
        call()
    return caught.value


def session_id(access_token: str) -> str:
    return jwt.decode(access_token, options={"verify_signature": False})["session_id"]


# --- GET /user ------------------------------------------------------------------------------


def test_get_user_returns_the_user_of_the_token(anon, make_user):
    user = make_user(display_name="Gus")
    client, session = signed_in(anon, user)
    fetched = anon().auth.get_user(session.access_token).user  # stateless: explicit jwt
    assert fetched.id == user.id and fetched.email == user.email
    assert fetched.user_metadata["display_name"] == "Gus"
    assert fetched.identities[0].identity_data["email"] == user.email


def test_get_user_errors_follow_gotrue(anon, make_user, api):
    user = make_user()
    _, session = signed_in(anon, user)
    version = {"X-Supabase-Api-Version": "2024-01-01"}

    response = api.get("/user", headers=version)
    assert (response.status_code, response.json()["code"]) == (401, "no_authorization")

    forged = jwt.encode(
        {"sub": user.id, "exp": int(time.time()) + 60}, "not-the-secret" * 4, algorithm="HS256"
    )
    response = api.get("/user", headers={**version, "Authorization": f"Bearer {forged}"})
    assert (response.status_code, response.json()["code"]) == (403, "bad_jwt")
    assert "signature is invalid" in response.json()["message"]

    # The anon key verifies but has no sub.
    anon_key = settings.SUPABASE_ANON_KEY
    response = api.get("/user", headers={**version, "Authorization": f"Bearer {anon_key}"})
    assert response.status_code == 403
    assert response.json() == {"code": "bad_jwt", "message": "invalid claim: missing sub claim"}

    claims = jwt.decode(session.access_token, options={"verify_signature": False})
    not_uuid = jwt.encode({**claims, "sub": "42"}, settings.SUPABASE_JWT_SECRET, algorithm="HS256")
    response = api.get("/user", headers={**version, "Authorization": f"Bearer {not_uuid}"})
    assert (response.status_code, response.json()["code"]) == (400, "bad_jwt")

    ghost = jwt.encode(
        {**claims, "sub": "6f1d1d3c-0000-4000-8000-000000000000"},
        settings.SUPABASE_JWT_SECRET,
        algorithm="HS256",
    )
    response = api.get("/user", headers={**version, "Authorization": f"Bearer {ghost}"})
    assert (response.status_code, response.json()["code"]) == (403, "user_not_found")


def test_an_expired_access_token_is_a_bad_jwt(anon, make_user, token_lifetime):
    token_lifetime(1)
    user = make_user()
    _, session = signed_in(anon, user)
    assert session.expires_in == 1
    time.sleep(2.1)
    error = api_error(lambda: anon().auth.get_user(session.access_token))
    assert (error.status, error.code) == (403, "bad_jwt")
    assert "token is expired" in error.message


def test_a_banned_user_is_refused_by_get_user(anon, admin, make_user):
    user = make_user()
    _, session = signed_in(anon, user)
    admin.update_user_by_id(user.id, {"ban_duration": "1h"})
    error = api_error(lambda: anon().auth.get_user(session.access_token))
    assert (error.status, error.code) == (403, "user_banned")
    # A ban does not end sessions.
    assert fetch_one(
        "select id from auth.sessions where id = %s", [session_id(session.access_token)]
    )


# --- refresh --------------------------------------------------------------------------------


def test_refresh_rotates_the_token_and_keeps_the_session(anon, make_user, token_lifetime):
    token_lifetime(2)
    user = make_user()
    client, first = signed_in(anon, user)
    time.sleep(2.2)
    error = api_error(lambda: anon().auth.get_user(first.access_token))
    assert error.code == "bad_jwt"  # the access token has expired ...
    second = client.auth.refresh_session(first.refresh_token).session  # ... the session has not
    assert anon().auth.get_user(second.access_token).user.id == user.id
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token and second.expires_in == 2
    assert session_id(second.access_token) == session_id(first.access_token)
    claims = jwt.decode(
        second.access_token,
        settings.SUPABASE_JWT_SECRET,
        algorithms=["HS256"],
        audience="authenticated",
    )
    assert [a["method"] for a in claims["amr"]] == ["password"]  # refresh adds no amr entry
    old = fetch_one("select * from auth.refresh_tokens where token = %s", [first.refresh_token])
    new = fetch_one("select * from auth.refresh_tokens where token = %s", [second.refresh_token])
    assert old["revoked"] is True and new["revoked"] is False
    assert new["parent"] == first.refresh_token and new["session_id"] == old["session_id"]
    row = fetch_one(
        "select refreshed_at from auth.sessions where id = %s", [session_id(first.access_token)]
    )
    assert row["refreshed_at"] is not None


def test_reusing_the_parent_of_the_active_token_returns_the_active_token(anon, make_user):
    user = make_user()
    client, first = signed_in(anon, user)
    second = anon().auth.refresh_session(first.refresh_token).session
    again = anon().auth.refresh_session(first.refresh_token).session
    assert again.refresh_token == second.refresh_token
    assert (
        len(
            fetch(
                "select id from auth.refresh_tokens where session_id = %s",
                [session_id(first.access_token)],
            )
        )
        == 2
    )


def test_reusing_an_older_token_revokes_the_whole_session(anon, make_user):
    user = make_user()
    _, first = signed_in(anon, user)
    second = anon().auth.refresh_session(first.refresh_token).session
    third = anon().auth.refresh_session(second.refresh_token).session
    error = api_error(lambda: anon().auth.refresh_session(first.refresh_token))
    assert (error.status, error.code) == (400, "refresh_token_already_used")
    tokens = fetch(
        "select revoked from auth.refresh_tokens where session_id = %s",
        [session_id(first.access_token)],
    )
    assert tokens and all(t["revoked"] for t in tokens)
    # Even the token that was active is now refused.
    error = api_error(lambda: anon().auth.refresh_session(third.refresh_token))
    assert error.code == "refresh_token_already_used"


def test_refresh_errors(anon, admin, make_user, api):
    error = api_error(lambda: anon().auth.refresh_session("abcdefghijkl"))
    assert (error.status, error.code) == (400, "refresh_token_not_found")
    response = api.post(
        "/token", params={"grant_type": "refresh_token"}, json={"refresh_token": "SHORT"}
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "validation_failed")

    user = make_user()
    _, session = signed_in(anon, user)
    admin.update_user_by_id(user.id, {"ban_duration": "24h"})
    error = api_error(lambda: anon().auth.refresh_session(session.refresh_token))
    assert (error.status, error.code) == (400, "user_banned")
    admin.update_user_by_id(user.id, {"ban_duration": "none"})
    assert anon().auth.refresh_session(session.refresh_token).session is not None

    _, other = signed_in(anon, user)
    from django.db import connection

    with connection.cursor() as cursor:  # a token row whose session is gone (legacy shape)
        cursor.execute(
            "update auth.refresh_tokens set session_id = null where token = %s",
            [other.refresh_token],
        )
    error = api_error(lambda: anon().auth.refresh_session(other.refresh_token))
    assert (error.status, error.code) == (400, "session_not_found")


# --- logout ---------------------------------------------------------------------------------


def test_logout_ends_the_session_and_its_tokens(anon, make_user):
    user = make_user()
    client, session = signed_in(anon, user)
    _, other = signed_in(anon, user)
    client.auth.sign_out({"scope": "local"})
    assert (
        fetch_one("select id from auth.sessions where id = %s", [session_id(session.access_token)])
        is None
    )
    assert (
        fetch_one("select id from auth.refresh_tokens where token = %s", [session.refresh_token])
        is None
    )
    error = api_error(lambda: anon().auth.get_user(session.access_token))
    assert (error.status, error.code) == (403, "session_not_found")
    assert anon().auth.get_user(other.access_token).user.id == user.id  # untouched


def test_global_and_others_logout(anon, make_user, api):
    user = make_user()
    sessions = [signed_in(anon, user)[1] for _ in range(3)]
    response = api.post(
        "/logout",
        params={"scope": "others"},
        headers={"Authorization": f"Bearer {sessions[0].access_token}"},
    )
    assert response.status_code == 204 and response.content == b""
    remaining = fetch("select id from auth.sessions where user_id = %s", [user.id])
    assert [str(r["id"]) for r in remaining] == [session_id(sessions[0].access_token)]

    response = api.post(
        "/logout",
        params={"scope": "sideways"},
        headers={"Authorization": f"Bearer {sessions[0].access_token}"},
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "validation_failed")

    response = api.post("/logout", headers={"Authorization": f"Bearer {sessions[0].access_token}"})
    assert response.status_code == 204
    assert fetch("select id from auth.sessions where user_id = %s", [user.id]) == []
    response = api.post("/logout", headers={"Authorization": f"Bearer {sessions[0].access_token}"})
    assert (response.status_code, response.json()["error_code"]) == (403, "session_not_found")


# --- PUT /user ------------------------------------------------------------------------------


def test_password_change_ends_the_other_sessions_only(anon, make_user):
    user = make_user()
    client, mine = signed_in(anon, user)
    _, other = signed_in(anon, user)
    updated = client.auth.update_user({"password": "A-new-passphrase-77"}).user
    assert updated.id == user.id
    assert (
        fetch_one("select id from auth.sessions where id = %s", [session_id(mine.access_token)])
        is not None
    )
    assert (
        fetch_one("select id from auth.sessions where id = %s", [session_id(other.access_token)])
        is None
    )
    error = api_error(
        lambda: anon().auth.sign_in_with_password({"email": user.email, "password": user.password})
    )
    assert error.code == "invalid_credentials"
    assert signed_in(anon, user, "A-new-passphrase-77")[1].access_token


def test_password_rules_on_update(anon, make_user):
    user = make_user()
    client, _ = signed_in(anon, user)
    with pytest.raises(AuthWeakPasswordError) as caught:
        client.auth.update_user({"password": "short"})
    assert caught.value.status == 422 and caught.value.code == "weak_password"
    assert caught.value.reasons == ["length"]
    error = api_error(lambda: client.auth.update_user({"password": "x" * 73}))
    assert (error.status, error.code) == (400, "validation_failed")
    error = api_error(lambda: client.auth.update_user({"password": user.password}))
    assert (error.status, error.code) == (422, "same_password")
    # The policy is GoTrue's default: six characters of anything will do.
    assert client.auth.update_user({"password": "aaaaaa"}).user.id == user.id


def test_user_metadata_is_shallow_merged(anon, make_user):
    user = make_user(display_name="Before")
    client, _ = signed_in(anon, user)
    client.auth.update_user({"data": {"theme": "dark", "nested": {"a": 1}}})
    updated = client.auth.update_user({"data": {"display_name": None, "nested": {"b": 2}}}).user
    assert updated.user_metadata == {"theme": "dark", "nested": {"b": 2}, "email_verified": True}
    row = fetch_one("select raw_user_meta_data from auth.users where id = %s", [user.id])
    assert json.loads(row["raw_user_meta_data"]) == updated.user_metadata


def test_app_metadata_needs_an_admin(anon, make_user, api):
    user = make_user()
    _, session = signed_in(anon, user)
    response = api.put(
        "/user",
        json={"app_metadata": {"role": "admin"}},
        headers={"Authorization": f"Bearer {session.access_token}"},
    )
    assert (response.status_code, response.json()["error_code"]) == (403, "not_admin")
