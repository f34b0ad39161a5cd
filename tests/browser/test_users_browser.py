"""Users and roles in headless Chromium: an admin invites an editor, the editor accepts from
the outbox link and works, the admin bans them and their open session ends."""

import re

import pytest
from playwright.sync_api import expect

from localauth.outbox import latest_link
from tests.browser.test_login_browser import log_in
from tests.test_shell import EXPECTED_NAV

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nav_links(page) -> list[str]:
    nav = page.get_by_role("navigation", name="Main")
    labels = [t.strip() for t in nav.get_by_role("link").all_inner_texts()]
    return [label for label in labels if label in EXPECTED_NAV["admin"]]


def test_an_invited_editor_signs_in_and_is_locked_out_by_a_ban(
    page, browser, live_server, make_user, auth_server
):
    admin = make_user("admin")
    email, password = "ivy.editor@example.test", "Ivy-Chooses-2026-Pass"

    # The admin invites Ivy as an editor.
    log_in(page, admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="New", exact=True).click()
    invite = page.get_by_role("region", name="Invite by email")
    invite.get_by_label("Email").fill(email)
    invite.get_by_label("Role").select_option("editor")
    invite.get_by_label("Display name").fill("Ivy Editor")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text(f"An invitation is on its way to {email}")).to_be_visible()
    expect(page.get_by_role("heading", name="Ivy Editor")).to_be_visible()
    user_page = page.url

    # Ivy follows the link in the outbox, in her own browser, and chooses a password.
    link = latest_link(auth_server.config.outbox_dir, email, "invite")
    assert link and "/auth/confirm/" in link
    ivy_context = browser.new_context(base_url=live_server.url)
    ivy = ivy_context.new_page()
    ivy.set_default_timeout(10_000)
    ivy.goto(link)
    ivy.get_by_label("New password", exact=True).fill(password)
    ivy.get_by_label("Repeat the new password").fill(password)
    ivy.get_by_role("button", name="Save the password").click()
    expect(ivy).to_have_url(re.compile(r"/login/"))
    log_in(ivy, email, password)
    expect(ivy).to_have_url(re.compile(r"/$"))
    assert nav_links(ivy) == EXPECTED_NAV["editor"]
    ivy.get_by_role("link", name="Knowledge base").click()
    expect(ivy.get_by_role("heading", level=1)).to_be_visible()

    # The admin bans her for a day; her open session ends with her next request.
    page.goto(user_page)
    expect(page.get_by_text("Email confirmed")).to_be_visible()
    page.get_by_label("Ban for").select_option("24h")
    page.get_by_role("button", name="Ban", exact=True).click()
    expect(page.get_by_text("Ivy Editor is banned for 1 day")).to_be_visible()

    ivy.get_by_role("link", name="Dashboard").click()
    expect(ivy).to_have_url(re.compile(r"/login/"))
    expect(ivy.get_by_text("Your account has been suspended.")).to_be_visible()
    log_in(ivy, email, password)
    expect(ivy.get_by_role("alert")).to_contain_text("This account is suspended.")
    assert not page.console_errors, page.console_errors
    ivy_context.close()


def test_the_users_list_filters_in_place(page, make_user):
    admin = make_user("admin")
    make_user("editor", email="erin.editor@example.test", display_name="Erin Editor")
    make_user("viewer", email="vic.viewer@example.test", display_name="Vic Viewer")
    log_in(page, admin.email)
    page.goto("/users/")
    expect(page.get_by_role("link", name="vic.viewer@example.test")).to_be_visible()
    page.get_by_label("Role").select_option("editor")
    expect(page).to_have_url(re.compile(r"role=editor"))
    expect(page.get_by_role("link", name="vic.viewer@example.test")).to_have_count(0)
    page.get_by_label("Search").fill("erin")
    expect(page).to_have_url(re.compile(r"q=erin"))
    expect(page.get_by_role("link", name="erin.editor@example.test")).to_be_visible()
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"q=erin"))
    expect(page.get_by_role("link", name="erin.editor@example.test")).to_be_visible()
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"role=editor"))
    expect(page.get_by_role("link", name="vic.viewer@example.test")).to_be_visible()
    assert not page.console_errors, page.console_errors
