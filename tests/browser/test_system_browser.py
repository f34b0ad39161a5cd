"""The system page in headless Chromium: an admin reaches it from the navigation and reads
the backend's state, with no console errors (strict CSP)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_login_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_opens_the_system_page_from_the_navigation(page, make_user):
    user = make_user("admin")
    log_in(page, user.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="System").click()
    expect(page).to_have_url(re.compile(r"/system/$"))
    expect(page.get_by_role("heading", name="System", level=1)).to_be_visible()
    for section in ("Database", "Connections", "Supabase Auth", "Tables", "Slowest statements"):
        expect(page.get_by_role("heading", name=re.compile(f"^{section}"))).to_be_visible()
    expect(page.locator("#breaker-state")).to_contain_text("closed")
    expect(page.locator("#tables tbody tr")).to_have_count(7)
    assert not page.console_errors, page.console_errors
