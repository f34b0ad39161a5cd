"""Agents, crews and performance logs.

Agents: a list (search, filters, export, bulk status), an agent's page, and admins' create,
edit and delete through the generic object views (console.objects). Crews: an overview with
one line per crew (private.crew_overview), every run in keyset pages, a crew's page, a run's
page, and admins' "Run now", edit (configuration and status along the lifecycle) and delete.
Everyone with a role reads; admins write; RLS and the database's guards say the same."""

import json
import uuid
from functools import cached_property
from urllib.parse import urlencode

from django.contrib import messages
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone
from django.views.decorators.http import require_POST

from agents import crews
from agents.filters import AgentFilterSet, RunFilterSet, agent_types
from agents.forms import AgentForm, RunForm, SetStatusForm, agent_values, run_values
from agents.models import Agent, Crew
from agents.tables import (
    RUN_TABLE_FIELDS,
    AgentTable,
    CrewTable,
    RunTable,
    crew_url,
    format_seconds,
    system_url,
)
from console import audited, registry
from console.bulk import BulkAction, BulkActionView
from console.diff import changes_html, diff_values
from console.display import time_html
from console.export import Column, filtered_export
from console.lists import KeysetListView, ObjectListView
from console.objects import (
    ObjectDeleteView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectView,
    object_history,
)
from console.permissions import area_required
from console.registry import access
from console.roles import Role
from console.rows import cell_html, url_of
from console.suggestions import options_response
from performance.models import PerformanceLog

AGENTS = Agent._meta.db_table
RUNS = Crew._meta.db_table
# Who reads the audit rows of these tables (private.record_history says the same).
HISTORY_ROLES = (Role.ADMIN, Role.AUDITOR)
SAMPLES_SHOWN = 10
RUNS_SHOWN = 50
# A crew's page shows the newest changes of its runs; each run's page has all of its own, and
# the audit trail every one (a change listed with its whole row, as a run's creation is, is
# a table of a dozen lines: 20 of them cost more than the rest of the page).
CHANGES_SHOWN = 10


def _history(request, table, pk):
    if request.console_user.role in HISTORY_ROLES:
        return object_history(table, pk)
    return None


def _user_url(user_id) -> str | None:
    return registry.get("users").detail_url_for(user_id) if user_id else None


def _list_url(name: str, **filters) -> str:
    return f"{reverse(name)}?{urlencode(filters)}"


def _samples(samples) -> list[dict]:
    return [
        {
            "sample": s,
            "url": reverse("performance:sample_detail", args=[s.pk]),
            "system_url": system_url(s.system_type, s.system_id),
            "created_by_url": _user_url(s.created_by),
        }
        for s in samples
    ]


# ---------- Agents: the list, bulk actions, export ----------


def _set(changes):
    """A bulk action that writes only what differs: no write, no audit row otherwise."""

    def run(actor, agent, data):
        wanted = changes(agent, data)
        changed = {k: v for k, v in wanted.items() if getattr(agent, k) != v}
        if changed:
            audited.update(actor, agent, **changed)

    return run


class AgentBulkView(BulkActionView):
    area = "agents"
    queryset = Agent.objects.all()
    filterset_class = AgentFilterSet
    list_url_name = "agents:agent_list"
    actions = (
        BulkAction(
            "activate", "Activate", run=_set(lambda a, d: {"status": "active", "is_active": True})
        ),
        BulkAction(
            "pause", "Pause", run=_set(lambda a, d: {"status": "paused", "is_active": False})
        ),
        BulkAction(
            "set_status",
            "Set the status",
            run=_set(lambda a, d: {"status": d["status"]}),
            form_class=SetStatusForm,
        ),
    )


class AgentListView(ObjectListView):
    area = "agents"
    title = "Agents"
    queryset = Agent.objects.all()
    table_class = AgentTable
    filterset_class = AgentFilterSet
    template_name = "agents/agent_list.html"
    create_url_name = "agents:agent_create"
    bulk_view = AgentBulkView
    bulk_url_name = "agents:agent_bulk"
    export_url_name = "agents:agent_export"


AGENT_EXPORT_COLUMNS = [
    Column("id", lambda a: a.pk),
    Column("name", lambda a: a.name),
    Column("type", lambda a: a.type),
    Column("status", lambda a: a.status),
    Column("is_active", lambda a: a.is_active),
    Column("configuration", lambda a: a.configuration),
    Column("performance_metrics", lambda a: a.performance_metrics),
    Column("last_activity", lambda a: a.last_activity),
    Column("created_at", lambda a: a.created_at),
    Column("updated_at", lambda a: a.updated_at),
]


@area_required("agents")
def agent_export(request):
    """The list's current filter as CSV or JSON Lines, streamed, audited as EXPORT."""
    return filtered_export(
        request,
        AgentFilterSet,
        Agent.objects.all(),
        columns=AGENT_EXPORT_COLUMNS,
        filename="agents",
        table_name=AGENTS,
    )


# ---------- An agent ----------


