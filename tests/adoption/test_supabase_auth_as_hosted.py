"""Supabase Auth as hosted projects may run it: a project that requires the current password
to change one still lets a user change their own password in the console."""

from django.urls import reverse

from tests.fixtures_auth import DEFAULT_TEST_PASSWORD

NEW_PASSWORD = "Another-Strong-Passw0rd"


def test_own_password_change_works_when_the_project_requires_the_current_password(
    signed_in, auth_server, monkeypatch
):
    monkeypatch.setattr(auth_server.config, "password_update_requires_current", True)
    client = signed_in("viewer")
    response = client.post(
        reverse("users:my_password"),
        {
            "current_password": DEFAULT_TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    fresh = type(client)()
    signed = fresh.post(
        reverse("console:login"), {"email": client.user.email, "password": NEW_PASSWORD}
    )
    assert signed.status_code == 302


def _session_ips(user_id):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "select host(ip) from auth.sessions where user_id = %s order by created_at", [user_id]
        )
        return [row[0] for row in cursor.fetchall()]


def _sign_in_from(address, user):
    from django.test import Client

    browser = Client(REMOTE_ADDR=address)
    response = browser.post(
        reverse("console:login"), {"email": user.email, "password": DEFAULT_TEST_PASSWORD}
    )
    assert response.status_code == 302


def test_the_browsers_ip_reaches_supabase_auth_when_the_project_accepts_it(
    make_user, settings, auth_server, monkeypatch
):
    # Hosted Auth believes Sb-Forwarded-For only from a secret key, with the project's toggle.
    secret_key = "sb_secret_hosted_test_" + "h" * 24
    monkeypatch.setattr(auth_server.config, "secret_keys", [secret_key])
    monkeypatch.setattr(auth_server.config, "sb_forwarded_for_enabled", True)
    settings.SUPABASE_SERVICE_ROLE_KEY = secret_key
    user = make_user("viewer")
    _sign_in_from("203.0.113.7", user)  # off by default: Auth sees the console's address
    settings.SUPABASE_FORWARD_CLIENT_IP = True
    _sign_in_from("198.51.100.23", user)
    assert _session_ips(user.id) == ["127.0.0.1", "198.51.100.23"]


def test_supabase_auth_ignores_sb_forwarded_for_without_a_secret_key(auth_server, make_user):
    import httpx
    from django.conf import settings

    user = make_user("viewer")
    response = httpx.post(
        f"{auth_server.url}/auth/v1/token?grant_type=password",
        json={"email": user.email, "password": DEFAULT_TEST_PASSWORD},
        headers={"apikey": settings.SUPABASE_ANON_KEY, "Sb-Forwarded-For": "192.0.2.99"},
    )
    assert response.status_code == 200
    assert _session_ips(user.id) == ["127.0.0.1"]
