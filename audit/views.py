import uuid

from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode

from audit.filters import MAX_EMAIL, SYSTEM_ACTOR, AuditLogFilterSet
from audit.history import record_history
from audit.models import AuditLog
from audit.rows import rows_html
from audit.tables import AuditLogTable
from console import registry
from console.diff import diff_values
from console.export import FORMATS, Column, export_response
from console.lists import KeysetListView
from console.permissions import area_required, signed_in_required

EXPORT_COLUMNS = [
    Column("id", lambda r: r.id),
    Column("created_at", lambda r: r.created_at),
    Column("actor_email", lambda r: r.actor_email),
    Column("user_id", lambda r: r.user_id),
    Column("action", lambda r: r.action),
    Column("table_name", lambda r: r.table_name),
    Column("record_id", lambda r: r.record_id),
    Column("ip_address", lambda r: r.ip_address),
    Column("user_agent", lambda r: r.user_agent),
    Column("old_values", lambda r: r.old_values),
    Column("new_values", lambda r: r.new_values),
]

SUGGESTIONS = 10
LIST_FIELDS = ("id", "user_id", "action", "table_name", "record_id", "ip_address", "created_at")


class AuditLogListView(KeysetListView):
    area = "audit"
    title = "Audit trail"
    template_name = "audit/log_list.html"
    table_class = AuditLogTable
    filterset_class = AuditLogFilterSet
    keyset = ("-created_at", "-id")  # idx_audit_logs_created_id and the filter indexes
    export_url_name = "audit:log_export"
    strict = True  # a filter that cannot be applied shows its message and no rows

    def get_queryset(self):
        # Only what a row shows: old and new values (JSON parsed for every row) stay behind.
        return AuditLog.objects.only(*LIST_FIELDS).with_actor_email()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The rows are written by audit.rows (see there why); links reversed once a page.
        context["table_template"] = "audit/_table.html"
        context["rows_html"] = rows_html(
            self.keyset_page.rows,
            detail_base=url_prefix("audit:log_detail"),
            user_base=url_prefix("users:user_detail"),
        )
        return context

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["console/list.html#results"]
        return [self.template_name]


def url_prefix(url_name: str) -> str:
    """What comes before the id in a `…/<uuid:pk>/` URL, to link many rows with one reverse()."""
    placeholder = uuid.UUID(int=0)
    return reverse(url_name, args=[placeholder]).removesuffix(f"{placeholder}/")


@area_required("audit")
def log_detail(request, pk):
    entry = get_object_or_404(AuditLog.objects.with_actor_email(), pk=pk)
    changes = diff_values(entry.old_values, entry.new_values)
    context = {
        "entry": entry,
        "area": "audit",
        "title": f"{entry.action} {entry.table_name or ''}".strip(),
        "changes": changes,
        "changed": sum(1 for c in changes if c.changed),
        "record_url": record_url(entry.table_name, entry.record_id),
        "actor_url": reverse("users:user_detail", args=[entry.user_id]) if entry.user_id else None,
        "record_trail_url": _list_url(table=entry.table_name, record=entry.record_id)
        if entry.table_name and entry.record_id
        else None,
        "actor_trail_url": _list_url(actor=entry.actor_email or SYSTEM_ACTOR)
        if entry.actor_email or not entry.user_id
        else None,
    }
    return render(request, "audit/log_detail.html", context)


def record_url(table_name: str | None, record_id: str | None) -> str | None:
    """The page of the audited record, if it has one and the record still exists (as the
    user sees it: RLS applies)."""
    area = registry.by_table(table_name)
    if area is None or area.detail_url is None or not record_id:
        return None
    try:
        pk = uuid.UUID(record_id)
    except ValueError:
        return None
    url = area.detail_url_for(pk)
    if url is None:
        return None
    try:
        exists = area.model_class.objects.filter(pk=pk).exists()
    except ValidationError:
        return None
    return url if exists else None


def _list_url(**filters) -> str:
    return f"{reverse('audit:log_list')}?{urlencode(filters)}"


@area_required("audit")
def log_export(request):
    """The current filter as CSV or JSON Lines, streamed, audited as EXPORT with the filter."""
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest("Export as format=csv or format=jsonl.")
    filterset = AuditLogFilterSet(
        request.GET, queryset=AuditLog.objects.with_actor_email(), request=request
    )
    if not filterset.is_valid():
        problems = "; ".join(
            f"{filterset.form.fields[name].label}: {' '.join(errors)}"
            if name in filterset.form.fields
            else " ".join(errors)
            for name, errors in filterset.form.errors.items()
        )
        return HttpResponseBadRequest(f"Fix the filter before exporting. {problems}")
    return export_response(
        request,
        filterset.qs,
        fmt=fmt,
        columns=EXPORT_COLUMNS,
        filename="audit-trail",
        table_name="audit_logs",
        filters=filterset.used(),
        newest_first="created_at",
    )


@area_required("audit")
def actor_suggestions(request):
    """<option>s for the actor filter's <datalist>: emails starting with what was typed (the
    lower(email) index serves the prefix, through a database function: see
    20261122030100_audit_actor_lookup.sql)."""
    prefix = request.GET.get("actor", "").strip().lower()[:MAX_EMAIL]
    if "\x00" in prefix:  # PostgreSQL text cannot hold it
        return HttpResponseBadRequest("That is not part of an email address.")
    people = []
    if prefix:
        with connection.cursor() as cursor:
            cursor.execute(
                "select email, display_name from private.audit_actor_suggestions(%s, %s)",
                [prefix, SUGGESTIONS],
            )
            people = sorted(cursor.fetchall(), key=lambda person: person[0].lower())
    if prefix and SYSTEM_ACTOR.startswith(prefix):
        people.append((SYSTEM_ACTOR, "Rows without a user"))
    return render(request, "audit/_actor_options.html", {"people": people})


@signed_in_required
def history_fragment(request):
    """More of one record's history (the "Older changes" link), as a fragment."""
    table = request.GET.get("table", "")[:100]
    record = request.GET.get("record", "")[:200]
    if not table or not record:
        return HttpResponseBadRequest("table and record are required")
    if "\x00" in table + record + request.GET.get("before", ""):
        return HttpResponseBadRequest("That page of history does not exist.")
    try:
        history = record_history(table, record, before=request.GET.get("before"))
    except ValueError:
        return HttpResponseBadRequest("That page of history does not exist.")
    return render(request, "audit/_history.html", {"history": history, "history_more": True})
