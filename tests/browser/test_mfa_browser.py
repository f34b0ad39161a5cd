"""Two-factor sign-in in headless Chromium: a person adds an authenticator app (the code
computed from the secret the page shows), signs in again through the code step (a wrong code
refused), and an admin removes the factor of a lost phone, after which the password alone
signs in. Each step is in the audit trail."""

import re

import pyotp
import pytest
from django.db import connection
from playwright.sync_api import expect

from tests.browser.journeys import answered, assert_clean, new_person, watch
from tests.browser.test_login_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mfa_actions(user_id) -> list[tuple[str, str, str]]:
    """(action, the factor's name, actor) of the MFA rows about this user, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select action, new_values->>'factor', user_id::text from public.audit_logs"
            " where table_name = 'profiles' and record_id = %s and action like 'MFA%%'"
            " order by created_at, id",
            [str(user_id)],
        )
        return cursor.fetchall()


def test_enrol_sign_in_with_the_code_and_an_admin_removes_the_factor(
    page, browser, live_server, make_user
):
    user, admin = make_user("editor"), make_user("admin")
    watch(page)
    log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/$"))

    page.get_by_role("link", name="My profile").click()
    page.get_by_role("link", name="Authenticator apps").click()
    expect(page.get_by_text("None yet")).to_be_visible()
    page.get_by_label("Name (optional)").fill("Pixel")
    page.get_by_role("button", name="Add an authenticator app").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("[data-totp-secret]").get_attribute("data-totp-secret")
    totp = pyotp.TOTP(secret)
    page.get_by_role("textbox", name="Code").fill(totp.now())
    page.get_by_role("button", name="Verify the code").click()
    expect(page.get_by_text("Your authenticator app is set up")).to_be_visible()
    expect(page.get_by_role("cell", name="Verified")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/login/mfa/"))
    page.goto("/knowledge/")
    expect(page).to_have_url(re.compile(r"/login/mfa/"))  # nothing else until the code
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    page.get_by_role("textbox", name="Code").fill(wrong)
    with answered(page, 400):
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    page.get_by_role("textbox", name="Code").fill(totp.now())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/knowledge/$"))

    other = new_person(browser, live_server)
    log_in(other, admin.email)
    other.goto(f"/users/{user.id}/")
    other.get_by_role("link", name="Remove Pixel…").click()
    other.get_by_label("Type the user's email address to confirm").fill(user.email)
    other.get_by_role("button", name="Remove the factor").click()
    expect(other.get_by_text(f"Removed Pixel of {user.email}")).to_be_visible()
    expect(other.get_by_text("None: this user signs in with the password alone.")).to_be_visible()

    page.goto("/knowledge/")
    expect(page).to_have_url(re.compile(r"/login/"))  # the removal ended their session
    log_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/$"))  # the password alone again

    assert mfa_actions(user.id) == [
        ("MFA_ENROLL", "Pixel", str(user.id)),
        ("MFA_VERIFY", "Pixel", str(user.id)),
        ("MFA_FAILED", "Pixel", str(user.id)),
        ("MFA_LOGIN", "Pixel", str(user.id)),
        ("MFA_ADMIN_DELETE", "Pixel", str(admin.id)),
    ]
    assert_clean(page, other)
    other.context.close()
