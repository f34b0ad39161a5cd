import uuid

from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode

from audit.filters import MAX_EMAIL, SYSTEM_ACTOR, AuditLogFilterSet
from audit.tables import AuditLogTable
from console import registry
from console.audit_log import AuditLog
from console.diff import diff_values
from console.export import Column, filtered_export
from console.lists import KeysetListView
from console.permissions import area_required

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
        "actor_url": reverse(registry.get("users").detail_url, args=[entry.user_id])
        if entry.user_id
        else None,
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
    return filtered_export(
        request,
        AuditLogFilterSet,
        AuditLog.objects.with_actor_email(),
        columns=EXPORT_COLUMNS,
        filename="audit-trail",
        table_name="audit_logs",
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
