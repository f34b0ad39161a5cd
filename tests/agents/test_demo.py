"""The demo data of agents and crews: the seed's six agents, crews that name them, runs over
the last 30 days with realistic durations and some failures; once only. And the benchmark's
runs, in one statement."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from agents import crews
from agents.models import Agent, Crew
from console.demo import AGENTS, RUN_DAYS, seed_rows, seed_run_volume
from tests.factories import db_user

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_six_agents_crews_that_use_them_and_a_month_of_runs():
    assert seed_rows(db_user("admin").id, db_user("editor").id) is True
    assert sorted(Agent.objects.values_list("name", flat=True)) == sorted(a[0] for a in AGENTS)
    summaries = crews.overview()
    assert len(summaries) >= 4
    for summary in summaries:
        agents = crews.resolve_agents(crews.agent_refs(summary.last_configuration))
        assert agents and all(agent is not None for _ref, agent in agents)
        assert summary.median_seconds and summary.p95_seconds >= summary.median_seconds
    assert Crew.objects.filter(status="failed").exists()
    assert Crew.objects.filter(status__in=["pending", "running"]).exists()
    oldest = Crew.objects.order_by("created_at").first().created_at
    assert timezone.now() - oldest > timedelta(days=RUN_DAYS - 2)
    crew_sample = Crew.objects.filter(status="complete").order_by("-created_at").first()
    assert crews.samples_during(crew_sample, [])  # samples recorded during recent runs
    runs = Crew.objects.count()
    assert seed_rows(db_user("admin").id, db_user("editor").id) is False  # once only
    assert Crew.objects.count() == runs


def test_the_benchmark_runs_come_in_one_statement():
    with connection.cursor() as cursor:
        seed_run_volume(cursor, 2400)
    summaries = crews.overview()
    assert len(summaries) == 20 and sum(s.runs for s in summaries) == 2400
    assert sum(s.failed for s in summaries) == 200
