# ruff: noqa: E501 (SQL reads better unwrapped)
"""EXPLAIN ANALYZE of the performance explorer's queries on 5,000,000 samples (90 days), as a
signed-in viewer, in a scratch embedded PostgreSQL (.data/perf-scratch; not make bench, not a
test). Run: .venv/bin/python -m bench.explain_performance [--keep]

Seeds the samples the way `seed_demo --scale 1` does, then prints each plan's index and
execution time, median of 5 runs."""

import json
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / ".data" / "perf-scratch"
SAMPLES = int(os.environ.get("PERF_SAMPLES", "5000000"))


def main() -> None:
    from console import embedded_db

    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = embedded_db.start(PGDATA)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    os.environ.setdefault("SECRET_KEY", "scratch-only-" + "x" * 40)
    os.environ.setdefault("SUPABASE_URL", "http://127.0.0.1:9")
    os.environ.setdefault("SUPABASE_ANON_KEY", "x")
    os.environ.setdefault("SUPABASE_SERVICE_ROLE_KEY", "x")
    os.environ.setdefault("SUPABASE_JWT_SECRET", "x" * 40)
    import django

    django.setup()
    from django.db import connection
    from django.http import QueryDict

    from console.schema import apply_schema
    from performance.query import parse
    from performance.series import series_sql, uses_rollup

    apply_schema(connection, local=True)
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from public.system_performance_logs")
        have = cursor.fetchone()[0]
        if have < SAMPLES:
            print(f"seeding {SAMPLES:,} samples …", file=sys.stderr, flush=True)
            started = time.perf_counter()
            cursor.execute("truncate public.system_performance_logs")
            cursor.execute(
                'insert into public.system_performance_logs (system_id, system_type, metrics, "timestamp")'
                " select 'system-' || (g % 200), (array['agent','crew','network','api'])[1 + (g % 200) % 4],"
                "  jsonb_build_object('cpu', round((random() * 90)::numeric, 1),"
                "   'memory_mb', 200 + (g % 1800),"
                "   'latency_ms', round((40 + random() * 400 + 200 * (1 + sin(g / 50000.0)))::numeric, 1),"
                "   'throughput', (g % 120)),"
                f"  now() - make_interval(secs => g * (90 * 86400.0 / {SAMPLES}))"
                f" from generate_series(1, {SAMPLES}) g"
            )
            cursor.execute("vacuum analyze public.system_performance_logs")
            print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        cursor.execute(
            "insert into auth.users (instance_id, id, aud, role, email, created_at, updated_at)"
            " values ('00000000-0000-0000-0000-000000000000', '11111111-1111-1111-1111-111111111111',"
            " 'authenticated', 'authenticated', 'viewer@scratch.test', now(), now())"
            " on conflict do nothing"
        )
        cursor.execute(
            "update public.profiles set role = 'viewer'"
            " where id = '11111111-1111-1111-1111-111111111111'"
        )
        cursor.execute(
            "select pg_size_pretty(pg_total_relation_size('public.system_performance_logs'))"
        )
        print(f"table with indexes: {cursor.fetchone()[0]}")
    claims = json.dumps({"sub": "11111111-1111-1111-1111-111111111111", "role": "authenticated"})
    cases = {
        "30 days, one type (agent)": "metric=latency_ms&range=30d&system_type=agent",
        "24 hours, one system": "metric=latency_ms&range=24h&system_id=system-7",
        "7 days, five systems": "metric=latency_ms&range=7d"
        + "".join(f"&system_id=system-{i}" for i in range(5)),
        "30 days, all types": "metric=latency_ms&range=30d",
    }
    for label, text in cases.items():
        query = parse(QueryDict(text))
        sql, params = series_sql(query)
        if uses_rollup(query):
            # What the chart runs: the function, closed buckets kept (the first call, below,
            # computes them once).
            sql = (
                "select * from private.performance_type_series(%(metric)s, %(bucket)s,"
                " %(start)s, %(end)s, %(system_type)s)"
            )
            params = {
                "metric": query.metric,
                "bucket": query.bucket_seconds,
                "start": query.start,
                "end": query.end,
                "system_type": query.system_type,
            }
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(sql, params)
                print(
                    f"\n{label}: first call (computes the closed buckets):"
                    f" {(time.perf_counter() - started) * 1000:.0f} ms"
                )
            raw_sql, raw_params = series_sql(query)
            with connection.cursor() as cursor:
                cursor.execute("begin")
                cursor.execute(
                    "select set_config('role', 'authenticated', true),"
                    " set_config('request.jwt.claims', %s, true)",
                    [claims],
                )
                cursor.execute("explain (analyze, format text) " + raw_sql, raw_params)
                raw_ms = cursor.fetchall()[-1][0]
                cursor.execute("rollback")
            print(f"{label}: from the raw rows instead: {raw_ms}")
        times, plan_text = [], ""
        for _ in range(5):
            with connection.cursor() as cursor:
                cursor.execute("begin")
                cursor.execute(
                    "select set_config('role', 'authenticated', true),"
                    " set_config('request.jwt.claims', %s, true)",
                    [claims],
                )
                cursor.execute("explain (analyze, buffers, format text) " + sql, params)
                lines = [row[0] for row in cursor.fetchall()]
                cursor.execute("rollback")
            plan_text = "\n".join(lines)
            times.append(float(lines[-1].split(":")[1].split()[0]))
        print(f"\n## {label}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
        print(plan_text)
    if "--keep" not in sys.argv:
        embedded_db.stop(PGDATA)


if __name__ == "__main__":
    main()
