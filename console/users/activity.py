"""A user's recent activity: the audit rows written by them and those about them (their
profile), newest first, in keyset pages.

One query per page: each half reads at most one page through its own index
(audit_logs (user_id, created_at) and (table_name, record_id, created_at, id)), then the two
are merged. Read as the signed-in user, so audit_logs' RLS applies (admins and auditors).
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from audit.history import parse_cursor
from console.diff import DiffRow, diff_values
from console.safejson import load_for_display

PAGE_SIZE = 20


@dataclass
class ActivityEntry:
    id: uuid.UUID
    user_id: uuid.UUID | None
    action: str
    table_name: str | None
    record_id: str | None
    ip_address: str | None
    created_at: datetime
    actor_email: str | None
    by_user: bool
    about_user: bool
    changes: list[DiffRow] = field(default_factory=list)


@dataclass
class Activity:
    user_id: str
    entries: list[ActivityEntry]
    older_cursor: str | None  # "<created_at iso>,<id>" of the last entry, if there may be more
    first_page: bool


def _json(value):
    # Django's psycopg setup hands jsonb to raw cursors as text; any depth must render.
    return load_for_display(value)


def user_activity(user_id, *, before: str | None = None, limit: int = PAGE_SIZE) -> Activity:
    """Raises ValueError for a cursor that is not one of ours."""
    before_created, before_id = parse_cursor(before)
    user_id = str(uuid.UUID(str(user_id)))
    keyset = " and (created_at, id) < (%(before_created)s, %(before_id)s)" if before else ""
    columns = (
        "id, user_id, action, table_name, record_id, old_values, new_values, ip_address, created_at"
    )
    sql = f"""
        select a.id, a.user_id, a.action, a.table_name, a.record_id, a.ip_address, a.created_at,
               p.email, a.old_values, a.new_values
        from (
          (select {columns} from public.audit_logs
           where user_id = %(user_id)s::uuid{keyset}
           order by created_at desc, id desc limit %(limit)s)
          union all
          (select {columns} from public.audit_logs
           where table_name = 'profiles' and record_id = %(user_id)s
             and user_id is distinct from %(user_id)s::uuid{keyset}
           order by created_at desc, id desc limit %(limit)s)
        ) a
        left join public.profiles p on p.id = a.user_id
        order by a.created_at desc, a.id desc
        limit %(limit)s
    """  # noqa: S608 - only our own fragments are formatted in; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "user_id": user_id,
                "before_created": before_created,
                "before_id": before_id,
                "limit": limit + 1,
            },
        )
        rows = cursor.fetchall()
    entries = []
    for row in rows[:limit]:
        *head, old, new = row
        entry = ActivityEntry(
            *head[:8],
            by_user=str(head[1]) == user_id,
            about_user=head[3] == "profiles" and head[4] == user_id,
            changes=[d for d in diff_values(_json(old), _json(new)) if d.changed],
        )
        entries.append(entry)
    older = None
    if len(rows) > limit:
        last = entries[-1]
        older = f"{last.created_at.isoformat()},{last.id}"
    return Activity(user_id, entries, older, before is None)
