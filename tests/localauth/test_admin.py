"""The admin API through supabase-py's `auth.admin` (service-role key)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

from tests.fixtures_auth import DEFAULT_TEST_PASSWORD
from tests.localauth.conftest import fetch, fetch_one, service_headers

pytestmark = pytest.mark.django_db(transaction=True)
VERSION = {"X-Supabase-Api-Version": "2024-01-01"}


def new_email() -> str:
    return f"admin-test-{uuid.uuid4().hex[:10]}@example.test"


def api_error(call) -> AuthApiError:
    with pytest.raises(AuthApiError) as caught:
        call()
    return caught.value


def test_create_user_writes_gotrue_rows(admin):
    email = new_email()
    user = admin.create_user(
        {
            "email": email.upper(),
            "password": "pw1234",
            "email_confirm": True,
            "user_metadata": {"display_name": "Ada"},
            "app_metadata": {"tenant": "t1"},
        }
    ).user
    assert user.email == email and user.email_confirmed_at is not None
    assert user.app_metadata == {"provider": "email", "providers": ["email"], "tenant": "t1"}
    assert user.user_metadata == {"display_name": "Ada", "email_verified": True}
    assert user.role == "authenticated" and user.aud == "authenticated"
    identity = user.identities[0]
    assert identity.provider == "email" and identity.id == user.id
    assert identity.identity_data["email"] == email

    row = fetch_one("select * from auth.users where id = %s", [user.id])
    assert str(row["instance_id"]) == "00000000-0000-0000-0000-000000000000"
    assert row["encrypted_password"].startswith("$2a$10$")
    assert row["confirmation_token"] == "" and row["recovery_token"] == ""
    assert row["email_change"] == "" and row["phone_change"] == ""
    assert (
        fetch_one("select provider_id from auth.identities where user_id = %s", [user.id])[
            "provider_id"
        ]
        == user.id
    )
    profile = fetch_one("select * from public.profiles where id = %s", [user.id])
    assert profile["email"] == email and profile["display_name"] == "Ada"
    assert profile["role"] is None  # no console role until an admin gives one


def test_create_user_options(admin):
    custom_id = str(uuid.uuid4())
    user = admin.create_user(
        {"email": new_email(), "id": custom_id, "role": "service_role", "ban_duration": "1h30m"}
    ).user
    assert user.id == custom_id and user.role == "service_role"
    assert user.email_confirmed_at is None
    banned_until = datetime.fromisoformat(user.banned_until.replace("Z", "+00:00"))
    expected = datetime.now(UTC) + timedelta(hours=1, minutes=30)
    assert abs((banned_until - expected).total_seconds()) < 30
    # No password given: a random one is set, so the user cannot sign in with a guess.
    assert fetch_one("select encrypted_password from auth.users where id = %s", [custom_id])[
        "encrypted_password"
    ].startswith("$2a$")


def test_create_user_errors(admin, make_user):
    existing = make_user()
    error = api_error(lambda: admin.create_user({"email": existing.email, "password": "pw1234"}))
    assert (error.status, error.code) == (422, "email_exists")
    error = api_error(lambda: admin.create_user({"password": "pw1234"}))
    assert (error.status, error.code) == (400, "validation_failed")
    error = api_error(lambda: admin.create_user({"email": "not-an-email"}))
    assert (error.status, error.code) == (400, "validation_failed")
    error = api_error(lambda: admin.create_user({"email": new_email(), "ban_duration": "3d"}))
    assert (error.status, error.code) == (400, "validation_failed")
    assert error.message == (
        'invalid format for ban duration: time: unknown unit "d" in duration "3d"'
    )
    error = api_error(lambda: admin.create_user({"email": new_email(), "id": "nope"}))
    assert error.message == "ID must conform to the uuid v4 format"
    error = api_error(lambda: admin.create_user({"email": new_email(), "password": "p" * 73}))
    assert (error.status, error.code) == (400, "validation_failed")


def test_short_passwords_are_accepted_on_create_like_gotrue(admin, anon):
    email = new_email()
    admin.create_user({"email": email, "password": "abc", "email_confirm": True})
    session = anon().auth.sign_in_with_password({"email": email, "password": "abc"}).session
    assert session.access_token


def test_list_users_with_supabase_py_defaults(admin, make_user, api):
    created = [make_user() for _ in range(3)]
    users = admin.list_users()
    ids = [u.id for u in users]
    assert all(u.id in ids for u in created)
    assert all(u.identities is None for u in users)
    assert ids.index(created[2].id) < ids.index(created[0].id)  # newest first

    total = fetch_one("select count(*) as n from auth.users")["n"]
    response = api.get(
        "/admin/users", params={"page": "", "per_page": ""}, headers=service_headers()
    )
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == str(total)
    assert len(response.json()["users"]) == min(total, 50)
    assert response.json()["aud"] == "authenticated"

    response = api.get(
        "/admin/users", params={"page": "2", "per_page": "1"}, headers=service_headers()
    )
    assert [u["id"] for u in response.json()["users"]] == [ids[1]]
    link = response.headers["Link"]
    assert "page=3" in link and 'rel="next"' in link and f"page={total}" in link
    assert 'rel="last"' in link

    response = api.get("/admin/users", params={"page": "x"}, headers=service_headers(**VERSION))
    assert (response.status_code, response.json()["code"]) == (400, "validation_failed")


def test_admin_endpoints_need_a_service_role_token(anon, make_user, api):
    user = make_user()
    error = api_error(lambda: anon().auth.admin.list_users())
    assert (error.status, error.code, error.message) == (403, "not_admin", "User not allowed")
    session = (
        anon()
        .auth.sign_in_with_password({"email": user.email, "password": DEFAULT_TEST_PASSWORD})
        .session
    )
    response = api.get("/admin/users", headers={"Authorization": f"Bearer {session.access_token}"})
    assert (response.status_code, response.json()["error_code"]) == (403, "not_admin")
    response = api.get("/admin/users")
    assert (response.status_code, response.json()["error_code"]) == (401, "no_authorization")
    key = settings.SUPABASE_ANON_KEY
    response = api.post(
        "/invite", json={"email": new_email()}, headers={"Authorization": f"Bearer {key}"}
    )
    assert (response.status_code, response.json()["error_code"]) == (403, "not_admin")


def test_get_user_by_id(admin, make_user, api):
    user = make_user(display_name="Gio")
    fetched = admin.get_user_by_id(user.id).user
    assert fetched.email == user.email and fetched.identities[0].provider == "email"
    error = api_error(lambda: admin.get_user_by_id(str(uuid.uuid4())))
    assert (error.status, error.code, error.message) == (404, "user_not_found", "User not found")
    response = api.get("/admin/users/not-a-uuid", headers=service_headers(**VERSION))
    assert response.status_code == 404
    assert response.json() == {"code": "validation_failed", "message": "user_id must be an UUID"}


def test_ban_and_unban(admin, anon, make_user):
    user = make_user()
    banned = admin.update_user_by_id(user.id, {"ban_duration": "876000h"}).user
    assert banned.banned_until is not None
    assert (
        fetch_one("select banned_until from auth.users where id = %s", [user.id])[
            "banned_until"
        ].year
        > datetime.now(UTC).year + 90
    )
    error = api_error(
        lambda: anon().auth.sign_in_with_password({"email": user.email, "password": user.password})
    )
    assert (error.status, error.code) == (400, "user_banned")

    unbanned = admin.update_user_by_id(user.id, {"ban_duration": "none"}).user
    assert unbanned.banned_until is None
    assert (
        fetch_one("select banned_until from auth.users where id = %s", [user.id])["banned_until"]
        is None
    )
    assert (
        anon().auth.sign_in_with_password({"email": user.email, "password": user.password}).session
    )

    error = api_error(lambda: admin.update_user_by_id(user.id, {"ban_duration": "forever"}))
    assert (error.status, error.code) == (400, "validation_failed")
    assert error.message == 'invalid format for ban duration: time: invalid duration "forever"'


def test_update_user_fields(admin, make_user):
    user = make_user(confirmed=False, display_name="Old")
    updated = admin.update_user_by_id(
        user.id,
        {
            "email_confirm": True,
            "user_metadata": {"display_name": None, "team": "blue"},
            "app_metadata": {"roles": ["editor"]},
            "role": "authenticated",
        },
    ).user
    assert updated.email_confirmed_at is not None
    assert updated.user_metadata == {"team": "blue", "email_verified": True}
    assert updated.app_metadata == {
        "provider": "email",
        "providers": ["email"],
        "roles": ["editor"],
    }
    email = new_email()
    moved = admin.update_user_by_id(user.id, {"email": email}).user
    assert moved.email == email
    assert moved.identities[0].identity_data["email"] == email
    assert fetch_one("select email from public.profiles where id = %s", [user.id])["email"] == email
    other = make_user()
    error = api_error(lambda: admin.update_user_by_id(user.id, {"email": other.email}))
    assert (error.status, error.code) == (422, "email_exists")


def test_admin_password_change_ends_every_session(admin, anon, make_user):
    user = make_user()
    for _ in range(2):
        anon().auth.sign_in_with_password({"email": user.email, "password": user.password})
    assert len(fetch("select id from auth.sessions where user_id = %s", [user.id])) == 2
    with pytest.raises(AuthWeakPasswordError) as caught:
        admin.update_user_by_id(user.id, {"password": "12345"})
    assert (caught.value.status, caught.value.reasons) == (422, ["length"])
    assert len(fetch("select id from auth.sessions where user_id = %s", [user.id])) == 2
    admin.update_user_by_id(user.id, {"password": "Another-password-5"})
    assert fetch("select id from auth.sessions where user_id = %s", [user.id]) == []
    assert fetch("select id from auth.refresh_tokens where user_id = %s", [user.id]) == []
    assert (
        anon()
        .auth.sign_in_with_password({"email": user.email, "password": "Another-password-5"})
        .session
    )


def test_update_unknown_user(admin):
    error = api_error(lambda: admin.update_user_by_id(str(uuid.uuid4()), {"role": "x"}))
    assert (error.status, error.code) == (404, "user_not_found")


def test_delete_user_cascades(admin, anon, make_user, api):
    user = make_user("editor")
    anon().auth.sign_in_with_password({"email": user.email, "password": user.password})
    assert fetch_one("select id from public.profiles where id = %s", [user.id])
    response = api.request(
        "DELETE",
        f"/admin/users/{user.id}",
        headers=service_headers(),
        json={"should_soft_delete": False},
    )
    assert (response.status_code, response.json()) == (200, {})
    for table in ("auth.users", "public.profiles"):
        assert fetch_one(f"select id from {table} where id = %s", [user.id]) is None
    for table in ("auth.identities", "auth.sessions"):
        assert fetch(f"select id from {table} where user_id = %s", [user.id]) == []
    error = api_error(lambda: admin.delete_user(user.id))
    assert (error.status, error.code) == (404, "user_not_found")

    other = make_user()
    admin.delete_user(other.id)  # supabase-py's own call shape
    assert fetch_one("select id from auth.users where id = %s", [other.id]) is None


def test_soft_delete_obfuscates(admin, anon, make_user):
    user = make_user()
    admin.delete_user(user.id, should_soft_delete=True)
    row = fetch_one("select * from auth.users where id = %s", [user.id])
    assert row["deleted_at"] is not None and row["email"] != user.email
    assert row["encrypted_password"] is None
    error = api_error(
        lambda: anon().auth.sign_in_with_password({"email": user.email, "password": user.password})
    )
    assert error.code == "invalid_credentials"
    assert admin.get_user_by_id(user.id).user.deleted_at is not None
