"""Crews at volume: EXPLAIN ANALYZE of the crews overview and the runs list at a million runs,
as a signed-in viewer (RLS on). Not part of the suite (slow); run it on purpose:

    VOLUME_RUNS=1000000 .venv/bin/python -m pytest tests/agents/volume_explain.py -q -s \\
        -p no:cacheprovider

It prints each plan's execution time and checks the overview stays under 50 ms; the naive
overview (aggregating every run at read time) is timed beside it, which is why the console
reads a rollup kept by triggers (see supabase/migrations/*_agents_and_crews.sql).
"""

import os
import re
import time

import pytest
from django.db import connection

from console.demo import seed_run_volume
from console.rls import as_user
from tests.factories import db_user

pytestmark = pytest.mark.django_db

RUNS = int(os.environ.get("VOLUME_RUNS", "1000000"))

NAIVE_OVERVIEW = """
select crew_name, count(*), count(*) filter (where status = 'complete'),
       percentile_cont(0.5) within group (order by private.run_duration(performance_data)),
       percentile_cont(0.95) within group (order by private.run_duration(performance_data)),
       count(*) filter (where status = 'failed' and created_at > now() - interval '24 hours'),
       max(created_at)
from public.crew_nuclear_system group by crew_name
"""
WRITE_INSERT = (
    "insert into public.crew_nuclear_system (crew_name, crew_type, status)"
    " values ('Bench Crew 7', 'research', 'running')"
)
WRITE_UPDATE = (
    "update public.crew_nuclear_system set status = 'complete',"
    " performance_data = '{\"duration\": 321}' where crew_name = 'Bench Crew 7'"
    " and status = 'running'"
)
RUN_COLUMNS = "id, crew_name, crew_type, status, performance_data, last_execution, created_at"
QUERIES = {
    "overview (rollup)": "select * from private.crew_overview()",
    "overview (naive, for comparison)": NAIVE_OVERVIEW,
    "runs: first page": f"select {RUN_COLUMNS} from public.crew_nuclear_system"
    " order by created_at desc, id desc limit 51",
    "runs: page 5,000": f"select {RUN_COLUMNS} from public.crew_nuclear_system"
    " where (created_at, id) < (%(deep)s, 'ffffffff-ffff-ffff-ffff-ffffffffffff')"
    " order by created_at desc, id desc limit 51",
    "runs: crew filter": f"select {RUN_COLUMNS} from public.crew_nuclear_system"
    " where crew_name = 'Bench Crew 7' order by created_at desc, id desc limit 51",
    "runs: failed": f"select {RUN_COLUMNS} from public.crew_nuclear_system"
    " where status = 'failed' order by created_at desc, id desc limit 51",
    "runs: type + started between": f"select {RUN_COLUMNS} from public.crew_nuclear_system"
    " where crew_type = 'research' and created_at >= now() - interval '3 days'"
    " and created_at < now() - interval '2 days' order by created_at desc, id desc limit 51",
}


def _execution_ms(cursor, sql, params) -> tuple[float, str]:
    cursor.execute("explain (analyze, buffers) " + sql, params)
    plan = "\n".join(row[0] for row in cursor.fetchall())
    return float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)), plan


def test_crews_at_volume():
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from public.crew_nuclear_system")
        if cursor.fetchone()[0] < RUNS:
            seed_run_volume(cursor, RUNS)
            cursor.execute("analyze public.crew_nuclear_system")
        cursor.execute("select now() - make_interval(secs => 3 * 50 * 5000)")
        deep = cursor.fetchone()[0]
    print(f"\n{RUNS:,} runs ready in {time.monotonic() - started:.1f} s")
    viewer = db_user("viewer")
    with as_user(viewer.claims), connection.cursor() as cursor:
        results = {}
        for label, sql in QUERIES.items():
            times = []
            for _ in range(3):
                ms, plan = _execution_ms(cursor, sql, {"deep": deep})
                times.append(ms)
            results[label] = min(times)
            print(f"{label}: best of 3 {min(times):.2f} ms")
            if os.environ.get("VOLUME_PLANS"):
                print(plan)
    # What the rollup costs a write: one run recorded, then finished (triggers included).
    with connection.cursor() as cursor:
        for label, sql in (
            ("write: record a run", WRITE_INSERT),
            ("write: finish a run", WRITE_UPDATE),
        ):
            ms, plan = _execution_ms(cursor, sql, {})
            triggers = re.findall(r"Trigger (\S+): time=([\d.]+)", plan)
            print(f"{label}: {ms:.2f} ms, triggers {triggers}")
            results[label] = ms
    assert results["overview (rollup)"] < 50
    assert results["write: finish a run"] < 50
