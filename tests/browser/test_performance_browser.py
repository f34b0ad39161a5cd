"""An operator in headless Chromium: the explorer with a type, a metric and the last 7 days;
two agents overlaid; a point followed to its raw samples; live refresh paused while the tab
is hidden and by the switch; the chart in the dark theme."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from agents.models import Agent
from tests.browser.test_login_browser import log_in
from tests.performance.conftest import insert_samples

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seed():
    now = datetime.now(UTC)
    alpha, beta = (Agent.objects.create(name=n, type="analyzer") for n in ("Alpha", "Beta"))
    rows = []
    for agent, base in ((alpha, 100), (beta, 300)):
        for hours in range(0, 24 * 6, 6):
            rows.append(
                (
                    "agent",
                    str(agent.pk),
                    {"latency_ms": base + hours, "cpu": 10},
                    now - timedelta(hours=hours),
                )
            )
    rows.append(("network", "edge-1", {"throughput": 5}, now - timedelta(hours=1)))
    insert_samples(rows)
    return alpha, beta


def test_explore_overlay_and_follow_a_point_to_its_samples(page, make_user):
    alpha, beta = seed()
    log_in(page, make_user("viewer").email)
    page.goto("/performance/")
    page.get_by_label("System type").select_option("agent")
    page.get_by_label("Metric").select_option("latency_ms")
    page.get_by_label("Range", exact=True).select_option("7d")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"system_type=agent.*metric=latency_ms.*range=7d"))
    chart = page.locator("svg.chart")
    expect(chart).to_be_visible()
    expect(chart.locator(".chart-point")).to_have_count(24)  # one series: the agent type
    expect(page.locator("#chart-summary")).to_contain_text("latency_ms")

    page.get_by_role("link", name="Overlay Alpha").click()
    page.get_by_role("link", name="Overlay Beta").click()
    expect(page.locator(".chart-series")).to_have_count(2)
    expect(page.locator(".chart-legend")).to_contain_text("Alpha")
    expect(page.locator(".chart-legend")).to_contain_text("Beta")

    page.locator("summary", has_text="Values table").click()
    first_row_link = page.locator(".chart-values table").first.locator("tbody a").last
    expect(first_row_link).to_be_visible()
    page.locator(".series-0 a").last.click()  # the newest point of Alpha
    expect(page).to_have_url(re.compile(r"/performance/samples/\?"))
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(str(alpha.pk))
    expect(page.locator("#results thead")).to_contain_text("latency_ms")


def refreshes(page) -> int:
    return page.evaluate("window.perfLive.refreshes")


def wait_until(page, done, timeout=10.0):
    """Poll the refresh count (wait_for_function would need eval, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not done(refreshes(page)):
        assert time.monotonic() < deadline, "no live refresh"
        page.wait_for_timeout(200)


def test_live_refresh_pauses_while_hidden_and_by_the_switch(page, make_user):
    seed()
    log_in(page, make_user("viewer").email)
    fetched = []
    page.on(
        "request",
        lambda r: (
            fetched.append(r.url)
            if r.headers.get("hx-request") and "/performance/?" in r.url
            else None
        ),
    )
    page.goto("/performance/?range=24h")
    expect(page.locator(".live-toggle")).to_have_attribute("aria-pressed", "true")
    page.evaluate("document.querySelector('[data-live-seconds]').dataset.liveSeconds = '1'")
    wait_until(page, lambda n: n >= 2)

    # The tab is hidden: nothing is fetched.
    page.evaluate(
        """() => {
          Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
          document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )
    expect(page.locator(".live-status")).to_contain_text("hidden")
    assert len(fetched) >= 2  # the server was asked
    before, asked = refreshes(page), len(fetched)
    page.wait_for_timeout(2500)
    assert refreshes(page) == before and len(fetched) == asked

    # Visible again: refreshes at once and goes on.
    page.evaluate(
        """() => {
          Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
          document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )
    wait_until(page, lambda n: n > before)
    expect(page.locator("svg.chart")).to_be_visible()  # the refreshed chart is drawn

    # The switch pauses it.
    page.locator(".live-toggle").click()
    expect(page.locator(".live-toggle")).to_have_attribute("aria-pressed", "false")
    paused_at = page.evaluate("window.perfLive.refreshes")
    page.wait_for_timeout(2500)
    assert page.evaluate("window.perfLive.refreshes") == paused_at


def test_the_chart_in_the_dark_theme(page, make_user):
    seed()
    log_in(page, make_user("viewer").email)
    page.goto("/performance/?range=7d&system_type=agent&metric=latency_ms")
    light = page.locator(".chart-line").first.evaluate("e => getComputedStyle(e).stroke")
    page.locator(".theme-toggle").first.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark = page.locator(".chart-line").first.evaluate("e => getComputedStyle(e).stroke")
    assert light != dark
    background = page.locator("body").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    expect(page.locator("svg.chart .chart-point")).to_have_count(24)


def test_an_admin_dry_runs_and_applies_retention_and_the_trail_shows_it(page, make_user):
    old = datetime.now(UTC) - timedelta(days=120)
    insert_samples([("api", "old-api", {"latency_ms": 1}, old) for _ in range(3)])
    log_in(page, make_user("admin").email)
    page.goto("/performance/")
    page.get_by_role("link", name="Retention").click()
    policy = page.locator("#policy-system_performance_logs")
    policy.get_by_role("button", name="Dry run").click()
    expect(page.locator(".retention-preview")).to_contain_text("3 rows older than 90 days")
    page.get_by_role("button", name="Delete 3 rows now").click()
    expect(page.get_by_role("alert").or_(page.locator(".message"))).to_contain_text(
        "3 rows older than 90 days deleted"
    )
    expect(page.locator("#policy-system_performance_logs")).to_contain_text("3 deleted")
    page.get_by_role("link", name="Past runs in the audit trail").click()
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_contain_text("RETENTION")
    expect(rows.first).to_contain_text("system_performance_logs")
