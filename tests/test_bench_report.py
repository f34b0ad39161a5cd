"""The benchmark's verdicts (bench/report.py): pure functions of the measured numbers."""

from bench import report


def row(p50=5.0, p95=8.0, admin=200.0, sql=1.0, floor=1.0, **goals):
    return {
        "key": "r",
        "label": "a page",
        "ours": {"n": 50, "p50": p50, "p95": p95},
        "ours_sql": {"p50": sql},
        "floor": {"p50": floor, "p95": floor},
        "admin": {"p50": admin, "p95": admin},
        "goal_p50_ms": goals.get("goal_p50_ms", 10),
        "goal_p95_ms": goals.get("goal_p95_ms", 20),
        "goal_speedup": goals.get("goal_speedup", 1),
        "growth": goals.get("growth", "keyset"),
        "growth_note": goals.get("growth_note", ""),
    }


def test_a_row_within_every_goal_misses_none():
    assert report.page_misses(row(goal_speedup=20)) == []
    assert [met for met, _cell in report.page_goals(row())] == [True] * 4


def test_each_missed_goal_says_what_was_measured():
    misses = report.page_misses(row(p50=12, p95=25, admin=100, sql=3, goal_speedup=20))
    assert misses == [
        "p50 goal: 12.0 > 10 ms",
        "p95 goal: 25.0 > 20 ms",
        "vs admin goal: 8.33× < 20×",
        "SQL goal: 3.00× > 2×",
    ]


def test_never_slower_than_the_admin_is_a_ratio_of_one_shown_precisely():
    assert report.page_misses(row(p50=10, admin=10)) == []
    assert report.page_misses(row(p50=10, admin=9.8)) == ["vs admin goal: 0.98× < 1×"]


def test_a_chart_row_has_no_p50_goal_and_its_own_p95():
    chart = row(p50=60, p95=90, goal_p50_ms=None, goal_p95_ms=100)
    assert report.page_goals(chart)[0] is None
    assert report.page_misses(chart) == []


def test_growth_is_big_over_small_and_flat_means_at_most_1_3():
    small, big = row(p50=8, admin=20), row(p50=10, admin=200)
    assert report.growth_ratio(small, big, "ours") == 1.25
    assert report.growth_ratio(small, big, "admin") == 10
    assert report.growth_verdict(small, big).startswith("✓")
    assert report.growth_verdict(small, row(p50=11)) == "✗ 1.38× > 1.3×"


def test_a_row_that_may_grow_says_why_instead_of_a_verdict():
    grows = row(p50=80, growth="grows", growth_note="a chart aggregates its range")
    assert report.growth_verdict(row(p50=8), grows) == "– may grow: a chart aggregates its range"


def test_the_growth_table_counts_the_flat_rows_that_meet_the_goal():
    small = [row(p50=8), dict(row(p50=8), key="s", label="a search", growth="indexed")]
    big = [row(p50=9), dict(row(p50=20), key="s", label="a search", growth="indexed")]
    table = report.growth_table(small, big, small_scale=0.1, big_scale=1)
    assert "| a page | keyset | 8.00 | 9.00 | 1.1× |" in table
    assert "✗ 2.50× > 1.3×" in table
    assert "met on 1 of 2" in table


def test_a_load_target_meets_its_goal_only_at_its_rate_and_without_errors():
    run = {"url": "/audit/", "rps": 320.0, "errors": 0, "goal_rps": 300}
    assert report.load_verdict(run).startswith("Goal on `/audit/`: ≥ 300 req/s, no errors: ✓")
    assert "✗" in report.load_verdict(dict(run, errors=1))
    assert "✗" in report.load_verdict(dict(run, rps=299.9))


def test_the_cpu_line_says_what_rate_the_cpu_per_request_allows():
    run = {
        "url": "/audit/",
        "cpu_ms": {"workers": 5.0, "postgres": 2.0, "generator": 1.0},
        "cores": 2,
    }
    assert report.cpu_line(run) == (
        "CPU per request on `/audit/`: gunicorn workers 5.0 ms, PostgreSQL 2.0 ms,"
        " load generator 1.0 ms: 8.0 ms, so at most 250 req/s on 2 cores."
    )
    assert report.cpu_line({"url": "/audit/"}) == ""  # a run measured before the CPU was


def test_a_process_cpu_time_is_read_from_proc_children_and_all():
    """bench.run's CPU accounting, on real processes: a child that burns CPU, then exits and
    is waited for, counts in its parent's children's time."""
    import os
    import subprocess
    import sys

    from bench import run as bench_run

    before = bench_run._cpu_seconds(os.getpid(), waited_children=True)
    child = subprocess.Popen([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"])
    assert child.pid in bench_run._children(os.getpid()) or child.poll() is not None
    child.wait()
    after = bench_run._cpu_seconds(os.getpid(), waited_children=True)
    assert after - before > 0.05  # the child's work, now its parent's children's time
    assert bench_run.cpu_per_request({"a": 1.0}, {"a": 1.5}, 100) == {"a": 5.0}
