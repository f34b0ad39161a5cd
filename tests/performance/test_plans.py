"""Under RLS only leakproof conditions reach an index. The explorer's WHERE holds plain
comparisons on system_type, system_id and timestamp; the JSON operators (->, ->>, not
leakproof) are in the select list. Checked as a signed-in user, with sequential scans made
prohibitively expensive so the plan shows whether an index can serve at all."""

import json

import pytest
from django.db import connection
from django.http import QueryDict

from console.rls import as_user
from performance.query import parse
from performance.series import series_sql
from tests.factories import db_user
from tests.performance.conftest import generated_samples

pytestmark = pytest.mark.django_db(transaction=True)


def plan_indexes(claims, sql, params) -> set[str]:
    with as_user(claims), connection.cursor() as cursor:
        cursor.execute("set local enable_seqscan = off")
        cursor.execute("explain (format json) " + sql, params)
        raw = cursor.fetchone()[0]
    plan = json.loads(raw) if isinstance(raw, str) else raw
    found, stack = set(), [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        if "Index Name" in node:
            found.add(node["Index Name"])
        stack.extend(node.get("Plans", []))
    return found


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("metric=latency_ms&range=24h&system_id=a-1", "idx_perf_logs_system_time_keyset"),
        ("metric=latency_ms&range=30d&system_type=agent", "idx_perf_logs_type_time_keyset"),
        ("metric=latency_ms&range=1h", "idx_perf_logs_time_keyset"),
    ],
)
def test_the_series_query_uses_its_index_as_a_signed_in_user(query, index):
    generated_samples(days=2, every_minutes=60, systems=[("agent", "a-1"), ("api", "b-1")])
    with connection.cursor() as cursor:
        cursor.execute("analyze public.system_performance_logs")
    viewer = db_user("viewer")
    sql, params = series_sql(parse(QueryDict(query)))
    assert index in plan_indexes(viewer.claims, sql, params)
