"""The agents and crews pages as each role reads them, what is on them, and what they cost."""

import uuid

import pytest

from agents.models import Crew
from console import registry
from performance.models import PerformanceLog
from tests.factories import db_user

pytestmark = pytest.mark.django_db

ROLES = ["admin", "editor", "auditor", "viewer"]


@pytest.fixture
def crew(make_agent, make_run):
    analyst = make_agent("Market Analyzer", configuration={"model": "m", "retry": {"max": 3}})
    writer = make_agent("Report Writer", type="writer", status="paused")
    for hours in (30, 20, 10):
        make_run(ago={"hours": hours}, configuration={"agents": [str(analyst.pk), "Report Writer"]})
    last = make_run(status="failed", configuration={"agents": [str(analyst.pk), "Ghost"]})
    return {"analyst": analyst, "writer": writer, "last": last}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_every_page(client_as, crew, role):
    client = client_as(role)
    run = crew["last"]
    for url in (
        "/agents/",
        f"/agents/{crew['analyst'].pk}/",
        "/crews/",
        "/crews/runs/",
        "/crews/name/Nightly Research/",
        f"/crews/{run.pk}/",
        "/performance/samples/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_agent_page_shows_json_as_key_values_and_its_crews(client_as, crew):
    html = client_as("viewer").get(f"/agents/{crew['analyst'].pk}/").content.decode()
    assert '<th scope="row" class="mono">retry.max</th><td class="mono">3</td>' in html
    assert "{&#x27;" not in html and "{'" not in html  # no Python dict dump
    assert 'href="/crews/name/Nightly%20Research/"' in html
    assert f"/performance/samples/?system_id={crew['analyst'].pk}" in html


def test_the_crews_overview_has_one_line_per_crew(client_as, crew, make_run):
    make_run("Incident Response", crew_type="response", status="running")
    html = client_as("viewer").get("/crews/").content.decode()
    assert html.count('href="/crews/name/') == 2
    assert "75 %" in html  # 3 complete of 4 finished
    assert "Nightly Research" in html and "Incident Response" in html


def test_a_crew_page_links_its_agents_and_runs(client_as, crew):
    html = client_as("auditor").get("/crews/name/Nightly Research/").content.decode()
    assert f'href="/agents/{crew["analyst"].pk}/"' in html
    assert "Ghost" in html and "no such agent" in html
    assert f'href="/crews/{crew["last"].pk}/"' in html
    assert 'class="run-bar run-failed"' in html
    assert 'href="/audit/?table=crew_nuclear_system"' in html  # every change, past the newest


def test_a_run_page_shows_samples_recorded_during_the_run(client_as, crew, make_run):
    run = make_run(performance_data={"duration": 600, "tokens": {"in": 5}})
    analyst = crew["analyst"]
    inside = PerformanceLog.objects.create(
        system_id=str(analyst.pk), system_type="agent", metrics={"cpu": 1}, timestamp=run.created_at
    )
    recorder = db_user("admin")
    PerformanceLog.objects.create(
        system_id=str(run.pk),
        system_type="crew",
        metrics={"cpu": 2},
        timestamp=run.created_at,
        created_by=recorder.id,
    )
    before = PerformanceLog.objects.create(
        system_id=str(analyst.pk),
        system_type="agent",
        metrics={"cpu": 3},
        timestamp=run.created_at.replace(year=2020),
    )
    run.configuration = {"agents": [str(analyst.pk)]}
    run.save()
    html = client_as("viewer").get(f"/crews/{run.pk}/").content.decode()
    assert f"/performance/samples/{inside.pk}/" in html
    assert f"/performance/samples/{before.pk}/" not in html
    assert f'href="/crews/{run.pk}/"' in html  # the crew sample's system_id links its run
    assert f'href="{registry.get("users").detail_url_for(recorder.id)}"' in html  # created_by
    assert '<th scope="row" class="mono">tokens.in</th>' in html
    assert "10 min 0 s" in html


def test_unknown_pages_are_404(client_as):
    client = client_as("viewer")
    assert client.get("/crews/name/Nobody/").status_code == 404
    assert client.get("/crews/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/agents/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_a_crew_name_with_any_character_has_its_page(client_as, make_run):
    run = make_run("Ops / Night #2 ?x=1")
    admin = client_as("admin")
    html = admin.get("/crews/").content.decode()
    url = "/crews/name/Ops%20/%20Night%20%232%20%3Fx=1/"
    assert f'href="{url}"' in html
    page = admin.get(url)
    assert page.status_code == 200 and f'href="/crews/{run.pk}/"' in page.content.decode()
    response = admin.post("/crews/run-now/Ops%20/%20Night%20%232%20%3Fx%3D1/")
    assert response.status_code == 302
    assert Crew.objects.filter(crew_name=run.crew_name, status="pending").count() == 1


def test_a_samples_system_id_links_its_agent_run_or_crew_however_it_is_spelled():
    from agents.tables import system_url

    key = uuid.uuid4()
    assert system_url("agent", str(key).upper()) == f"/agents/{key}/"
    assert system_url("crew", key.hex) == f"/crews/{key}/"
    assert system_url("crew", "Night shift #2") == "/crews/name/Night%20shift%20%232/"
    assert system_url("api", str(key)) is None and system_url("agent", "") is None


def test_the_run_chart_draws_a_bar_per_run_oldest_first_scaled_to_the_longest():
    from datetime import UTC, datetime

    from agents.views import _chart

    def run(status, minute, duration):
        return Crew(
            id=uuid.UUID(int=minute),
            status=status,
            created_at=datetime(2026, 1, 2, 3, minute, tzinfo=UTC),
            performance_data={"duration": duration},
        )

    newest_first = [run("<complete>", 5, 60), run("failed", 4, 30), run("running", 3, None)]
    chart = _chart(newest_first)
    assert chart["count"] == 3 and chart["width"] == 30 and chart["height"] == 80
    assert chart["bars"] == (
        f'<a href="/crews/{uuid.UUID(int=3)}/"><rect class="run-bar run-running" x="0" y="78"'
        ' width="8" height="2"><title>2026-01-02 03:03 · running · —</title></rect></a>'
        f'<a href="/crews/{uuid.UUID(int=4)}/"><rect class="run-bar run-failed" x="10" y="40"'
        ' width="8" height="40"><title>2026-01-02 03:04 · failed · 30 s</title></rect></a>'
        f'<a href="/crews/{uuid.UUID(int=5)}/"><rect class="run-bar run-&lt;complete&gt;" x="20"'
        ' y="0" width="8" height="80"><title>2026-01-02 03:05 · &lt;complete&gt; · 1 min 0 s'
        "</title></rect></a>"
    )
