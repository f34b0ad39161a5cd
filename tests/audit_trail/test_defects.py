"""Defects found from outside: each test failed before its fix."""

import html
import re
import uuid
from datetime import UTC, datetime

import pytest

from agents.models import Agent
from audit.filters import forget_known_actions
from console.audit_log import AuditLog
from performance.models import PerformanceLog
from tests.audit_trail.conftest import BASE

pytestmark = pytest.mark.django_db(transaction=True)


def action_suggestions(body: str) -> list[str]:
    options = re.search(r'<datalist id="audit-action-options">(.*?)</datalist>', body, re.S)
    return re.findall(r'<option value="([^"]+)">', options.group(1))


def test_the_action_suggestions_are_the_actions_in_the_trail(signed_in, trail):
    for action in ("BAN", "UNBAN", "INVITE", "SOMETHING_NEW"):
        trail.row(created_at=BASE, action=action)
    forget_known_actions()
    body = signed_in("auditor").get("/audit/").content.decode()
    suggested = action_suggestions(body)
    assert {"BAN", "UNBAN", "INVITE", "SOMETHING_NEW"} <= set(suggested)
    assert suggested == sorted(set(suggested))  # each once, in order


def test_a_keyset_page_says_its_count_is_this_page_not_a_total(signed_in, trail):
    trail.rows(30)
    body = signed_in("auditor").get(f"/audit/?table={trail.table}&per_page=25").content.decode()
    count = re.search(r'<p class="result-count"[^>]*>(.*?)<span', body, re.S).group(1)
    assert "25 entries on this page, newest first" in " ".join(count.split())
    assert "result" not in count
    shown = AuditLog.objects.filter(table_name=trail.table).order_by("-created_at", "-id")[:25]
    newest, oldest = (
        f"{row.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}" for row in (shown[0], shown[24])
    )
    assert f"newest first: {newest} to {oldest}" in " ".join(count.split())


def test_a_jump_before_the_oldest_entry_says_there_is_nothing_older(signed_in, trail):
    trail.rows(3)
    body = signed_in("auditor").get(f"/audit/?table={trail.table}&jump=2001-01-01").content
    text = html.unescape(body.decode())
    assert "There is nothing older: no entries on or before 2001-01-01." in text
    assert "match" not in re.search(r'<section id="results".*?</section>', text, re.S).group(0)


def test_item_pages_show_iso_dates_and_words_for_booleans(signed_in):
    client = signed_in("admin")
    moment = datetime(2026, 11, 27, 7, 37, tzinfo=UTC)
    agent = Agent.objects.create(name="Scout", type="analyzer", is_active=True)
    Agent.objects.filter(pk=agent.pk).update(last_activity=moment)
    body = client.get(f"/agents/{agent.pk}/").content.decode()
    assert "2026-11-27 07:37" in body and "Nov." not in body and "a.m." not in body
    assert re.search(r"<dt>Operational</dt>\s*<dd>Yes</dd>", body)
    assert ">True<" not in body

    log = PerformanceLog.objects.create(system_type="crew", metrics={}, timestamp=moment)
    page = client.get(f"/performance/samples/{log.pk}/").content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "+00:00" not in title and "2026-11-27 07:37" in title


@pytest.mark.parametrize(
    "path", ["/agents/{}/", "/users/{}/", "/knowledge/{}/"], ids=["agent", "user", "entry"]
)
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_missing_record_is_a_plain_404(signed_in, settings, path, debug):
    client = signed_in("admin")
    settings.DEBUG = debug
    response = client.get(path.format(uuid.uuid4()))
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    for leak in ("matches the given query", "No Agent", "UserAccount", "No Entry", "Traceback"):
        assert leak not in body
