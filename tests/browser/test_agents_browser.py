"""Agents and crews in headless Chromium. An admin creates an agent with a JSON configuration,
adds it to a crew (records a run with "Run now" and names the agent in that run's
configuration: a crew's agents are those its latest configuration names), moves the run to
running and complete, sees the run on the crew's page, and finds every step in the audit trail
with its old and new values. A viewer reads the same pages without any write button."""

import re

import pytest
from playwright.sync_api import expect

from agents.models import Agent, Crew
from tests.browser.test_login_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def crew():
    return Crew.objects.create(
        crew_name="Nightly Research",
        crew_type="research",
        status="complete",
        configuration={"agents": [], "schedule": "daily"},
        performance_data={"duration": 300},
    )


def _save_run(page, status, configuration=None):
    page.get_by_role("link", name="Edit", exact=True).click()
    if configuration is not None:
        page.get_by_label("Configuration").fill(configuration)
    page.get_by_label("Status").select_option(status)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("is saved")).to_be_visible()


def test_an_admin_creates_an_agent_adds_it_to_a_crew_and_follows_a_run(page, make_user, crew):
    log_in(page, make_user("admin").email)
    page.goto("/agents/")
    page.get_by_role("link", name="New").click()
    page.get_by_label("Name").fill("Sentinel")
    page.get_by_label("Type").fill("monitor")
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Configuration").fill('{"model": "gpt-large",\n "thresholds": {"cpu": 90}')
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Line 2, column")).to_be_visible()  # the JSON lacks its brace
    page.console_errors.clear()  # that page's 400 was the point
    page.get_by_label("Configuration").fill('{"model": "gpt-large", "thresholds": {"cpu": 90}}')
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sentinel")
    config = page.get_by_role("region", name="Configuration")
    expect(config.get_by_role("row", name="thresholds.cpu 90")).to_be_visible()
    agent = Agent.objects.get(name="Sentinel")

    page.get_by_role("link", name="Crews", exact=True).first.click()
    page.locator("#main").get_by_role("link", name="Nightly Research").click()
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_text("is recorded as pending")).to_be_visible()
    run = Crew.objects.filter(status="pending").get()
    expect(page).to_have_url(re.compile(rf"/crews/{run.pk}/$"))

    _save_run(page, "running", f'{{"agents": ["{agent.pk}"], "schedule": "daily"}}')
    agents = page.get_by_role("region", name="Agents")
    expect(agents.get_by_role("link", name="Sentinel")).to_be_visible()
    _save_run(page, "complete")
    expect(page.locator(".badge", has_text="complete")).to_be_visible()

    page.get_by_role("heading", level=1).get_by_role("link", name="Nightly Research").click()
    expect(
        page.get_by_role("region", name="Agents").get_by_role("link", name="Sentinel")
    ).to_be_visible()
    runs = page.get_by_role("region", name="Runs over time")
    expect(runs.locator(f'a[href="/crews/{run.pk}/"]').first).to_be_visible()
    expect(runs.get_by_role("row").nth(1)).to_contain_text("complete")

    # Every step in the audit trail, with old and new values.
    page.goto(f"/audit/?record={agent.pk}")
    expect(page.locator("#results")).to_contain_text("CREATE")
    page.goto(f"/audit/?record={run.pk}")
    results = page.locator("#results")
    expect(results.get_by_text("UPDATE")).to_have_count(2)
    expect(results.get_by_text("CREATE")).to_have_count(1)
    page.goto(f"/crews/{run.pk}/history/")
    history = page.get_by_role("region", name="History")
    entries = history.locator(".history-entry")
    expect(entries).to_have_count(3)
    expect(entries.nth(0)).to_contain_text("running")  # old status
    expect(entries.nth(0)).to_contain_text("complete")  # new status
    expect(entries.nth(1)).to_contain_text("pending")
    expect(entries.nth(1)).to_contain_text(str(agent.pk))  # the configuration naming it
    page.goto(f"/agents/{agent.pk}/")
    expect(
        page.get_by_role("region", name="Crews").get_by_role("link", name="Nightly Research")
    ).to_be_visible()
    expect(page.get_by_role("region", name="History")).to_contain_text('"thresholds": {"cpu": 90}')
    assert not page.console_errors, page.console_errors


def test_a_viewer_reads_agents_and_crews_without_write_buttons(page, make_user, crew):
    agent = Agent.objects.create(name="Sentinel", type="monitor", configuration={"a": {"b": 1}})
    log_in(page, make_user("viewer").email)
    page.goto("/agents/")
    page.get_by_label("Search").fill("senti")
    expect(page.locator("#results").get_by_role("link", name="Sentinel")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=senti"))
    expect(page.get_by_role("link", name="New")).to_have_count(0)
    page.goto(f"/agents/{agent.pk}/")
    expect(page.get_by_role("row", name="a.b 1")).to_be_visible()
    for name in ("Edit", "Delete…"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    page.goto("/crews/name/Nightly Research/")
    expect(page.get_by_role("button", name="Run now")).to_have_count(0)
    page.goto(f"/crews/{crew.pk}/edit/")
    expect(page.get_by_text("403").or_(page.get_by_text("cannot"))).not_to_have_count(0)
    assert Crew.objects.get(pk=crew.pk).status == "complete"
