"""Invite, password recovery, magic links and generate_link: outbox emails with token_hash links
verified through supabase-py's verify_otp (the SSR pattern the console uses)."""

import json
import time
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from django.db import connection
from supabase_auth.errors import AuthApiError

from localauth.outbox import latest_link, list_messages
from localauth.tokens import token_hash
from tests.localauth.conftest import fetch, fetch_one, service_headers

pytestmark = pytest.mark.django_db(transaction=True)
CONSOLE = "http://127.0.0.1:8000/auth/confirm"


def new_email(prefix="mail") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.test"


def link_params(link: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def api_error(call) -> AuthApiError:
    with pytest.raises(AuthApiError) as caught:
        call()
    return caught.value


def amr_methods(access_token: str) -> list[str]:
    claims = jwt.decode(access_token, options={"verify_signature": False})
    return [a["method"] for a in claims["amr"]]


def test_invite_accept_set_password_and_sign_in(admin, anon, outbox_dir):
    email = new_email("invitee")
    invited = admin.invite_user_by_email(
        email, {"redirect_to": CONSOLE, "data": {"display_name": "Ivy"}}
    ).user
    assert invited.email == email and invited.invited_at is not None
    assert invited.confirmation_sent_at is not None and invited.email_confirmed_at is None
    assert invited.identities[0].provider == "email"
    profile = fetch_one("select * from public.profiles where id = %s", [invited.id])
    assert (
        profile["display_name"] == "Ivy" and profile["role"] is None
    )  # no role until an admin gives one

    message = list_messages(outbox_dir)[0]
    assert message["to"] == email and message["type"] == "invite"
    assert message["subject"] == "You have been invited" and message["link"] in message["text"]
    link = latest_link(outbox_dir, email, "invite")
    assert link.startswith(CONSOLE + "?")
    params = link_params(link)
    assert params["type"] == "invite"
    row = fetch_one("select confirmation_token from auth.users where id = %s", [invited.id])
    assert params["token_hash"] == row["confirmation_token"]
    ott = fetch_one("select * from auth.one_time_tokens where user_id = %s", [invited.id])
    assert ott["token_type"] == "confirmation_token"
    assert ott["token_hash"] == row["confirmation_token"]
    assert ott["relates_to"] == email

    client = anon()
    response = client.auth.verify_otp({"token_hash": params["token_hash"], "type": "invite"})
    assert response.session is not None and response.user.id == invited.id
    assert response.user.email_confirmed_at is not None
    assert amr_methods(response.session.access_token) == ["otp"]
    row = fetch_one("select * from auth.users where id = %s", [invited.id])
    assert row["confirmation_token"] == "" and row["email_confirmed_at"] is not None
    assert fetch("select id from auth.one_time_tokens where user_id = %s", [invited.id]) == []
    identity = fetch_one(
        "select identity_data from auth.identities where user_id = %s", [invited.id]
    )
    assert json.loads(identity["identity_data"])["email_verified"] is True

    # The link works once.
    error = api_error(
        lambda: anon().auth.verify_otp({"token_hash": params["token_hash"], "type": "invite"})
    )
    assert (error.status, error.code) == (403, "otp_expired")

    client.auth.update_user({"password": "Chosen-password-31"})
    session = (
        anon()
        .auth.sign_in_with_password({"email": email, "password": "Chosen-password-31"})
        .session
    )
    assert session.user.id == invited.id


def test_inviting_a_confirmed_user_is_refused(admin, make_user, outbox_dir):
    user = make_user()
    error = api_error(lambda: admin.invite_user_by_email(user.email))
    assert (error.status, error.code) == (422, "email_exists")
    assert latest_link(outbox_dir, user.email) is None


def test_reinviting_an_unconfirmed_user_sends_a_new_link(admin, anon, outbox_dir):
    email = new_email("twice")
    first_user = admin.invite_user_by_email(email).user
    first = link_params(latest_link(outbox_dir, email))["token_hash"]
    second_user = admin.invite_user_by_email(email).user
    second = link_params(latest_link(outbox_dir, email))["token_hash"]
    assert first_user.id == second_user.id and first != second
    assert (
        api_error(lambda: anon().auth.verify_otp({"token_hash": first, "type": "invite"})).code
        == "otp_expired"
    )
    assert anon().auth.verify_otp({"token_hash": second, "type": "invite"}).session


def test_recovery_flow(anon, make_user, outbox_dir):
    user = make_user()
    client = anon()
    assert client.auth.reset_password_for_email(user.email, {"redirect_to": CONSOLE}) is None
    link = latest_link(outbox_dir, user.email, "recovery")
    assert link.startswith(CONSOLE + "?") and link_params(link)["type"] == "recovery"
    row = fetch_one(
        "select recovery_token, recovery_sent_at from auth.users where id = %s", [user.id]
    )
    assert row["recovery_token"] == link_params(link)["token_hash"] and row["recovery_sent_at"]

    response = client.auth.verify_otp(
        {"token_hash": link_params(link)["token_hash"], "type": "recovery"}
    )
    assert response.user.id == user.id and response.session.access_token
    assert (
        fetch_one("select recovery_token from auth.users where id = %s", [user.id])[
            "recovery_token"
        ]
        == ""
    )
    client.auth.update_user({"password": "Recovered-password-8"})
    assert (
        anon()
        .auth.sign_in_with_password({"email": user.email, "password": "Recovered-password-8"})
        .session
    )


def test_recovery_for_an_unknown_email_answers_the_same_and_sends_nothing(api, outbox_dir):
    email = new_email("nobody")
    before = len(list_messages(outbox_dir))
    response = api.post(
        "/recover", json={"email": email}, headers={"X-Supabase-Api-Version": "2024-01-01"}
    )
    assert (response.status_code, response.json()) == (200, {})
    assert len(list_messages(outbox_dir)) == before
    assert latest_link(outbox_dir, email) is None
    response = api.post("/recover", json={"email": ""})
    assert (response.status_code, response.json()["error_code"]) == (400, "validation_failed")


def test_redirects_outside_the_site_fall_back_to_the_site_url(
    anon, make_user, auth_server, outbox_dir
):
    user = make_user()
    anon().auth.reset_password_for_email(user.email, {"redirect_to": "https://evil.example/x"})
    link = latest_link(outbox_dir, user.email)
    assert link.startswith(auth_server.config.site_url + "?token_hash=")
    anon().auth.reset_password_for_email(
        user.email, {"redirect_to": "http://localhost:3000/cb?a=1"}
    )
    assert latest_link(outbox_dir, user.email).startswith(
        "http://localhost:3000/cb?a=1&token_hash="
    )


def test_verify_otp_errors(anon, admin, make_user, outbox_dir):
    error = api_error(lambda: anon().auth.verify_otp({"token_hash": "0" * 56, "type": "recovery"}))
    assert (error.status, error.code, error.message) == (
        403,
        "otp_expired",
        "Email link is invalid or has expired",
    )

    user = make_user()
    anon().auth.reset_password_for_email(user.email)
    hashed = link_params(latest_link(outbox_dir, user.email))["token_hash"]
    # A recovery hash is not an invite hash.
    assert (
        api_error(lambda: anon().auth.verify_otp({"token_hash": hashed, "type": "invite"})).code
        == "otp_expired"
    )

    admin.update_user_by_id(user.id, {"ban_duration": "10m"})
    error = api_error(lambda: anon().auth.verify_otp({"token_hash": hashed, "type": "recovery"}))
    assert (error.status, error.code) == (403, "user_banned")
    admin.update_user_by_id(user.id, {"ban_duration": "none"})

    with connection.cursor() as cursor:  # sent more than an hour ago
        cursor.execute(
            "update auth.users set recovery_sent_at = now() - %s where id = %s",
            [timedelta(hours=1, seconds=5), user.id],
        )
    error = api_error(lambda: anon().auth.verify_otp({"token_hash": hashed, "type": "recovery"}))
    assert (error.status, error.code) == (403, "otp_expired")


def test_verify_body_validation(api):
    version = {"X-Supabase-Api-Version": "2024-01-01"}
    cases = [
        ({"token_hash": "abc"}, "Verify requires a verification type"),
        ({"type": "recovery"}, "Verify requires either a token or a token hash"),
        (
            {"type": "recovery", "token_hash": "abc", "email": "a@example.test"},
            "Only the token_hash and type should be provided",
        ),
        ({"type": "sideways", "token_hash": "abc"}, "Invalid email verification type"),
    ]
    for body, message in cases:
        response = api.post("/verify", json=body, headers=version)
        assert response.status_code == 400, body
        assert response.json() == {"code": "validation_failed", "message": message}


def test_verify_with_email_and_code(anon, make_user, outbox_dir):
    user = make_user()
    anon().auth.reset_password_for_email(user.email)
    text = list_messages(outbox_dir)[0]["text"]
    code = text.rsplit("code: ", 1)[1].strip()
    assert len(code) == 6 and code.isdigit()
    assert (
        token_hash(user.email, code)
        == link_params(latest_link(outbox_dir, user.email))["token_hash"]
    )
    error = api_error(
        lambda: anon().auth.verify_otp(
            {
                "email": user.email,
                "token": "000000" if code != "000000" else "111111",
                "type": "recovery",
            }
        )
    )
    assert (error.status, error.code) == (403, "otp_expired")
    response = anon().auth.verify_otp({"email": user.email, "token": code, "type": "email"})
    assert response.user.id == user.id and response.session


def test_magic_link_via_sign_in_with_otp(anon, make_user, outbox_dir):
    user = make_user()
    client = anon()
    client.auth.sign_in_with_otp({"email": user.email, "options": {"email_redirect_to": CONSOLE}})
    message = list_messages(outbox_dir)[0]
    assert message["type"] == "magiclink" and message["to"] == user.email
    hashed = link_params(message["link"])["token_hash"]
    response = client.auth.verify_otp({"token_hash": hashed, "type": "magiclink"})
    assert response.user.id == user.id
    error = api_error(lambda: anon().auth.sign_in_with_otp({"email": new_email()}))
    assert (error.status, error.code) == (422, "otp_disabled")


def test_generate_link_parses_and_sends_nothing(admin, anon, make_user, auth_server, outbox_dir):
    user = make_user()
    before = len(list_messages(outbox_dir))
    response = admin.generate_link(
        {"type": "recovery", "email": user.email, "options": {"redirect_to": CONSOLE}}
    )
    props = response.properties
    assert response.user.id == user.id
    assert props.verification_type == "recovery" and props.redirect_to == CONSOLE
    assert len(props.email_otp) == 6
    assert props.hashed_token == token_hash(user.email, props.email_otp)
    assert props.action_link.startswith(auth_server.url + "/auth/v1/verify?token=")
    assert len(list_messages(outbox_dir)) == before

    # The action link is GoTrue's GET /verify: a redirect with the session in the fragment.
    redirect = httpx.get(props.action_link, follow_redirects=False)
    assert redirect.status_code == 303
    location = redirect.headers["location"]
    assert location.startswith(CONSOLE + "#")
    fragment = parse_qs(urlsplit(location).fragment)
    assert fragment["type"] == ["recovery"] and fragment["token_type"] == ["bearer"]
    assert anon().auth.get_user(fragment["access_token"][0]).user.id == user.id
    again = httpx.get(props.action_link, follow_redirects=False).headers["location"]
    assert parse_qs(urlsplit(again).fragment)["error_code"] == ["otp_expired"]


def test_generate_link_types(admin, anon, make_user):
    email = new_email("signup")
    signup = admin.generate_link({"type": "signup", "email": email, "password": "Sign-up-pass-1"})
    assert signup.properties.verification_type == "signup" and signup.user.email == email
    assert signup.user.email_confirmed_at is None
    verified = anon().auth.verify_otp(
        {"token_hash": signup.properties.hashed_token, "type": "signup"}
    )
    assert verified.user.email_confirmed_at is not None
    assert anon().auth.sign_in_with_password({"email": email, "password": "Sign-up-pass-1"}).session

    invite = admin.generate_link({"type": "invite", "email": new_email("inv")})
    assert invite.properties.verification_type == "invite" and invite.user.invited_at is not None

    fresh = new_email("magic")
    magic = admin.generate_link({"type": "magiclink", "email": fresh})
    assert magic.properties.verification_type == "signup"  # unknown email: a sign-up link
    user = make_user()
    magic = admin.generate_link({"type": "magiclink", "email": user.email})
    assert magic.properties.verification_type == "magiclink"
    assert (
        anon()
        .auth.verify_otp({"token_hash": magic.properties.hashed_token, "type": "magiclink"})
        .user.id
        == user.id
    )

    error = api_error(lambda: admin.generate_link({"type": "recovery", "email": new_email()}))
    assert (error.status, error.code) == (404, "user_not_found")
    error = api_error(
        lambda: admin.generate_link(
            {"type": "signup", "email": user.email, "password": "whatever1"}
        )
    )
    assert (error.status, error.code) == (422, "email_exists")


def test_generate_link_rejects_unknown_types(api):
    response = api.post(
        "/admin/generate_link",
        json={"type": "teleport", "email": "a@b.test"},
        headers=service_headers(),
    )
    assert response.status_code == 400
    assert response.json()["msg"] == "Invalid email action link type requested"


def test_an_otp_session_refreshes_like_any_other(anon, make_user, outbox_dir):
    user = make_user()
    anon().auth.reset_password_for_email(user.email)
    hashed = link_params(latest_link(outbox_dir, user.email))["token_hash"]
    session = anon().auth.verify_otp({"token_hash": hashed, "type": "recovery"}).session
    time.sleep(0.01)
    refreshed = anon().auth.refresh_session(session.refresh_token).session
    assert amr_methods(refreshed.access_token) == ["otp"]