@area_required("agents")
def agent_detail(request, pk):
    agent = get_object_or_404(Agent, pk=pk)
    samples = PerformanceLog.objects.filter(system_id=str(agent.pk)).order_by("-timestamp", "-id")
    return render(
        request,
        "agents/agent_detail.html",
        {
            "area": "agents",
            "agent": agent,
            "crews": [
                (s, crew_url(s.crew_name)) for s in crews.crews_naming(agent, crews.overview())
            ],
            "samples": _samples(samples[:SAMPLES_SHOWN]),
            "samples_url": _list_url("performance:sample_list", system_id=agent.pk),
            "history": _history(request, AGENTS, agent.pk),
            "can_write": access(request.console_user.role, "agents").can_write,
        },
    )


class AgentObject(ObjectView):
    """What the agents' create, edit, delete and history pages share."""

    area = "agents"
    model = Agent
    form_class = AgentForm
    detail_url_name = "agents:agent_detail"
    list_url_name = "agents:agent_list"
    url_base = "agents:agent"
    form_template_name = "agents/agent_form.html"

    @cached_property
    def types(self) -> list[str]:
        return agent_types()

    def get_form_kwargs(self):
        return {"types": self.types}

    def object_values(self, obj):
        return agent_values(obj)

    def get_extra_context(self, obj=None, form=None):
        return {"types": self.types} if form is not None else {}


class AgentEditView(AgentObject, ObjectEditView):
    pass


class AgentDeleteView(AgentObject, ObjectDeleteView):
    warning = (
        "The agent is removed for everyone; the audit trail keeps a copy of it. Crews that "
        "name it keep their configuration and will name an agent that no longer exists."
    )

    def references(self, obj):
        return [
            (f"Crew “{s.crew_name}” names it in its latest configuration", _crew_url(s.crew_name))
            for s in crews.crews_naming(obj, crews.overview())
        ]


class AgentHistoryView(AgentObject, ObjectHistoryView):
    allowed_roles = HISTORY_ROLES
    refused_message = "Admins and auditors see the history of agents."


# ---------- Crews: the overview and the runs ----------


_crew_url = crew_url


@area_required("crews")
def crew_list(request):
    runs_url = reverse("agents:run_list")
    return render(
        request,
        "agents/crew_list.html",
        {
            "area": "crews",
            "table": CrewTable(crews.overview(), runs_url=runs_url),
        },
    )


class RunListView(KeysetListView):
    area = "crews"
    title = "Crew runs"
    keyset = ("-created_at", "-id")  # idx_crew_runs_*_created end in this order
    keyset_labels = ("Newer", "Older")
    queryset = Crew.objects.only(*RUN_TABLE_FIELDS)
    table_class = RunTable
    filterset_class = RunFilterSet
    template_name = "agents/run_list.html"


@area_required("agents")
def agent_type_options(request):
    """The types in use, for the agents list's type filter (fetched when it is focused)."""
    return options_response(request, agent_types())


@area_required("crews")
def run_name_options(request):
    """Every crew's name, for the runs list's crew filter (fetched when it is focused)."""
    return options_response(request, crews.filter_values()[0])


@area_required("crews")
def run_type_options(request):
    """Every type a run has, for the runs list's type filter (fetched when it is focused)."""
    return options_response(request, crews.filter_values()[1])


@area_required("crews")
def crew_detail(request, name):
    summary = next(iter(crews.overview(name)), None)
    if summary is None:
        raise Http404("No crew of that name has runs.")
    newest = Crew.objects.filter(crew_name=name).only(*RUN_TABLE_FIELDS)  # (the chart's too)
    runs = list(newest.order_by("-created_at", "-id")[:RUNS_SHOWN])
    refs = crews.agent_refs(summary.last_configuration)
    return render(
        request,
        "agents/crew_detail.html",
        {
            "area": "crews",
            "summary": summary,
            "median": format_seconds(summary.median_seconds),
            "p95": format_seconds(summary.p95_seconds),
            "runs": RunTable(runs, exclude=("crew_name", "crew_type")),
            "chart": _chart(runs),
            "agents": crews.resolve_agents(refs),
            "runs_url": _list_url("agents:run_list", crew_name=name),
            "changes_url": _list_url("audit:log_list", table=RUNS),
            "history": _crew_history(request, runs),
            "can_write": access(request.console_user.role, "crews").can_write,
            "run_now_url": reverse("agents:run_now", args=[name]),
        },
    )


CHART_HEIGHT = 80
CHART_BAR = 8


