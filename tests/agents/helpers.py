"""Audit rows for the agents and crews tests, read with SQL (as the database owner): the rows
a signed-in user's writes left, oldest first. Rows without a user (a fixture's own direct
writes, when the database audits those too) are left out."""

import json
from types import SimpleNamespace

from django.db import connection


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def audit_rows(table, record=None, action=None, user_id=None) -> list[SimpleNamespace]:
    sql = (
        "select user_id::text, action, table_name, record_id, old_values, new_values"
        " from public.audit_logs where user_id is not null and table_name = %s"
    )
    params = [table]
    for column, value in (("record_id", record), ("action", action), ("user_id", user_id)):
        if value is not None:
            sql += f" and {column} = %s"
            params.append(str(getattr(value, "pk", value)))
    with connection.cursor() as cursor:
        cursor.execute(sql + " order by created_at, id", params)
        rows = cursor.fetchall()
    return [
        SimpleNamespace(
            user_id=r[0],
            action=r[1],
            table_name=r[2],
            record_id=r[3],
            old_values=_json(r[4]),
            new_values=_json(r[5]),
        )
        for r in rows
    ]
