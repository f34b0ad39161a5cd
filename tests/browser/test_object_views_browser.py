"""The generic edit view's conflict panel in headless Chromium (on the knowledge base's edit
page): someone saves while I edit; my save shows theirs and mine and saves nothing; I choose
"Overwrite with mine" (a button outside the form, tied to it by form=, no script)."""

import pytest
from playwright.sync_api import expect

from console import audited
from console.rls import as_user
from knowledge.models import Entry
from tests.browser.test_login_browser import log_in
from tests.factories import db_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_conflicting_save_shows_both_versions_until_i_choose_mine(page, make_user):
    entry = Entry.objects.create(title="Shared entry", content="Original body.", is_active=True)
    log_in(page, make_user("editor").email)
    page.goto(f"/knowledge/{entry.pk}/edit/")
    page.get_by_label("Content").fill("My body.")

    other = db_user("admin")
    with as_user(other.claims):
        audited.update(audited.Actor(other.id, None, "pytest"), entry, title="Their title")

    page.get_by_role("button", name="Save").click()
    panel = page.get_by_role("region", name="Someone else saved this entry")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("row", name="title")).to_contain_text("Their title")
    expect(panel.get_by_role("row", name="content")).to_contain_text("My body.")
    expect(panel).to_contain_text(other.email)  # what they changed, from the history
    assert Entry.objects.get(pk=entry.pk).content == "Original body."  # nothing of mine yet
    expect(panel.get_by_role("link", name="Keep theirs")).to_have_attribute(
        "href", f"/knowledge/{entry.pk}/"
    )

    panel.get_by_role("button", name="Overwrite with mine").click()
    expect(page.get_by_text("is saved")).to_be_visible()
    saved = Entry.objects.get(pk=entry.pk)
    assert (saved.title, saved.content) == ("Shared entry", "My body.")
    # The conflict page itself answers 409, which Chromium logs; nothing else may be logged.
    assert [e for e in page.console_errors if "409 (Conflict)" not in e] == []