def _chart(runs) -> dict:
    """Runs over time, oldest to newest, as SVG bars (height: duration; class: status); drawn
    with SVG attributes only, as the CSP allows no inline styles. The bars are written here,
    one call each, rather than by a template loop of seven lookups per bar."""
    ordered = list(reversed(runs))
    durations = [crews.duration_seconds(run) for run in ordered]
    longest = max((float(seconds or 0) for seconds in durations), default=0) or 1
    run_url = url_of("agents:run_detail")
    zone = get_current_timezone()  # (once, not once a bar)
    bars = []
    for i, (run, seconds) in enumerate(zip(ordered, durations, strict=True)):
        height = max(2, round(CHART_HEIGHT * float(seconds or 0) / longest))
        # The geometry is numbers worked out here, written as they are; the rest is escaped.
        bars.append(
            cell_html(
                f'<a href="{{}}"><rect class="run-bar run-{{}}" x="{i * (CHART_BAR + 2)}"'
                f' y="{CHART_HEIGHT - height}" width="{CHART_BAR}" height="{height}">'
                "<title>{}</title></rect></a>",
                run_url(run.pk),
                run.status,
                f"{run.created_at.astimezone(zone):%Y-%m-%d %H:%M} · {run.status} · "
                f"{format_seconds(seconds)}",
            )
        )
    return {
        "bars": SafeString("".join(bars)),
        "count": len(bars),
        "width": max(1, len(bars) * (CHART_BAR + 2)),
        "height": CHART_HEIGHT,
    }


def _crew_history(request, runs) -> list[dict] | None:
    """The newest audit rows about the crew's recent runs (admins and auditors; RLS agrees):
    one probe of idx_audit_logs_record_created per run, through one query."""
    if request.console_user.role not in HISTORY_ROLES or not runs:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "select a.action, a.record_id, a.created_at, p.email, a.old_values, a.new_values"
            " from public.audit_logs a left join public.profiles p on p.id = a.user_id"
            " where a.table_name = %s and a.record_id = any(%s)"
            " order by a.created_at desc, a.id desc limit %s",
            [RUNS, [str(r.pk) for r in runs], CHANGES_SHOWN],
        )
        rows = cursor.fetchall()

    def load(value):
        return json.loads(value) if isinstance(value, str) else value

    run_url = url_of("agents:run_detail")
    entries = []
    for action, record_id, created_at, email, old, new in rows:
        changes = [d for d in diff_values(load(old), load(new)) if d.changed]
        entries.append(
            {
                "action": action,
                "url": run_url(uuid.UUID(record_id)),  # (the runs' own ids)
                "when": time_html(created_at, "Y-m-d H:i:s"),  # (a template's |date is slow)
                "actor_email": email,
                "changes": changes_html(changes) if changes else "",
            }
        )
    return entries


# ---------- A run ----------


@area_required("crews")
def run_detail(request, pk):
    run = get_object_or_404(Crew, pk=pk)
    agents = crews.resolve_agents(crews.agent_refs(run.configuration))
    agent_ids = [str(agent.pk) for _ref, agent in agents if agent is not None]
    start, end = crews.run_window(run)
    return render(
        request,
        "agents/run_detail.html",
        {
            "area": "crews",
            "run": run,
            "crew_url": _crew_url(run.crew_name),
            "duration": format_seconds(crews.duration_seconds(run)),
            "agents": agents,
            "window": (start, end),
            "samples": _samples(crews.samples_during(run, agent_ids)),
            "history": _history(request, RUNS, run.pk),
            "can_write": access(request.console_user.role, "crews").can_write,
            "next_statuses": crews.NEXT_STATUSES.get(run.status, ()),
        },
    )


@require_POST
@area_required("crews", write=True)
def run_now(request, name):
    """Record a pending run with the crew's latest configuration, for the crew runner outside
    the console to pick up."""
    latest = Crew.objects.filter(crew_name=name).order_by("-created_at", "-id").first()
    if latest is None:
        raise Http404("No crew of that name has runs.")
    try:
        run = audited.create(
            audited.Actor.from_request(request),
            Crew,
            crew_name=latest.crew_name,
            crew_type=latest.crew_type,
            status="pending",
            is_active=True,
            configuration=latest.configuration,
            performance_data={},
        )
    except audited.WriteFailed as exc:
        messages.error(request, exc.message)
        return redirect("agents:crew_detail", name=name)
    messages.success(request, f"A run of “{name}” is recorded as pending.")
    return redirect("agents:run_detail", pk=run.pk)


class RunObject(ObjectView):
    """What a run's edit, delete and history pages share ("Run now" creates runs)."""

    area = "crews"
    model = Crew
    form_class = RunForm
    detail_url_name = "agents:run_detail"
    list_url_name = "agents:run_list"
    url_base = "agents:run"

    def object_label(self, obj):
        return f"{obj.crew_name} run of {obj.created_at:%Y-%m-%d %H:%M}"

    def object_values(self, obj):
        return run_values(obj)


class RunEditView(RunObject, ObjectEditView):
    def get_form_kwargs(self):
        # Read inside the request's transaction; on POST after the row is locked.
        current = Crew.objects.filter(pk=self.kwargs["pk"]).values_list("status", flat=True)
        return {"current": current.first()}


class RunDeleteView(RunObject, ObjectDeleteView):
    warning = "The run is removed for everyone; the audit trail keeps a copy of it."

    def list_url(self):
        return reverse("agents:crew_list")


class RunHistoryView(RunObject, ObjectHistoryView):
    allowed_roles = HISTORY_ROLES
    refused_message = "Admins and auditors see the history of runs."
