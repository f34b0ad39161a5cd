"""A person at the login page, in headless Chromium, for every role."""

import re

import pytest
from playwright.sync_api import expect

from tests.fixtures_auth import DEFAULT_TEST_PASSWORD
from tests.test_shell import EXPECTED_NAV

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email, password=DEFAULT_TEST_PASSWORD):
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("role", ["admin", "editor", "auditor", "viewer"])
def test_each_role_logs_in_sees_its_navigation_and_logs_out(page, make_user, role):
    user = make_user(role)
    log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/$"))
    nav = page.get_by_role("navigation", name="Main")
    links = [t.strip() for t in nav.get_by_role("link").all_inner_texts()]
    assert [label for label in links if label in EXPECTED_NAV["admin"]] == EXPECTED_NAV[role]
    page.get_by_role("button", name=re.compile("Log out|Sign out", re.I)).click()
    expect(page).to_have_url(re.compile(r"/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=(%2F|/)$"))
    assert not page.console_errors, page.console_errors


def test_a_wrong_password_shows_the_error(page, make_user):
    user = make_user("viewer")
    log_in(page, user.email, "Not-the-password-1")
    expect(page.get_by_role("alert")).to_contain_text("Incorrect email or password.")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_the_list_filters_in_place_and_the_url_follows(page, make_user):
    from agents.models import Agent

    Agent.objects.create(name="Alpha Active", type="analyzer", status="active")
    Agent.objects.create(name="Beta Paused", type="analyzer", status="paused")
    user = make_user("admin")
    log_in(page, user.email)
    page.goto("/agents/")
    expect(page.get_by_role("link", name="Beta Paused")).to_be_visible()
    page.get_by_label("Status").select_option("active")
    expect(page).to_have_url(re.compile(r"status=active"))
    expect(page.get_by_role("link", name="Beta Paused")).to_have_count(0)
    expect(page.get_by_role("link", name="Alpha Active")).to_be_visible()
    page.reload()
    expect(page.get_by_role("link", name="Beta Paused")).to_have_count(0)
    page.go_back()
    expect(page.get_by_role("link", name="Beta Paused")).to_be_visible()
    assert not page.console_errors, page.console_errors
