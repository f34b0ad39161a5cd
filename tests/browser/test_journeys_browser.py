"""Whole journeys through email links, in headless Chromium, with DEBUG on and with DEBUG off:
an invitation accepted, a forgotten password, an admin's password-reset email. Each link is
taken from the local auth server's outbox; no step may answer 500 or log a console error.

The confirmation page is anonymous: it checks the new password on the console's own
connection, which is where a missing grant shows."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import (
    answered,
    assert_clean,
    new_person,
    outbox_link,
    show_outbox_on_page,
    watch,
)
from tests.browser.test_login_browser import log_in
from tests.test_shell import EXPECTED_NAV

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings, auth_server, tmp_path):
    """DEBUG on (local development, where admins read email on the Outbox page) or off."""
    settings.DEBUG = request.param
    if request.param:
        show_outbox_on_page(settings, auth_server.config.outbox_dir, tmp_path)
    return request.param


@pytest.fixture
def outbox_dir(auth_server):
    return auth_server.config.outbox_dir


def set_password_from_link(page, link, password, heading):
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/auth/confirm/(\?token_hash=[^#]*)?$"))  # no #tokens
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Repeat the new password").fill(password)
    with page.expect_response(lambda r: r.request.method == "POST") as saved:
        page.get_by_role("button", name="Save the password").click()
    assert saved.value.status == 302, f"saving the password answered {saved.value.status}"
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_text("Your password is set. Sign in with it now.")).to_be_visible()


def only_the_new_password_signs_in(page, email, old, new):
    with answered(page, 400):
        log_in(page, email, old)
    expect(page.get_by_role("alert")).to_contain_text("Incorrect email or password.")
    expect(page).to_have_url(re.compile(r"/login/"))
    log_in(page, email, new)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def nav_labels(page) -> list[str]:
    nav = page.get_by_role("navigation", name="Main")
    labels = [t.strip() for t in nav.get_by_role("link").all_inner_texts()]
    return [label for label in labels if label in EXPECTED_NAV["admin"]]


def test_an_invited_editor_sets_a_password_signs_in_and_works_within_the_role(
    debug, page, browser, live_server, make_user, outbox_dir
):
    admin = make_user("admin")
    email, password = "nora.new@example.test", "Nora-Picks-2026-Words"
    watch(page)

    log_in(page, admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="New", exact=True).click()
    invite = page.get_by_role("region", name="Invite by email")
    invite.get_by_label("Email").fill(email)
    invite.get_by_label("Role").select_option("editor")
    invite.get_by_label("Display name").fill("Nora New")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text(f"An invitation is on its way to {email}")).to_be_visible()

    link = outbox_link(email, "invite", outbox_dir=outbox_dir, admin_page=page)
    nora = new_person(browser, live_server)
    set_password_from_link(nora, link, password, "Welcome — set your password")
    log_in(nora, email, password)
    expect(nora).to_have_url(re.compile(r"/$"))
    assert nav_labels(nora) == EXPECTED_NAV["editor"]

    nora.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge base").click()
    nora.get_by_role("link", name="New", exact=True).click()
    expect(nora.get_by_role("heading", level=1)).to_have_text("New knowledge entry")

    for refused in ("/users/", "/users/new/"):
        with answered(nora, 403):
            response = nora.goto(refused)
        assert response.status == 403, refused
        expect(nora.get_by_role("heading", level=1)).to_have_text("You do not have access to this")
    assert_clean(page, nora)
    nora.context.close()


def test_a_forgotten_password_is_replaced_through_the_emailed_link(
    debug, page, browser, live_server, make_user, outbox_dir
):
    user = make_user("viewer")
    new_password = "Fresh-Start-2026-Viewer"
    watch(page)

    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text("we have sent a link")

    # With DEBUG on, the developer reads the email on the Outbox page as an admin.
    developer = None
    if debug:
        developer = new_person(browser, live_server)
        log_in(developer, make_user("admin").email)
    link = outbox_link(user.email, "recovery", outbox_dir=outbox_dir, admin_page=developer)
    set_password_from_link(page, link, new_password, "Choose a new password")
    only_the_new_password_signs_in(page, user.email, user.password, new_password)
    assert_clean(page, *([developer] if developer else []))
    if developer:
        developer.context.close()


def test_an_admins_reset_email_lets_the_user_choose_a_new_password(
    debug, page, browser, live_server, make_user, outbox_dir
):
    admin = make_user("admin")
    user = make_user("auditor", email="rita.reset@example.test")
    new_password = "Rita-Resets-2026-Now"
    watch(page)

    log_in(page, admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name=user.email).click()
    page.get_by_role("button", name="Send a password-reset email").click()
    expect(
        page.get_by_text(f"A password-reset email is on its way to {user.email}")
    ).to_be_visible()

    link = outbox_link(user.email, "recovery", outbox_dir=outbox_dir, admin_page=page)
    rita = new_person(browser, live_server)
    set_password_from_link(rita, link, new_password, "Choose a new password")
    only_the_new_password_signs_in(rita, user.email, user.password, new_password)
    assert_clean(page, rita)
    rita.context.close()


def test_a_default_template_link_through_supabase_auths_verify_sets_the_password(
    page, browser, live_server, make_user, auth_server, outbox_dir, monkeypatch
):
    """The default email templates' {{ .ConfirmationURL }}: Auth's /verify spends the token
    and redirects to the console with the session in the URL fragment, which the page's
    script hands to the password form (and then removes from the address bar)."""
    monkeypatch.setattr(auth_server.config, "email_links", "confirmation_url")
    user = make_user("viewer")
    new_password = "Fragment-Lands-2026-Here"
    watch(page)

    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text("we have sent a link")

    link = outbox_link(user.email, "recovery", outbox_dir=outbox_dir)
    assert link.startswith(auth_server.api_url + "/verify?")
    set_password_from_link(page, link, new_password, "Choose a new password")
    only_the_new_password_signs_in(page, user.email, user.password, new_password)

    again = new_person(browser, live_server)
    again.goto(link)  # spent: Auth redirects with #error_code=otp_expired
    expect(again.get_by_role("alert")).to_contain_text("has expired, was already used")
    expect(again.get_by_role("button", name="Save the password")).to_be_hidden()
    assert_clean(page, again)
    again.context.close()
