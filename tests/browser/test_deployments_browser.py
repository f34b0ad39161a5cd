"""The acceptance flow of deployments in headless Chromium, as an admin: create 1.0.0, promote
it to staging and deploy it; create 1.1.0 and deploy it (1.0.0 becomes retired); roll back to
1.0.0 with a reason, after the page warned and showed the configuration difference; the
timeline and the audit trail show every step with who, when and the reason."""

import re

import pytest
from playwright.sync_api import expect

from deployments.models import Package, Status
from tests.browser.test_login_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def create(page, version, configuration):
    page.goto("/deployments/")
    page.get_by_role("link", name="New").click()
    page.get_by_label("Name").fill("checkout")
    page.get_by_label("Type").select_option("agent")
    page.get_by_label("Version").fill(version)
    page.get_by_label("Configuration").fill(configuration)
    page.get_by_label("Deployment data").fill('{"regions": ["eu-west-1"]}')
    page.get_by_role("button", name="Create the draft").click()


def test_an_admin_releases_deploys_and_rolls_back(page, make_user):
    admin = make_user("admin")
    log_in(page, admin.email)

    # A version that is not a semantic version is refused, with the rule in words.
    create(page, "1.2", "{}")
    expect(page.get_by_text("“1.2” is not a semantic version")).to_be_visible()
    page.console_errors.clear()  # that page answered 400, as it should

    create(page, "1.0.0", '{"replicas": 2, "limits": {"cpu": "1"}}')
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("checkout 1.0.0")
    expect(heading).to_contain_text("draft")
    # configuration as a table of keys and values
    expect(page.get_by_role("table", name="Configuration")).to_contain_text("limits.cpu")
    page.get_by_role("button", name="Promote to staging").click()
    expect(heading).to_contain_text("staging")
    page.get_by_label("Reason (optional)").fill("QA signed off")
    page.get_by_role("button", name="Deploy").click()
    expect(heading).to_contain_text("deployed")

    create(page, "1.1.0", '{"replicas": 4, "limits": {"cpu": "2"}}')
    page.get_by_role("button", name="Promote to staging").click()
    page.get_by_role("button", name="Deploy").click()
    expect(heading).to_contain_text("checkout 1.1.0")
    expect(heading).to_contain_text("deployed")
    assert Package.objects.get(version="1.0.0").status == Status.RETIRED

    page.get_by_role("link", name="Roll back to…").click()
    page.get_by_role("link", name="1.0.0").click()
    expect(page.get_by_role("alert")).to_contain_text("configuration differs")
    differences = page.get_by_role("table", name="Differences")
    expect(differences).to_contain_text("configuration.replicas")
    expect(differences).to_contain_text("configuration.limits.cpu")
    # The reason is required (the server says so too: tests/deployments/test_writes.py).
    expect(page.get_by_label("Reason")).to_have_attribute("required", "")
    page.get_by_label("Reason").fill("1.1.0 fails the checkout smoke test")
    page.get_by_role("button", name="Roll back to 1.0.0").click()
    expect(page.get_by_text("Rolled back: checkout 1.0.0 is deployed")).to_be_visible()
    expect(heading).to_contain_text("checkout 1.0.0")
    assert {p.version: p.status for p in Package.objects.all()} == {
        "1.0.0": Status.DEPLOYED,
        "1.1.0": Status.RETIRED,
    }

    # The timeline: every step, who, when and why.
    page.get_by_role("link", name="release timeline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("checkout: release timeline")
    steps = page.locator(".timeline-steps li")
    expect(steps).to_have_count(9)  # 1.0.0: 5 steps, 1.1.0: 4
    expect(steps.first).to_contain_text("1.0.0 became deployed by " + admin.email)
    expect(steps.first).to_contain_text("rollback: 1.1.0 fails the checkout smoke test")
    expect(steps.nth(1)).to_contain_text(
        "1.1.0 became retired by " + admin.email + " — rolled back to 1.0.0"
    )
    expect(page.locator(".timeline-steps")).to_contain_text("QA signed off")
    expect(page.locator(".timeline-steps")).to_contain_text("replaced by 1.1.0")
    expect(steps.first.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    expect(page.locator("tr.deployed-now")).to_contain_text("1.0.0")

    # The audit trail: the same steps, by the admin, with the reason in the new values.
    page.goto("/audit/?table=deployment_packages")
    results = page.locator("#results")
    expect(results).to_contain_text(admin.email)
    expect(results.get_by_text("UPDATE")).to_have_count(7)
    expect(results.get_by_text("CREATE")).to_have_count(2)
    newest = results.locator("tbody tr").first
    expect(newest).to_contain_text("UPDATE")
    newest.get_by_role("link").first.click()  # the entry's time opens it
    expect(page.locator("body")).to_contain_text("rollback: 1.1.0 fails the checkout smoke test")
    assert not page.console_errors, page.console_errors
