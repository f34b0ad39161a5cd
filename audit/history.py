"""The history of one record: its audit rows, newest first, each with its diff.

Used by any page that shows a record (users, knowledge entries, …):

    context["history"] = record_history("knowledge_base_entries", entry.pk)
    {% include "audit/_history.html" %}
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.utils.dateparse import parse_datetime

from console.diff import DiffRow, diff_values
from console.safejson import load_for_display

PAGE_SIZE = 20


@dataclass
class HistoryEntry:
    id: uuid.UUID
    user_id: uuid.UUID | None
    action: str
    created_at: datetime
    actor_email: str | None
    ip_address: str | None
    user_agent: str | None
    changes: list[DiffRow] = field(default_factory=list)


@dataclass
class History:
    table_name: str
    record_id: str
    entries: list[HistoryEntry]
    older_cursor: str | None  # "<created_at iso>,<id>" of the last entry, when there may be more


def parse_cursor(cursor: str | None) -> tuple[datetime | None, uuid.UUID | None]:
    """A cursor from the URL; ValueError when it is not one of ours."""
    if not cursor:
        return None, None
    created, _, row_id = cursor.rpartition(",")
    when = parse_datetime(created)
    if when is None:
        raise ValueError("bad cursor")
    return when, uuid.UUID(row_id)


def _json(value):
    # Django's psycopg setup hands jsonb to raw cursors as text; any depth must render.
    return load_for_display(value)


def record_history(
    table_name: str, record_id, *, before: str | None = None, limit: int = PAGE_SIZE
) -> History:
    before_created, before_id = parse_cursor(before)
    with connection.cursor() as cursor:
        cursor.execute(
            "select id, user_id, action, created_at, actor_email, ip_address, user_agent,"
            " old_values, new_values"
            " from private.record_history(%s, %s, %s, %s, %s)",
            [table_name, str(record_id), before_created, before_id, limit + 1],
        )
        rows = cursor.fetchall()
    entries = [
        HistoryEntry(
            *row[:7], changes=[d for d in diff_values(_json(row[7]), _json(row[8])) if d.changed]
        )
        for row in rows[:limit]
    ]
    older = None
    if len(rows) > limit:
        last = entries[-1]
        older = f"{last.created_at.isoformat()},{last.id}"
    return History(table_name, str(record_id), entries, older)
