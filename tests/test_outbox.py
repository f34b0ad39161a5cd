"""The local outbox holds live invitation and reset links: it answers only in local
development, only to requests from this machine, and only to signed-in admins."""

import pytest
from django.test import Client
from django.urls import reverse

OUTBOX = "/dev/outbox/"
NOTICE = "visible only on this machine, to admins"


@pytest.fixture
def local(settings):
    settings.DEBUG = True
    settings.LOCAL_AUTH = True
    settings.TRUSTED_PROXY_COUNT = 0
    return settings


def nav_links_outbox(client) -> bool:
    return f'href="{OUTBOX}"' in client.get(reverse("console:dashboard")).content.decode()


def test_an_admin_on_this_machine_sees_it_and_is_told_who_else_can(local, signed_in):
    client = signed_in("admin")
    for loopback in ("127.0.0.1", "127.8.9.10", "::1"):
        page = client.get(OUTBOX, REMOTE_ADDR=loopback)
        assert page.status_code == 200, loopback
        assert NOTICE in page.content.decode()
    assert nav_links_outbox(client)


@pytest.mark.parametrize(
    "headers",
    [
        {"REMOTE_ADDR": "10.0.0.5"},
        {"REMOTE_ADDR": "192.0.2.7"},
        {"REMOTE_ADDR": "2001:db8::1"},
        # Through a reverse proxy on this machine: REMOTE_ADDR is loopback, the client is not.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": "for=203.0.113.9"},
    ],
)
def test_from_another_machine_it_is_not_there_even_for_an_admin(local, signed_in, headers):
    client = signed_in("admin")
    assert client.get(OUTBOX, **headers).status_code == 404
    anonymous = Client()
    assert anonymous.get(OUTBOX, **headers).status_code == 404


def test_behind_a_trusted_proxy_it_is_not_there(local, signed_in):
    local.TRUSTED_PROXY_COUNT = 1
    client = signed_in("admin")
    assert client.get(OUTBOX).status_code == 404
    assert not nav_links_outbox(client)


@pytest.mark.parametrize("role", ["editor", "auditor", "viewer"])
def test_other_roles_are_refused_and_not_shown_the_link(local, signed_in, role):
    client = signed_in(role)
    assert client.get(OUTBOX).status_code == 403
    assert not nav_links_outbox(client)


def test_anonymous_visitors_on_this_machine_are_sent_to_sign_in(local, transactional_db):
    response = Client().get(OUTBOX)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_with_a_real_supabase_project_it_is_not_there(local, signed_in):
    client = signed_in("admin")
    local.LOCAL_AUTH = False
    assert client.get(OUTBOX).status_code == 404
    assert not nav_links_outbox(client)
