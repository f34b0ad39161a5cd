"""Samples for the performance tests, written directly with their own timestamps."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection


def insert_samples(rows) -> None:
    """rows: (system_type, system_id, metrics dict, timestamp)."""
    with connection.cursor() as cursor:
        cursor.executemany(
            "insert into public.system_performance_logs (system_type, system_id, metrics,"
            ' "timestamp") values (%s, %s, %s::jsonb, %s)',
            [(t, i, json.dumps(m), ts) for t, i, m, ts in rows],
        )


def generated_samples(*, days: int, every_minutes: int, systems, metric="latency_ms"):
    """Samples with SQL's generate_series (one statement): each system every N minutes."""
    with connection.cursor() as cursor:
        cursor.execute(
            'insert into public.system_performance_logs (system_type, system_id, metrics, "timestamp")'
            " select s.t, s.i, jsonb_build_object(%s, (g %% 997) + length(s.i),"
            " 'cpu', g %% 100),"
            " now() - make_interval(mins => g * %s)"
            " from unnest(%s::text[], %s::text[]) as s(t, i),"
            " generate_series(0, %s) g",
            [
                metric,
                every_minutes,
                [t for t, _ in systems],
                [i for _, i in systems],
                days * 24 * 60 // every_minutes,
            ],
        )


@pytest.fixture
def now():
    return datetime.now(UTC)


@pytest.fixture
def recent(now):
    def at(**delta):
        return now - timedelta(**delta)

    return at
