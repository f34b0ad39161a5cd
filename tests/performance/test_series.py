"""series.json: the shape of the issue, at most 300 points per series whatever the range, the
numbers of a direct SQL aggregate over the same rows, and 400 with a message for bad input."""

from datetime import datetime, timedelta

import pytest
from django.db import connection

from performance.query import MAX_POINTS, RANGES, bucket_seconds
from tests.performance.conftest import generated_samples, insert_samples

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("range_key", "at_least"), [("30d", 200), ("7d", 150), ("24h", 70)])
def test_at_most_300_points_equal_to_a_direct_sql_aggregate(signed_in, range_key, at_least):
    generated_samples(days=31, every_minutes=20, systems=[("agent", "a-1"), ("agent", "a-2")])
    response = signed_in("viewer").get(
        f"/performance/series.json?metric=latency_ms&range={range_key}&system_type=agent"
    )
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"metric", "from", "until", "bucket_seconds", "series"}
    assert data["metric"] == "latency_ms"
    [only] = data["series"]
    assert only["system_type"] == "agent"
    assert at_least < len(only["points"]) <= MAX_POINTS
    assert set(only["points"][0]) == {"t", "avg", "p95", "max", "n"}

    # The same rows, aggregated directly.
    with connection.cursor() as cursor:
        cursor.execute(
            "select date_bin(make_interval(secs => %(b)s), \"timestamp\", '2000-01-01 00:00+00'),"
            " avg((metrics->>'latency_ms')::float8),"
            " percentile_cont(0.95) within group (order by (metrics->>'latency_ms')::float8),"
            " max((metrics->>'latency_ms')::float8), count(*)"
            " from public.system_performance_logs"
            ' where system_type = \'agent\' and "timestamp" >= %(f)s and "timestamp" < %(u)s'
            " group by 1 order by 1",
            {"b": data["bucket_seconds"], "f": data["from"], "u": data["until"]},
        )
        expected = cursor.fetchall()
    got = [
        (datetime.fromisoformat(p["t"]), p["avg"], p["p95"], p["max"], p["n"])
        for p in only["points"]
    ]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g[0] == e[0] and g[4] == e[4]
        assert g[1] == pytest.approx(e[1]) and g[2] == pytest.approx(e[2]) and g[3] == e[3]
    assert sum(p["n"] for p in only["points"]) == sum(e[4] for e in expected)


def test_systems_are_series_of_their_own(signed_in, recent):
    insert_samples(
        [
            ("agent", "a-1", {"latency_ms": 10}, recent(minutes=5)),
            ("agent", "a-1", {"latency_ms": 30}, recent(minutes=6)),
            ("agent", "a-2", {"latency_ms": 100}, recent(minutes=5)),
            ("agent", "a-3", {"latency_ms": 999}, recent(minutes=5)),
            ("agent", "a-2", {"cpu": 5}, recent(minutes=5)),  # no latency: not counted
        ]
    )
    data = (
        signed_in("viewer")
        .get("/performance/series.json?metric=latency_ms&range=1h&system_id=a-1&system_id=a-2")
        .json()
    )
    assert [s["system_id"] for s in data["series"]] == ["a-1", "a-2"]
    assert sum(p["n"] for p in data["series"][0]["points"]) == 2
    assert max(p["max"] for p in data["series"][1]["points"]) == 100


def test_every_range_keeps_under_300_points():
    for _label, span in RANGES.values():
        assert span.total_seconds() / bucket_seconds(span) + 1 <= MAX_POINTS
    for days in (1, 45, 90, 365, 400):
        span = timedelta(days=days)
        assert span.total_seconds() / bucket_seconds(span) + 1 <= MAX_POINTS


@pytest.mark.parametrize(
    "query",
    [
        "range=24h",  # no metric
        "metric=latency_ms&range=2y",
        "metric=latency%3Bdrop&range=24h",
        "metric=latency_ms&system_type=satellite",
        "metric=latency_ms&range=custom",
        "metric=latency_ms&range=custom&from=yesterday",
        "metric=latency_ms&from=2026-01-10&until=2026-01-01",
        "metric=latency_ms&from=2020-01-01&until=2026-01-01",
        "metric=latency_ms&from=99999-01-01",
        "metric=latency_ms&stat=median",
        "metric=latency_ms&system_id=1&system_id=2&system_id=3&system_id=4&system_id=5&system_id=6",
    ],
)
def test_bad_parameters_are_400_with_a_message(signed_in, query):
    response = signed_in("viewer").get(f"/performance/series.json?{query}")
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_custom_range_in_dates(signed_in):
    insert_samples(
        [("api", "x", {"latency_ms": 5}, datetime.fromisoformat("2026-01-02T12:00+00:00"))]
    )
    data = (
        signed_in("viewer")
        .get("/performance/series.json?metric=latency_ms&from=2026-01-01&until=2026-01-03")
        .json()
    )
    assert data["from"].startswith("2026-01-01") and data["until"].startswith("2026-01-04")
    assert data["series"][0]["system_type"] == "api"
    assert data["series"][0]["points"][0]["n"] == 1


def test_series_json_needs_a_role(client, auth_server, signed_in):
    assert client.get("/performance/series.json?metric=x").status_code == 302
    assert signed_in(None).get("/performance/series.json?metric=x").status_code == 403


def test_closed_buckets_are_kept_and_forgotten_when_their_samples_change(signed_in, now):
    generated_samples(days=31, every_minutes=60, systems=[("crew", "c-1")])
    client = signed_in("viewer")
    url = "/performance/series.json?metric=latency_ms&range=30d&system_type=crew"

    def total_n():
        return sum(p["n"] for p in client.get(url).json()["series"][0]["points"])

    before = total_n()
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from private.performance_rollup_done")
        assert cursor.fetchone()[0] >= 200  # the closed buckets, kept
    late = now - timedelta(days=10)  # a sample arriving late, into a closed bucket
    insert_samples([("crew", "c-1", {"latency_ms": 10_000}, late)])
    assert total_n() == before + 1
    with connection.cursor() as cursor:
        cursor.execute(
            "delete from public.system_performance_logs where (metrics->>'latency_ms')::int = 10000"
        )
    assert total_n() == before
    points = client.get(url).json()["series"][0]["points"]
    assert max(p["max"] for p in points) < 10_000
