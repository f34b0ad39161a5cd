"""The explorer's top systems (private.performance_top_systems): the numbers of a direct
aggregate over the raw rows of the window, although the window's closed part is summed up once
and kept; late samples, deletions and retention change the answer; no role, no answer."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict

from console import audited
from console.rls import as_user
from performance import retention, series
from performance.models import RetentionPolicy
from performance.query import parse
from tests.factories import db_user
from tests.performance.conftest import generated_samples, insert_samples

pytestmark = pytest.mark.django_db(transaction=True)

SYSTEMS = [("agent", "a-1"), ("agent", "a-22"), ("api", "api-333"), ("crew", "c-4444")]


def direct(query, limit=100):
    """What top_systems must answer, from the raw rows of the same window."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select system_type, system_id, percentile_cont(0.95) within group (order by v),"
            " max(v), avg(v), count(v)"
            " from (select system_type, system_id, case when jsonb_typeof(metrics->%(m)s)"
            " = 'number' then (metrics->>%(m)s)::float8 end as v"
            ' from public.system_performance_logs where "timestamp" >= %(f)s'
            ' and "timestamp" < %(u)s and system_id is not null'
            " and (%(t)s::text is null or system_type = %(t)s)) s"
            " group by 1, 2 having count(v) > 0 order by 3 desc, 2 limit %(n)s",
            {
                "m": query.metric,
                "f": max(query.start, query.end - series.TOP_SPAN),
                "u": query.end,
                "t": query.system_type,
                "n": limit,
            },
        )
        return cursor.fetchall()


def assert_same(got, expected):
    assert [(t.system_type, t.system_id) for t in got] == [(e[0], e[1]) for e in expected]
    for t, (_type, _id, p95, high, avg, n) in zip(got, expected, strict=True):
        assert t.p95 == pytest.approx(p95, rel=1e-12)
        assert t.max == high and t.n == n
        assert t.avg == pytest.approx(avg, rel=1e-12)


def kept_bodies() -> int:
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from private.performance_top_body_done")
        return cursor.fetchone()[0]


def top(query, claims, limit=100):
    with as_user(claims):
        return series.top_systems(query, limit=limit)


@pytest.mark.parametrize("params", ["range=24h", "range=7d", "range=7d&system_type=agent"])
def test_the_ranking_equals_a_direct_aggregate_over_the_raw_rows(params, now):
    # Every 7 minutes for 2 days: samples in the window's partial first bucket, its summed-up
    # body and its open end.
    generated_samples(days=2, every_minutes=7, systems=SYSTEMS)
    # not a number: left out
    insert_samples([("api", "api-333", {"latency_ms": "slow"}, now - timedelta(minutes=1))])
    viewer = db_user("viewer")
    query = parse(QueryDict(f"metric=latency_ms&{params}"))
    first = top(query, viewer.claims)
    assert kept_bodies() == 1
    assert_same(first, direct(query))
    assert_same(top(query, viewer.claims), direct(query))  # now from the kept summary
    assert len(top(query, viewer.claims, limit=2)) == 2


def test_a_sample_arriving_late_into_the_kept_part_changes_the_answer(now):
    generated_samples(days=2, every_minutes=10, systems=SYSTEMS)
    viewer = db_user("viewer")
    query = parse(QueryDict("metric=latency_ms&range=24h"))
    before = top(query, viewer.claims)
    assert kept_bodies() == 1
    late = [
        ("api", "api-333", {"latency_ms": 50_000 + i}, now - timedelta(hours=12)) for i in range(9)
    ]
    insert_samples(late)
    assert kept_bodies() == 0  # the insert forgot the summary it fell into
    after = top(query, viewer.claims)
    assert_same(after, direct(query))
    assert after[0].system_id == "api-333" and after[0].max == 50_008
    with connection.cursor() as cursor:
        cursor.execute(
            "delete from public.system_performance_logs where (metrics->>'latency_ms')::float8 > 40000"
        )
    assert_same(top(query, viewer.claims), direct(query))
    assert [(t.system_id, t.p95) for t in top(query, viewer.claims)] == [
        (t.system_id, t.p95) for t in before
    ]


def test_a_burst_at_the_open_end_still_gives_the_exact_p95(now):
    # The summary keeps the highest 10 % (+10) of a system's values (~24 of ~140 here). 2,000
    # fast samples at the open end move the p95 down to about the 108th highest value, which
    # the summary did not keep: the answer is still exact (from the raw rows).
    generated_samples(days=1, every_minutes=10, systems=[("api", "steady")])
    viewer = db_user("viewer")
    query = parse(QueryDict("metric=latency_ms&range=24h"))
    assert_same(top(query, viewer.claims), direct(query))
    assert kept_bodies() == 1
    insert_samples(
        [
            ("api", "steady", {"latency_ms": 1 + i % 7}, now - timedelta(seconds=i % 60))
            for i in range(2000)
        ]
    )
    assert kept_bodies() == 1  # the burst is after the summary's end
    got = top(query, viewer.claims)
    assert_same(got, direct(query))
    assert got[0].n > 2100


def test_no_role_no_answer():
    generated_samples(days=1, every_minutes=30, systems=SYSTEMS)
    query = parse(QueryDict("metric=latency_ms&range=24h"))
    assert top(query, db_user("viewer").claims)
    assert top(query, db_user(None).claims) == []
    assert kept_bodies() == 1  # kept by the viewer's call; refused all the same


def test_retention_forgets_the_kept_summaries_of_what_it_deletes(now):
    generated_samples(days=45, every_minutes=120, systems=SYSTEMS)
    viewer = db_user("viewer")
    since, until = (now - timedelta(days=40)), (now - timedelta(days=39))
    query = parse(
        QueryDict(f"metric=latency_ms&from={since:%Y-%m-%dT%H:%M}&until={until:%Y-%m-%dT%H:%M}")
    )
    assert top(query, viewer.claims)
    assert kept_bodies() == 1
    # Retention deletes by the saved policy only.
    RetentionPolicy.objects.filter(pk="system_performance_logs").update(keep_days=30)
    try:
        policy = RetentionPolicy.objects.get(pk="system_performance_logs")
        retention.apply(audited.Actor(None, None, "pytest"), policy)
    finally:
        RetentionPolicy.objects.filter(pk="system_performance_logs").update(keep_days=90)
    assert kept_bodies() == 0
    assert top(query, viewer.claims) == []


def test_the_benchmarks_explorer_floor_computes_the_same_top_systems(now):
    """bench/pages.py's floor of the explorer row: the chart's buckets, then the top systems
    from the raw rows (their p95s, highest first, as the console's)."""
    from bench.pages import selected

    (row,) = selected("performance-explorer")
    generated_samples(days=2, every_minutes=7, systems=SYSTEMS)
    viewer = db_user("viewer")
    with as_user(viewer.claims), connection.cursor() as cursor:
        cursor.execute(row.floor, {"system_id": "a-1"})
        rows = cursor.fetchall()
    chart = [r for r in rows if r[0] is not None]
    floor_p95s = [r[2] for r in rows if r[0] is None]
    query = parse(QueryDict("metric=latency_ms&range=24h&system_id=a-1"))
    assert len(chart) == len(series.series(query)[0].points)
    console = top(query, viewer.claims, limit=10)
    assert len(floor_p95s) == len(SYSTEMS)
    assert floor_p95s == pytest.approx([t.p95 for t in console], rel=1e-12)
