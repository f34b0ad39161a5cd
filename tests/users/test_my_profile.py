"""My profile: every role changes their own display name and password, under the same
password rule, and nothing else."""

import pytest
from django.test import Client
from django.urls import reverse

from console.users.models import Profile
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD
from tests.users.conftest import audit_rows, role_of

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Brand-New-Secret-2026"


def _version(user_id) -> str:
    return Profile.objects.get(pk=user_id).updated_at.isoformat()


def _change_password(client, current=DEFAULT_TEST_PASSWORD, new=NEW_PASSWORD, repeat=None):
    return client.post(
        reverse("users:my_password"),
        {"current_password": current, "new_password1": new, "new_password2": repeat or new},
    )


def _can_sign_in(email, password) -> bool:
    response = Client().post(reverse("console:login"), {"email": email, "password": password})
    return response.status_code == 302


@pytest.mark.parametrize("role", ["editor", "auditor", "viewer"])
def test_each_role_changes_their_own_name_and_password(signed_in, role):
    client = signed_in(role)
    me = client.user
    elsewhere = Client()  # the same user, signed in on another device
    assert (
        elsewhere.post(
            reverse("console:login"), {"email": me.email, "password": DEFAULT_TEST_PASSWORD}
        ).status_code
        == 302
    )

    page = client.get(reverse("users:my_profile"))
    assert page.status_code == 200 and "Change the password" in page.content.decode()
    response = client.post(
        reverse("users:my_profile"), {"display_name": "Me Myself", "version": _version(me.id)}
    )
    assert response.status_code == 302
    assert Profile.objects.get(pk=me.id).display_name == "Me Myself"

    response = _change_password(client)
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert elsewhere.get("/").status_code == 302  # the other one has ended
    assert _can_sign_in(me.email, NEW_PASSWORD)
    assert not _can_sign_in(me.email, DEFAULT_TEST_PASSWORD)
    [row] = audit_rows(me.id, "PASSWORD_CHANGE")
    assert str(row.user_id) == me.id and NEW_PASSWORD not in str(row.new_values)
    assert role_of(me.id) == role


@pytest.mark.parametrize(
    ("current", "new", "repeat", "field_message"),
    [
        ("Wrong-Password-1234", NEW_PASSWORD, None, "Your current password is not right."),
        (DEFAULT_TEST_PASSWORD, "short1A", None, "Use at least 12 characters."),
        (DEFAULT_TEST_PASSWORD, "1234567890Qwertyuiop", None, "This password is too common"),
        (DEFAULT_TEST_PASSWORD, NEW_PASSWORD, "Something-Else-2026", "are not the same"),
    ],
)
def test_a_refused_password_says_why_and_changes_nothing(
    signed_in, current, new, repeat, field_message
):
    client = signed_in("viewer")
    response = _change_password(client, current, new, repeat)
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert _can_sign_in(client.user.email, DEFAULT_TEST_PASSWORD)
    assert audit_rows(client.user.id, "PASSWORD_CHANGE") == []


def test_guessing_the_current_password_ends_the_session(signed_in, settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 3
    client = signed_in("editor")
    for _ in range(2):
        assert _change_password(client, current="Wrong-Password-1234").status_code == 400
    response = _change_password(client, current="Wrong-Password-1234")
    assert response.status_code == 302 and response.url.startswith(reverse("console:login"))
    assert client.get("/").status_code == 302  # signed out
    assert _can_sign_in(client.user.email, DEFAULT_TEST_PASSWORD)


def test_a_stale_profile_form_changes_nothing(signed_in):
    client = signed_in("viewer")
    opened = _version(client.user.id)
    client.post(reverse("users:my_profile"), {"display_name": "First", "version": opened})
    response = client.post(
        reverse("users:my_profile"), {"display_name": "Second", "version": opened}
    )
    assert response.status_code == 409
    assert "changed after you opened the page" in response.content.decode()
    assert Profile.objects.get(pk=client.user.id).display_name == "First"


def test_my_profile_changes_no_role(signed_in):
    client = signed_in("viewer")
    client.post(reverse("users:my_profile"), {"display_name": "Sneaky", "role": "admin"})
    assert role_of(client.user.id) == "viewer"
