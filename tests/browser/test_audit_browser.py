"""An auditor in headless Chromium: filters the audit trail by actor (picked from the
suggestions) and action, opens an entry, reads the diff, and exports the filter as CSV."""

import csv
import re

import pytest
from playwright.sync_api import expect

from agents.models import Agent
from console import audited
from console.audit_log import AuditLog
from console.rls import as_user
from tests.browser.test_login_browser import log_in
from tests.console_connection import console_connection
from tests.factories import db_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_filters_opens_an_entry_sees_the_diff_and_exports_csv(page, make_user):
    actor = db_user("admin", email="ada.browser@example.test")
    bystander = db_user("admin", email="ada.bystander@example.test")
    who = audited.Actor(actor.id, "198.51.100.23", "Mozilla/5.0 (browser test)")
    # Written as the console writes: its own role (which the trigger believes for the IP and
    # user agent), in the user's claims (which name the actor).
    with console_connection(), as_user(actor.claims):
        agent = audited.create(who, Agent, name="Crawler", type="analyzer", status="active")
        audited.update(who, agent, status="paused", configuration={"limits": {"rpm": 60}})
    with console_connection(), as_user(bystander.claims):
        audited.create(audited.Actor(bystander.id, None, ""), Agent, name="Other", type="writer")
    auditor = make_user("auditor")

    log_in(page, auditor.email)
    page.goto("/audit/")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads
    actor_box = page.get_by_label("Actor")
    actor_box.fill("ada.b")
    suggestions = page.locator("#audit-actor-suggestions option")
    expect(suggestions).to_have_count(2)
    expect(
        page.locator('#audit-actor-suggestions option[value="ada.browser@example.test"]')
    ).to_have_count(1)
    actor_box.fill("ada.browser@example.test")
    page.get_by_label("Action").fill("update")
    page.get_by_label("Action").press("Enter")

    expect(page).to_have_url(re.compile(r"actor=ada\.browser%40example\.test.*action=update"))
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ai_agents")
    assert page.evaluate("window.stillTheSamePage === true")  # htmx refreshed in place

    rows.first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("UPDATE")
    expect(page.get_by_role("link", name="ada.browser@example.test")).to_have_attribute(
        "href", f"/users/{actor.id}/"
    )
    expect(page.get_by_role("link", name=str(agent.pk))).to_have_attribute(
        "href", f"/agents/{agent.pk}/"
    )
    changed = page.locator("tr.diff-changed")
    expect(changed.filter(has_text="status")).to_contain_text("active")
    expect(changed.filter(has_text="status")).to_contain_text("paused")
    expect(
        page.locator("tr.diff-changed, tr.diff-added").filter(has_text="configuration")
    ).to_contain_text("60")
    expect(page.get_by_text("198.51.100.23")).to_be_visible()

    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    with open(download.value.path(), encoding="utf-8") as exported_file:
        exported = list(csv.DictReader(exported_file))
    assert [(r["actor_email"], r["action"], r["record_id"]) for r in exported] == [
        ("ada.browser@example.test", "UPDATE", str(agent.pk))
    ]
    assert AuditLog.objects.get(action="EXPORT", user_id=auditor.id).new_values == {
        "format": "csv",
        "filters": {"actor": "ada.browser@example.test", "action": "update"},
    }
    assert not page.console_errors, page.console_errors
