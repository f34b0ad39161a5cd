"""Helpers for the audit trail's tests.

audit_logs is append-only even in tests: nothing ever removes a row. So every test writes its
rows under a table name of its own (`trail.table`) and looks only at those.
"""

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection

BASE = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ROW_LINK = re.compile(r'href="/audit/([0-9a-f-]{36})/"')


def insert_row(
    table,
    *,
    created_at,
    action="UPDATE",
    user_id=None,
    record_id="r1",
    old=None,
    new=None,
    ip="192.0.2.10",
    user_agent="pytest",
) -> str:
    """One audit row, written directly with its own timestamp (as the seed does); the
    console's own writes go through the audit functions."""
    import json

    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.audit_logs (user_id, action, table_name, record_id, old_values,"
            " new_values, ip_address, user_agent, created_at)"
            " values (%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s::inet, %s, %s) returning id",
            [
                user_id,
                action,
                table,
                record_id,
                None if old is None else json.dumps(old),
                None if new is None else json.dumps(new),
                ip,
                user_agent,
                created_at,
            ],
        )
        return str(cursor.fetchone()[0])


def insert_rows(table, count, *, start=BASE, step=timedelta(minutes=-1), **fields) -> list[str]:
    """`count` rows, each `step` after the previous one; ids newest first."""
    ids = [insert_row(table, created_at=start + i * step, **fields) for i in range(count)]
    return ids[::-1] if step > timedelta(0) else ids


def bulk_rows(table, count, *, start=BASE) -> None:
    """Many rows at once, one second apart going back from `start` (record ids n1, n2, …)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.audit_logs (action, table_name, record_id, new_values,"
            " ip_address, user_agent, created_at)"
            " select 'UPDATE', %s, 'n' || g, jsonb_build_object('n', g), '198.51.100.1',"
            " 'pytest', %s - make_interval(secs => g)"
            " from generate_series(1, %s) g",
            [table, start, count],
        )


@pytest.fixture
def trail():
    """A table name no other test uses, and the helpers to fill it."""
    table = f"t_{uuid.uuid4().hex[:12]}"
    return SimpleNamespace(
        table=table,
        row=lambda **kw: insert_row(table, **kw),
        rows=lambda count, **kw: insert_rows(table, count, **kw),
        bulk=lambda count, **kw: bulk_rows(table, count, **kw),
    )


def row_ids(response) -> list[str]:
    """The entries a list page shows, top to bottom."""
    return ROW_LINK.findall(response.content.decode())


def link(response, rel: str) -> str | None:
    """The "newer" (rel=prev) or "older" (rel=next) link of a list page."""
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None
