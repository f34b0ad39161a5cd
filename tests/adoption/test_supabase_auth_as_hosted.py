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
