"""Fixtures for the agents and crews tests: `client_as(role)` (a signed-in test client, see
tests/knowledge/conftest.py), agents and runs written directly (no RLS, no audit)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import Agent, Crew


@pytest.fixture
def make_agent(db):
    def make(name="Market Analyzer", type="analyzer", **values) -> Agent:  # noqa: A002
        values.setdefault("status", "active")
        values.setdefault("configuration", {"model": "gpt-large", "retry": {"max": 3}})
        return Agent.objects.create(name=name, type=type, **values)

    return make


@pytest.fixture
def make_run(db):
    def make(crew_name="Nightly Research", status="complete", ago=None, **values) -> Crew:
        values.setdefault("crew_type", "research")
        values.setdefault("performance_data", {"duration": 120})
        run = Crew.objects.create(crew_name=crew_name, status=status, **values)
        if ago is not None:
            Crew.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(**ago))
            run.refresh_from_db()
        return run

    return make
