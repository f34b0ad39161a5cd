"""A record's history and a user's activity: audit rows, newest first, each with what changed,
in keyset pages (console.pagination.Keyset, "Older" links). One mechanism for every page that
shows a record or a person:

    context["history"] = record_history("knowledge_base_entries", entry.pk, before=cursor)
    {% include "console/_history.html" %}

`record_history` reads through private.record_history, a security-definer function that says
who may read which history (editors read knowledge entries' history although audit_logs' RLS
shows them no rows); a caller without the right gets HistoryRefused, which ends the request's
transaction (the history view answers 403). `merged_history` reads
audit rows as the user (RLS applies) from several querysets, each through its own index, and
merges them: a user's activity is the rows by them and the rows about their profile.

Both show the rows of the database's trigger and the console's own events only: a client's
notes (action `USER:…`, written through log_audit_event with any table, record and values it
chooses) are left out here, so no one can plant a change in someone else's history; the audit
trail lists them as what they are.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import DatabaseError
from django.urls import reverse

from console.audit_log import AuditLog
from console.diff import diff_values
from console.pagination import Keyset
from console.sqlstate import INSUFFICIENT_PRIVILEGE, sqlstate

NEWEST_FIRST = Keyset(("-created_at", "-id"))  # idx_audit_logs_record_created and others
PAGE_SIZE = 20
NOTE_PREFIX = "USER:"  # a client's note (supabase/migrations/20261208020000_user_audit_events.sql)


class HistoryRefused(PermissionError):
    """This role may not read this record's history."""


@dataclass
class History:
    # AuditLog rows, each with `actor_email` and `changes` (the changed keys, console.diff)
    entries: list
    older_cursor: str | None  # where the next page starts, when there is one
    first_page: bool  # the newest entries (no cursor given)
    older_url: str | None = None  # the next page (a fragment URL, or "?before=…")


def record_history(
    table_name: str, record_id, *, before: str | None = None, per_page: int = PAGE_SIZE
) -> History:
    """One record's audit rows. Raises BadCursor (a ValueError) for a cursor that is not one
    of ours, HistoryRefused when the role may not read this history."""
    record_id = str(record_id)

    def fetch(values, limit):
        created_at, row_id = values or (None, None)
        rows = AuditLog.objects.raw(
            "select * from private.record_history(%s, %s, %s, %s, %s)",
            [table_name, record_id, created_at, row_id, limit],
        )
        try:
            entries = list(rows)
        except DatabaseError as exc:  # the transaction is over: let it propagate (a 403)
            if sqlstate(exc) == INSUFFICIENT_PRIVILEGE:
                raise HistoryRefused("You may not read this history.") from exc
            raise
        for entry in entries:  # the function's actor_email is the row's snapshot, or the profile's
            entry.actor_email = entry.recorded_actor_email
        return entries

    page = NEWEST_FIRST.page_from(fetch, model=AuditLog, per_page=per_page, before=before)
    older_url = None
    if page.next_cursor:
        query = urlencode({"table": table_name, "record": record_id, "before": page.next_cursor})
        older_url = f"{reverse('console:history')}?{query}"
    return _history(page, older_url)


def merged_history(querysets, *, before: str | None = None, per_page: int = PAGE_SIZE) -> History:
    """Audit rows of several querysets (each served by an index ending in created_at desc,
    id desc), merged newest first: one query, each part reads at most a page. The next page
    is `?before=<cursor>` on the same URL. Raises BadCursor for a bad cursor."""

    querysets = [qs.exclude(action__startswith=NOTE_PREFIX) for qs in querysets]

    def fetch(values, limit):
        parts = [NEWEST_FIRST.after_key(qs.with_actor_email(), values)[:limit] for qs in querysets]
        merged = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        return merged.order_by(*NEWEST_FIRST.ordering())[:limit]

    page = NEWEST_FIRST.page_from(fetch, model=AuditLog, per_page=per_page, before=before)
    older_url = f"?{urlencode({'before': page.next_cursor})}" if page.next_cursor else None
    return _history(page, older_url)


def _history(page, older_url) -> History:
    for entry in page.rows:
        entry.changes = [d for d in diff_values(entry.old_values, entry.new_values) if d.changed]
    return History(page.rows, page.next_cursor, page.first, older_url)
