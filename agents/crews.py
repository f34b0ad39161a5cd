"""Crews: a row of `crew_nuclear_system` is one run of a crew (`crew_name`). The run lifecycle,
the overview of every crew (private.crew_overview, kept fast by a rollup), a crew's agents
(named in its configuration), and the samples recorded during a run."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from agents.models import Agent, Crew
from console.sqlstate import sqlstate
from performance.models import PerformanceLog

STATUSES = ("pending", "running", "complete", "failed")
FINISHED = ("complete", "failed")
# The only changes of status the database allows (private.guard_crew_run_status).
NEXT_STATUSES = {"pending": ("running",), "running": FINISHED, "complete": (), "failed": ()}
ILLEGAL_TRANSITION = "BG101"  # SQLSTATE raised by the guard


def allowed_statuses(current: str) -> tuple[str, ...]:
    """What a run's status may be set to: itself or its next steps."""
    return (current, *NEXT_STATUSES.get(current, ()))


def is_illegal_transition(exc: BaseException) -> bool:
    """True when the database refused a change of a run's status (by SQLSTATE)."""
    return sqlstate(exc) == ILLEGAL_TRANSITION


def duration_seconds(run: Crew) -> Decimal | None:
    """performance_data.duration, in seconds, when it is a number (private.run_duration)."""
    value = (run.performance_data or {}).get("duration")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(str(value))


@dataclass
class CrewSummary:
    crew_name: str
    crew_type: str
    runs: int
    complete: int
    failed: int
    last_run_id: object
    last_run_at: datetime
    last_status: str
    last_configuration: dict | None
    median_seconds: Decimal | None
    p95_seconds: Decimal | None
    failed_24h: int

    @property
    def success_rate(self) -> float | None:
        """Complete runs among finished ones (pending and running runs are not counted)."""
        finished = self.complete + self.failed
        return self.complete / finished if finished else None


def overview(crew_name: str | None = None) -> list[CrewSummary]:
    """One line per crew, as the user may read runs (only the named crew's, if one is)."""
    with connection.cursor() as cursor:
        cursor.execute("select * from private.crew_summaries(%s)", [crew_name])
        rows = cursor.fetchall()
    summaries = []
    for row in rows:
        row = list(row)
        if isinstance(row[8], str):  # raw cursors hand jsonb over as text
            row[8] = json.loads(row[8])
        summaries.append(CrewSummary(*row))
    return summaries


def filter_values() -> tuple[list[str], list[str]]:
    """Every crew's name and every type a run has (the runs list's suggestions)."""
    found = {"crew_name": [], "crew_type": []}
    with connection.cursor() as cursor:
        cursor.execute("select field, value from private.crew_filter_values()")
        for field, value in cursor.fetchall():
            found[field].append(value)
    return sorted(found["crew_name"]), sorted(found["crew_type"])


def agent_refs(configuration) -> list[str]:
    """The agents a crew's configuration names: `agents`, a list of agent ids or names."""
    refs = (configuration or {}).get("agents") if isinstance(configuration, dict) else None
    if not isinstance(refs, list):
        return []
    return [str(ref) for ref in refs if isinstance(ref, str | int) and str(ref).strip()]


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def resolve_agents(refs: list[str]) -> list[tuple[str, Agent | None]]:
    """Each reference with its agent (by id, else by name), or None when none matches."""
    ids = [ref for ref in refs if is_uuid(ref)]
    names = [ref for ref in refs if not is_uuid(ref)]
    found = []
    if ids or names:  # (what the pages show of an agent: its link, name, type and status)
        condition = Q(pk__in=ids) | Q(name__in=names)
        found = Agent.objects.filter(condition).only("id", "name", "type", "status")
    by_ref = {}
    for agent in found:
        by_ref[str(agent.pk)] = agent
        by_ref.setdefault(agent.name, agent)
    return [(ref, by_ref.get(ref)) for ref in refs]


def names_agent(configuration, agent: Agent) -> bool:
    refs = agent_refs(configuration)
    return str(agent.pk) in refs or agent.name in refs


def crews_naming(agent: Agent, summaries: list[CrewSummary]) -> list[CrewSummary]:
    """The crews whose latest configuration names this agent."""
    return [s for s in summaries if names_agent(s.last_configuration, agent)]


def run_window(run: Crew) -> tuple[datetime, datetime]:
    """When the run went on: from its start to start + duration, else to its last change when
    it has finished, else until now."""
    start = run.created_at
    seconds = duration_seconds(run)
    if seconds is not None:
        return start, start + timedelta(seconds=float(seconds))
    if run.status in FINISHED and run.updated_at:
        return start, max(start, run.updated_at)
    return start, timezone.now()


def samples_during(run: Crew, agent_ids: list[str], limit: int = 50) -> list[PerformanceLog]:
    """Performance samples of the run itself and of its agents, recorded during the run (the
    (system_id, timestamp) index)."""
    start, end = run_window(run)
    systems = [str(run.pk), run.crew_name, *agent_ids]
    return list(
        PerformanceLog.objects.filter(
            system_id__in=systems, timestamp__gte=start, timestamp__lte=end
        ).order_by("-timestamp", "-id")[:limit]
    )
