"""The benchmark's floor for a crew's page (bench/pages.py, CREW_PAGE_FLOOR) is the page's four
reads: its runs in the page's order, its line of the overview, the agents its newest run
names and the newest changes to its runs, as the page shows them. Else the bench would
compare the page with less work than it does."""

from types import SimpleNamespace

import pytest
from django.db import connection

from agents import crews
from agents.models import Crew
from agents.views import _crew_history
from bench.pages import CREW_PAGE_FLOOR, selected
from console.rls import as_user

pytestmark = pytest.mark.django_db

CREW = "Bench Crew 7"


def test_the_crew_page_floor_reads_what_the_crew_page_shows(client_as, make_agent, make_run):
    for name in ("agent-1", "agent-2", "agent-3"):
        make_agent(name)
    for hours in (30, 20, 10):
        make_run(CREW, ago={"hours": hours}, configuration={"agents": ["agent-3"]})
    make_run(CREW, status="failed", configuration={"agents": ["agent-1", "agent-2", "ghost"]})
    make_run("Another crew", configuration={"agents": ["agent-3"]})
    Crew.objects.filter(crew_name=CREW, status="failed").update(performance_data={"d": 1})
    row = next(r for r in selected("crews-crew-page"))
    assert row.floor == CREW_PAGE_FLOOR
    auditor = client_as("auditor")
    with as_user(auditor.user.claims), connection.cursor() as cursor:
        results = []
        for statement in CREW_PAGE_FLOOR:
            cursor.execute(statement, {"bench_crew": CREW})
            results.append(cursor.fetchall())
        runs, line, agents, history = results
        page_runs = list(Crew.objects.filter(crew_name=CREW).order_by("-created_at", "-id"))
        shown_history = _crew_history(
            SimpleNamespace(console_user=SimpleNamespace(role="auditor")), page_runs
        )
        overview = crews.overview(CREW)
    assert [r[0] for r in runs] == [run.pk for run in page_runs]
    assert [(r[0], r[2], r[5]) for r in line] == [(CREW, 4, overview[0].last_run_id)]
    assert sorted(a[1] for a in agents) == ["agent-1", "agent-2"]
    assert [(h[0], h[1]) for h in history] == [
        (entry["action"], str(entry["url"]).rstrip("/").rsplit("/", 1)[-1])
        for entry in shown_history
    ]
    assert history  # the page has changes to show
    html = auditor.get(f"/crews/name/{CREW}/").content.decode()
    assert all(f'href="/agents/{a[0]}/"' in html for a in agents)
