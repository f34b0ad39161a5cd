"""The benchmark's table, in Markdown (it goes into the README as printed)."""

import math

P95_GOAL_MS = 50
SQL_GOAL = 2.0
RPS_GOAL = 100


def ms(value: float) -> str:
    if value is None or math.isnan(value):
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def times(stats: dict) -> str:
    return f"{ms(stats['p50'])} / {ms(stats['p95'])}"


def ratio(value: float) -> str:
    return f"{value:,.1f}×" if value < 100 else f"{value:,.0f}×"


def page_table(results: list[dict]) -> str:
    lines = [
        "| page | floor SQL p50 / p95 | console p50 / p95 | admin p50 / p95 "
        "| console SQL ÷ floor | admin ÷ console | queries console / admin | goals |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    notes = []
    for r in results:
        if "error" in r:
            error = " ".join(r["error"].split())[:160]
            lines.append(f"| {r['label']} | – | – | – | – | – | – | ✗ not measured: {error} |")
            continue
        sql_ratio = r["ours_sql"]["p50"] / r["floor"]["p50"] if r["floor"]["p50"] else math.inf
        speedup = r["admin"]["p50"] / r["ours"]["p50"]
        missed = []
        goal_ms = r.get("goal_p95_ms", P95_GOAL_MS)
        if r["ours"]["p95"] >= goal_ms:
            missed.append(f"p95 ≥ {goal_ms} ms")
        if speedup < r["goal_speedup"]:
            missed.append(f"< {r['goal_speedup']}× admin")
        if sql_ratio > SQL_GOAL:
            missed.append(f"SQL > {SQL_GOAL:g}× floor")
        marks = []
        if not r["same_rows_as_floor"]:
            marks.append("†")
        if not r["same_rows_as_admin"]:
            marks.append("‡")
        label = r["label"] + ("" if not marks else " " + "".join(marks))
        if r["note"]:
            notes.append(f"{r['label']}: {r['note']}.")
        lines.append(
            f"| {label} | {times(r['floor'])} | {times(r['ours'])} | {times(r['admin'])} "
            f"| {ratio(sql_ratio)} | {ratio(speedup)} "
            f"| {r['queries']} / {r['admin_queries']} "
            f"| {'✓' if not missed else '✗ ' + ', '.join(missed)} |"
        )
    requests = next((r["ours"]["n"] for r in results if "ours" in r), 0)
    lines.append("")
    lines.append(
        "Milliseconds of server time (request in, rendered page out, in-process) over "
        f"{requests} requests each (the admin: as many as fit "
        "its time budget, at least 5). *console SQL*: the SQL inside the console's page, "
        "without the sign-in checks every request makes; *floor*: the best indexed or keyset "
        "query for the page's rows, run raw as the same user. Goals: p95 under "
        f"{P95_GOAL_MS} ms, 10× (deep pages and searches 50×) faster than the admin, SQL at "
        f"most {SQL_GOAL:g}× its floor."
    )
    measured = [r for r in results if "error" not in r]
    if any(not r["same_rows_as_floor"] for r in measured):
        lines.append("† the console's page shows other rows than the floor query (see notes).")
    if any(not r["same_rows_as_admin"] for r in measured):
        lines.append("‡ the admin's changelist shows other rows than the console's page.")
    lines.extend(notes)
    return "\n".join(lines)


def load_table(runs: list[dict], *, workers: int, connections: int) -> str:
    lines = [
        f"| load: gunicorn, production settings, {workers} workers, {connections} connections "
        "| requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        lines.append(
            f"| `{run['url']}` ({run['seconds']} s) | {run['requests']:,} | {run['rps']:.1f} "
            f"| {ms(run['p50'])} | {ms(run['p95'])} | {ms(run['p99'])} | {run['errors']} |"
        )
    for run in runs:
        if run["errors"]:
            lines.append(f"Errors on {run['url']}: {', '.join(run['error_samples'])}")
    audit = next((r for r in runs if r["url"].startswith("/audit/")), None)
    if audit:
        verdict = "✓" if audit["rps"] >= RPS_GOAL and not audit["errors"] else "✗"
        lines.append(f"\nGoal: at least {RPS_GOAL} req/s on the audit list, no errors: {verdict}")
    return "\n".join(lines)
