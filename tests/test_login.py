"""Signing in and out through Supabase Auth (the real supabase-py client over HTTP against the
local auth server), tokens kept on the server, sessions refreshed and ended."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse

from console.audit_log import AuditLog
from console.auth import session as session_store
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

UA = "pytest-login/1.0"


def sign_in(client, email, password=DEFAULT_TEST_PASSWORD, **extra):
    return client.post(
        reverse("console:login"),
        {"email": email, "password": password},
        HTTP_USER_AGENT=UA,
        REMOTE_ADDR="198.51.100.7",
        **extra,
    )


def test_the_login_page_has_email_and_password_fields(client, auth_server):
    page = client.get("/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="email"' in html and 'name="password"' in html


def test_signing_in_keeps_the_tokens_on_the_server(client, make_user):
    user = make_user("editor")
    response = sign_in(client, user.email)
    assert response.status_code == 302 and response["Location"] == "/"
    cookie = response.cookies["billygoat_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # The browser holds only the session id; the tokens are in the server-side session.
    tokens = session_store.load(_session(client))
    assert tokens.user_id == user.id and tokens.access_token.count(".") == 2
    assert tokens.access_token not in response.cookies.output()
    assert client.get("/").status_code == 200


def _session(client):
    """What session_store.load reads of a request: its session."""
    return SimpleNamespace(session=client.session)


def test_login_is_audited_with_ip_and_user_agent(client, make_user):
    user = make_user("viewer")
    sign_in(client, user.email)
    row = AuditLog.objects.get(user_id=user.id, action="LOGIN")
    assert (row.ip_address, row.user_agent) == ("198.51.100.7", UA)


def test_a_wrong_password_is_refused_with_a_clear_message_and_audited(client, make_user):
    user = make_user("viewer")
    response = sign_in(client, user.email, "Wrong-password-123")
    assert response.status_code == 400
    assert "Incorrect email or password." in response.content.decode()
    row = AuditLog.objects.filter(action="LOGIN_FAILED", new_values__email=user.email).get()
    assert (row.ip_address, row.user_agent, row.new_values["reason"]) == (
        "198.51.100.7",
        UA,
        "invalid_credentials",
    )
    assert "billygoat_session" not in response.cookies or not _session(client).session.get(
        session_store.SESSION_KEY
    )


def test_logout_signs_out_at_supabase_and_is_audited(client, make_user):
    user = make_user("auditor")
    sign_in(client, user.email)
    assert client.get(reverse("console:logout")).status_code == 405  # POST only
    response = client.post(reverse("console:logout"), HTTP_USER_AGENT=UA)
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302  # back to the login page
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from auth.sessions where user_id = %s", [user.id])
        assert cursor.fetchone()[0] == 0
    assert AuditLog.objects.filter(user_id=user.id, action="LOGOUT").exists()


def test_repeated_failures_are_throttled_with_429(client, make_user, settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 3
    user = make_user("viewer")
    statuses = [sign_in(client, user.email, "Wrong-password-123").status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    blocked = sign_in(client, user.email)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    assert int(blocked["Retry-After"]) > 0


def test_failures_from_one_ip_are_throttled_across_emails(client, make_user, settings):
    settings.LOGIN_THROTTLE_IP_LIMIT = 2
    for n in range(2):
        sign_in(client, f"nobody-{n}@example.com", "Wrong-password-123")
    assert sign_in(client, "someone-else@example.com", "Wrong-password-123").status_code == 429


def test_an_expired_access_token_is_refreshed(client, make_user, settings):
    user = make_user("viewer")
    sign_in(client, user.email)
    before = session_store.load(_session(client))
    settings.SUPABASE_REFRESH_MARGIN = 10_000  # every token counts as about to expire
    assert client.get("/").status_code == 200
    after = session_store.load(_session(client))
    assert after.refresh_token != before.refresh_token  # rotated: the old one is spent


def test_a_really_expired_access_token_is_refreshed(client, make_user, auth_server):
    import time

    auth_server.config.access_token_lifetime = 1
    try:
        user = make_user("viewer")
        sign_in(client, user.email)
        before = session_store.load(_session(client))
        time.sleep(1.5)  # the access token is now past its exp
    finally:
        auth_server.config.access_token_lifetime = 3600
    assert client.get("/agents/").status_code == 200
    after = session_store.load(_session(client))
    assert after.refresh_token != before.refresh_token and after.expires_at > before.expires_at


def test_a_failed_refresh_ends_the_session(client, make_user, settings):
    user = make_user("viewer")
    sign_in(client, user.email)
    with connection.cursor() as cursor:
        cursor.execute("delete from auth.refresh_tokens where user_id = %s", [user.id])
    settings.SUPABASE_REFRESH_MARGIN = 10_000
    response = client.get("/agents/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    login_page = client.get(response["Location"])
    assert "sign in again" in login_page.content.decode()


def test_a_session_ended_elsewhere_ends_here_on_the_next_request(client, make_user):
    user = make_user("viewer")
    sign_in(client, user.email)
    with connection.cursor() as cursor:
        cursor.execute("delete from auth.sessions where user_id = %s", [user.id])
    assert client.get("/").status_code == 302


def test_a_user_without_a_profile_sees_the_no_access_page(client, make_user):
    user = make_user("viewer")
    with connection.cursor() as cursor:
        cursor.execute("delete from public.profiles where id = %s", [user.id])
    sign_in(client, user.email)
    page = client.get("/")
    assert page.status_code == 403
    assert "no access" in page.content.decode().lower()


def test_a_user_with_no_role_sees_the_no_access_page(client, make_user):
    user = make_user("viewer")
    with connection.cursor() as cursor:
        cursor.execute("update public.profiles set role = null where id = %s", [user.id])
    sign_in(client, user.email)
    for url in ("/", "/agents/", "/users/me/"):
        page = client.get(url)
        assert page.status_code == 403 and "no access" in page.content.decode().lower()


def test_a_stopped_auth_server_gives_a_clear_message_on_the_login_page(client, make_user, settings):
    user = make_user("viewer")
    settings.SUPABASE_URL = "http://127.0.0.1:9"  # nothing listens there
    response = sign_in(client, user.email)
    assert response.status_code == 503
    assert "not answering" in response.content.decode()


def test_next_is_followed_only_within_the_site(client, make_user):
    user = make_user("viewer")
    response = client.post(
        "/login/",
        {
            "email": user.email,
            "password": DEFAULT_TEST_PASSWORD,
            "next": "https://evil.example.com/",
        },
    )
    assert response["Location"] == "/"
    client.post(reverse("console:logout"))
    response = client.post(
        "/login/",
        {"email": user.email, "password": DEFAULT_TEST_PASSWORD, "next": "/agents/?status=active"},
    )
    assert response["Location"] == "/agents/?status=active"


def test_next_must_name_a_page_of_the_site_else_the_dashboard(client, make_user):
    """Not a view name, a relative path or a path no page has: redirect() would try to
    reverse such a text (NoReverseMatch, a 500)."""
    user = make_user("viewer")
    refused = ("abc", "console:login", "0001-01-01", "a\x00b", "/no/such/", "/crews/name/%00/")
    for next_url in refused:
        response = client.post(
            "/login/", {"email": user.email, "password": DEFAULT_TEST_PASSWORD, "next": next_url}
        )
        assert response["Location"] == "/", next_url
        # Signed in already, the login page sends the browser on at once.
        assert client.get("/login/", {"next": next_url})["Location"] == "/", next_url
        client.post(reverse("console:logout"))
    kept = "/crews/name/Nightly%20Research/?runs=1"
    assert client.get("/login/", {"next": kept}).status_code == 200  # (signed out)
    response = client.post(
        "/login/", {"email": user.email, "password": DEFAULT_TEST_PASSWORD, "next": kept}
    )
    assert response["Location"] == kept


def test_bad_input_is_a_form_error_not_a_crash(client, auth_server):
    for data in (
        {},
        {"email": "not-an-email", "password": "x"},
        {"email": "a@b.co"},
        {"email": "a" * 300 + "@example.com", "password": "x"},
    ):
        response = client.post("/login/", data)
        assert response.status_code == 400


def test_forgot_password_sends_a_link_that_sets_a_new_password(client, make_user, auth_server):
    from localauth.outbox import latest_link

    user = make_user("editor")
    sent = client.post(reverse("console:password_forgot"), {"email": user.email})
    assert sent.status_code == 200 and "If an account exists" in sent.content.decode()
    link = latest_link(auth_server.config.outbox_dir, user.email, "recovery")
    assert link and "/auth/confirm/?" in link and "token_hash=" in link
    path = link[link.index("/auth/confirm/") :]
    form = client.get(path)
    assert form.status_code == 200
    token_hash = form.context["form"]["token_hash"].value()

    weak = client.post(
        path,
        {
            "token_hash": token_hash,
            "type": "recovery",
            "new_password1": "password123",
            "new_password2": "password123",
        },
    )
    assert weak.status_code == 400
    assert "at least 12 characters" in weak.content.decode().lower()

    new_password = "Brand-New-Secret-2026"
    done = client.post(
        path,
        {
            "token_hash": token_hash,
            "type": "recovery",
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert done.status_code == 302 and done["Location"] == "/login/"
    assert sign_in(client, user.email, new_password).status_code == 302

    client.post(reverse("console:logout"))
    reused = client.post(
        path,
        {
            "token_hash": token_hash,
            "type": "recovery",
            "new_password1": new_password + "x",
            "new_password2": new_password + "x",
        },
    )
    assert reused.status_code == 400 and "expired or was already used" in reused.content.decode()


def test_unknown_emails_get_the_same_answer(client, auth_server):
    response = client.post(reverse("console:password_forgot"), {"email": "nobody@example.com"})
    assert response.status_code == 200 and "If an account exists" in response.content.decode()


def test_a_stopped_auth_server_does_not_end_a_session_whose_token_is_still_valid(
    client, make_user, settings
):
    user = make_user("viewer")
    sign_in(client, user.email)
    settings.SUPABASE_REFRESH_MARGIN = 10_000  # a refresh is due…
    settings.SUPABASE_JWT_ISSUER = f"{settings.SUPABASE_URL}/auth/v1"  # the tokens' issuer
    settings.SUPABASE_URL = "http://127.0.0.1:9"  # …but Supabase Auth is not answering
    assert client.get("/agents/").status_code == 200
    assert session_store.load(_session(client)) is not None  # nothing lost


def test_a_stopped_auth_server_with_an_expired_token_gives_the_503_page(
    client, make_user, auth_server, settings
):
    import time

    auth_server.config.access_token_lifetime = 1
    try:
        user = make_user("viewer")
        sign_in(client, user.email)
    finally:
        auth_server.config.access_token_lifetime = 3600
    time.sleep(1.5)
    settings.SUPABASE_URL = "http://127.0.0.1:9"
    page = client.get("/agents/")
    assert page.status_code == 503 and "not answering" in page.content.decode()
    assert session_store.load(_session(client)) is not None  # the session waits for Auth to return
