import uuid
from urllib.parse import urlencode

import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.urls import NoReverseMatch
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from agents.crews import duration_seconds
from agents.models import Agent, Crew
from console.columns import DateTimeColumn, StatusColumn
from console.display import status_badge
from console.rows import cell_html, url_of


def relative_time_html(value):
    """“3 hours ago”, with the exact time in the title (shown on hover) and in datetime."""
    moment = localtime(value)
    return cell_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        moment.strftime("%Y-%m-%d %H:%M:%S %Z"),
        naturaltime(value),
    )


class RelativeTimeColumn(tables.Column):
    def render(self, value):
        return relative_time_html(value)


def crew_url(name: str) -> str | None:
    """A crew's page; None for a name no URL can carry (empty)."""
    try:
        return _CREW_URL(name)
    except NoReverseMatch:
        return None


def format_seconds(seconds) -> str:
    """123 → "2 min 3 s"; None → "—"."""
    if seconds is None:
        return "—"
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


class AgentTable(tables.Table):
    name = tables.Column(linkify=("agents:agent_detail", {"pk": tables.A("pk")}))
    status = StatusColumn(empty_values=())
    last_activity = RelativeTimeColumn(verbose_name="Last activity", default="never")
    updated_at = DateTimeColumn(verbose_name="Updated", format="Y-m-d H:i")

    is_active = tables.BooleanColumn(verbose_name="Active")

    class Meta:
        model = Agent
        fields = ("name", "type", "status", "is_active", "last_activity", "updated_at")
        order_by = ("name",)


# What RunTable shows of a run (the duration is in performance_data): the columns its lists
# read, and nothing else (a run's configuration can be big; each timestamp costs a parse).
RUN_TABLE_FIELDS = ("id", "crew_name", "crew_type", "status", "performance_data", "created_at")


class RunTable(tables.Table):
    """Every run, newest first (keyset pages: no sorting)."""

    created_at = DateTimeColumn(
        verbose_name="Started",
        format="Y-m-d H:i:s",
        linkify=("agents:run_detail", {"pk": tables.A("pk")}),
    )
    crew_name = tables.Column(verbose_name="Crew")
    crew_type = tables.Column(verbose_name="Type")
    status = StatusColumn(empty_values=())
    duration = tables.Column(verbose_name="Duration", accessor="pk", orderable=False)

    class Meta:
        model = Crew
        fields = ("created_at", "crew_name", "crew_type", "status")
        orderable = False

    def render_crew_name(self, value):
        return cell_html('<a href="{}">{}</a>', crew_url(value), value)

    def render_duration(self, record):
        return format_seconds(duration_seconds(record))


NUMBER = {"td": {"class": "num"}, "th": {"class": "num"}}  # right-aligned


class CrewTable(tables.Table):
    """The crews overview: one line per crew (agents.crews.CrewSummary rows)."""

    crew_name = tables.Column(verbose_name="Crew")
    crew_type = tables.Column(verbose_name="Type")
    runs = tables.Column(verbose_name="Runs", attrs=NUMBER)
    success_rate = tables.Column(verbose_name="Success rate", empty_values=(), attrs=NUMBER)
    last_run_at = tables.Column(verbose_name="Last run")
    median_seconds = tables.Column(verbose_name="Median duration", empty_values=(), attrs=NUMBER)
    p95_seconds = tables.Column(verbose_name="p95 duration", empty_values=(), attrs=NUMBER)
    failed_24h = tables.Column(verbose_name="Failed, last 24 h", empty_values=(), attrs=NUMBER)

    class Meta:
        orderable = False
        empty_text = "No crew has run yet."

    def __init__(self, *args, runs_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.runs_url = runs_url
        self.run_url = url_of("agents:run_detail")

    def _runs_link(self, record, text, **filters) -> str:
        query = urlencode({"crew_name": record.crew_name, **filters})
        return cell_html('<a href="{}?{}">{}</a>', self.runs_url, query, text)

    def render_crew_name(self, value):
        url = crew_url(value)
        return cell_html('<a href="{}">{}</a>', url, value) if url else value or "(no name)"

    def render_runs(self, value, record):
        return self._runs_link(record, intcomma(value))

    def render_success_rate(self, record):
        rate = record.success_rate
        if rate is None:
            return mark_safe('<span class="muted">—</span>')
        return f"{round(rate * 100)} %"

    def render_last_run_at(self, value, record):
        return cell_html(
            '<a href="{}">{}</a> {}',
            self.run_url(record.last_run_id),
            relative_time_html(value),
            status_badge(record.last_status),
        )

    def render_median_seconds(self, value):
        return format_seconds(value)

    def render_p95_seconds(self, value):
        return format_seconds(value)

    def render_failed_24h(self, value, record):
        if not value:
            return "0"
        return self._runs_link(record, intcomma(value), status="failed")


_AGENT_URL = url_of("agents:agent_detail")
_CREW_URL = url_of("agents:crew_detail")
_RUN_URL = url_of("agents:run_detail")


def system_url(system_type: str, system_id: str | None) -> str | None:
    """Where a performance sample's system_id leads: an agent's page, a run's page (a crew
    sample names its run), or a crew's page (a crew sample naming the crew)."""
    if not system_id:
        return None
    try:
        key = uuid.UUID(system_id)  # (any spelling of a uuid; the URL takes the usual one)
    except ValueError:
        return crew_url(system_id) if system_type == "crew" else None
    if system_type == "agent":
        return _AGENT_URL(key)
    if system_type == "crew":
        return _RUN_URL(key)
    return None
