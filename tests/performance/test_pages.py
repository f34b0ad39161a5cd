"""The explorer, the raw samples, the dashboard panel: every role with access reads them, the
chart is drawn from the data, points lead to their samples, and the queries stay few."""

import html
import re
import uuid

import pytest
from django.db import connection

from agents.models import Agent, Crew
from tests.performance.conftest import generated_samples, insert_samples

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("role", ["admin", "editor", "auditor", "viewer"])
def test_every_role_reads_the_explorer_and_the_samples(role, signed_in, recent):
    insert_samples([("agent", "a-1", {"latency_ms": 12, "cpu": 3}, recent(minutes=3))])
    client = signed_in(role)
    page = client.get("/performance/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'class="chart"' in body and "latency_ms" in body
    assert client.get("/performance/samples/").status_code == 200
    retention = client.get("/performance/retention/").status_code
    assert retention == (200 if role in ("admin", "auditor") else 403)


def test_no_role_is_refused(signed_in):
    assert signed_in(None).get("/performance/").status_code == 403


def test_the_explorer_finds_metrics_and_names_agents(signed_in, recent):
    agent = Agent.objects.create(name="Crawler", type="analyzer")
    insert_samples(
        [
            ("agent", str(agent.pk), {"latency_ms": 40, "tokens_per_s": 7}, recent(minutes=2)),
            ("network", "edge-1", {"throughput": 9}, recent(minutes=2)),
        ]
    )
    page = signed_in("viewer").get("/performance/?range=1h")
    body = page.content.decode()
    for metric in ("latency_ms", "tokens_per_s", "throughput"):
        assert f'<option value="{metric}"' in body  # discovered, not hard-coded
    assert "Crawler (agent)" in body  # the suggestion names the agent
    assert "Crawler" in page.context["top"][0].name


def test_overlay_two_agents_and_follow_a_point_to_its_samples(signed_in, recent):
    a, b = (Agent.objects.create(name=n, type="t") for n in ("Alpha", "Beta"))
    insert_samples(
        [
            (("agent", str(x.pk), {"latency_ms": v}, recent(minutes=m)))
            for x, v in ((a, 10), (b, 20))
            for m in (1, 30, 90)
        ]
    )
    client = signed_in("viewer")
    page = client.get(f"/performance/?range=6h&system_id={a.pk}&system_id={b.pk}")
    chart = page.context["chart"]
    assert [line.label for line in chart.lines] == ["Alpha", "Beta"]
    body = page.content.decode()
    assert body.count('class="chart-series') == 2
    href = html.unescape(
        re.search(r'<a href="(/performance/samples/\?[^"]+)" tabindex="-1"><circle', body).group(1)
    )
    samples = client.get(href)
    assert samples.status_code == 200
    rows = samples.context["table"].rows
    assert len(rows) == 1 and rows[0].record.system_id == str(a.pk)
    assert ">10<" in samples.content.decode()  # latency_ms as a column, not a dict


def test_the_samples_list_pages_by_keyset(signed_in):
    generated_samples(days=1, every_minutes=10, systems=[("api", "api-1")])
    client = signed_in("viewer")
    first = client.get("/performance/samples/?system_id=api-1&per_page=25")
    older = first.context["keyset"]["next_url"]
    second = client.get(older)
    ids = [r.record.pk for r in first.context["table"].rows] + [
        r.record.pk for r in second.context["table"].rows
    ]
    assert len(ids) == len(set(ids)) == 50


def test_the_dashboard_shows_latency_sparklines_linking_to_the_explorer(signed_in, recent):
    insert_samples(
        [("crew", "c-1", {"latency_ms": v}, recent(hours=h)) for h, v in ((1, 5), (2, 50), (3, 9))]
    )
    page = signed_in("viewer").get("/")
    body = page.content.decode()
    assert 'class="sparkline"' in body
    assert "/performance/?system_type=crew&amp;metric=latency_ms&amp;range=24h" in body
    panel = signed_in("viewer").get("/performance/panel/")
    assert panel.status_code == 200 and b"<html" not in panel.content


def test_live_refresh_gets_only_the_chart(signed_in, recent):
    insert_samples([("agent", "a-1", {"latency_ms": 12}, recent(minutes=3))])
    partial = signed_in("viewer").get("/performance/?range=1h", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and 'id="perf-live"' in body and "data-live-refresh" in body


def test_bad_explorer_input_is_a_400_page_not_a_500(signed_in):
    client = signed_in("viewer")
    for query in ("range=2y", "system_type=x", "from=nonsense", "metric=%00"):
        response = client.get(f"/performance/?{query}")
        assert response.status_code == 400, query
        assert 'role="alert"' in response.content.decode()
    assert client.get("/performance/samples/?since=never").status_code == 200
    assert client.get(f"/performance/samples/{uuid.uuid4()}/").status_code == 404


def test_the_explorer_makes_few_queries_whatever_the_data(signed_in, django_assert_max_num_queries):
    generated_samples(days=2, every_minutes=30, systems=[("agent", f"a-{i}") for i in range(8)])
    client = signed_in("viewer")
    with django_assert_max_num_queries(12):
        assert client.get("/performance/?range=7d&system_type=agent").status_code == 200
    with django_assert_max_num_queries(12):
        ids = "&".join(f"system_id=a-{i}" for i in range(5))
        assert client.get(f"/performance/?range=24h&{ids}").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/performance/samples/?per_page=100").status_code == 200


def test_new_metrics_are_noted_by_the_trigger_without_a_scan(recent):
    insert_samples([("api", "z", {"brand_new_metric": 1, "label": "text"}, recent(minutes=1))])
    with connection.cursor() as cursor:
        cursor.execute(
            "select metric from private.performance_metric_names where system_type = 'api'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert "brand_new_metric" in names and "label" not in names  # numbers only


def test_system_suggestions_name_the_agent_or_crew(signed_in, recent):
    agent = Agent.objects.create(name="Summariser", type="writer")
    insert_samples(
        [
            ("agent", str(agent.pk), {"latency_ms": 1}, recent(minutes=1)),
            ("network", "edge-summer", {"latency_ms": 1}, recent(minutes=1)),
        ]
    )
    client = signed_in("viewer")
    options = client.get("/performance/systems/?q=summ").content.decode()
    assert f'value="{agent.pk}" label="Summariser (agent)"' in options
    assert 'value="edge-summer"' in options
    only_agents = client.get("/performance/systems/?q=summ&system_type=agent").content.decode()
    assert "edge-summer" not in only_agents


def test_top_systems_of_a_long_range_are_those_of_its_last_24_hours(signed_in, recent):
    insert_samples(
        [
            ("api", "quiet-lately", {"latency_ms": 900}, recent(days=3)),
            ("api", "busy-lately", {"latency_ms": 50}, recent(hours=2)),
        ]
    )
    page = signed_in("viewer").get("/performance/?range=7d&system_type=api")
    assert [t.system_id for t in page.context["top"]] == ["busy-lately"]
    assert "the last 24 hours of the range" in page.content.decode()
    # …while the chart covers the week.
    assert sum(p.n for s in page.context["series"] for p in s.points) == 2


def test_suggestions_name_crews_and_agents_by_their_id(signed_in, recent):
    crew = Crew.objects.create(crew_name="Night shift", crew_type="ops")
    agent = Agent.objects.create(name="Scout", type="t")
    insert_samples(
        [
            ("crew", str(crew.pk), {"latency_ms": 1}, recent(minutes=1)),
            ("agent", str(agent.pk).upper(), {"latency_ms": 1}, recent(minutes=1)),
            ("crew", str(agent.pk), {"latency_ms": 1}, recent(minutes=1)),  # not a crew's id
            ("api", "not-a-uuid", {"latency_ms": 1}, recent(minutes=1)),
        ]
    )
    client = signed_in("viewer")

    def options(query):
        return client.get(f"/performance/systems/?{query}").content.decode()

    assert f'value="{crew.pk}" label="Night shift (crew)"' in options("q=night")
    assert f'value="{str(agent.pk).upper()}" label="Scout (agent)"' in options("q=scout")
    assert f'value="{agent.pk}" label="{agent.pk}"' in options(f"q={agent.pk}&system_type=crew")
    assert 'value="not-a-uuid"' in options("q=not-a-uuid")
