"""The benchmark's tables, in Markdown (they go into the README as printed).

The verdicts are pure functions of the measured numbers (tests/test_bench_report.py):
`page_misses` for a page's goals, `growth_ratio` and `growth_verdict` for how its cost grows
with the data, `load_verdict` for a load target.
"""

import math

SQL_GOAL = 2.0  # the SQL inside a page: at most this many times its floor
FLAT_GOAL = 1.3  # keyset pages and indexed searches: p50 at 10× the data ÷ p50 at 1×
FLAT_KINDS = ("keyset", "indexed")


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
    if value is None or math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞"
    return f"{value:,.1f}×" if value < 100 else f"{value:,.0f}×"


def precise(value: float) -> str:
    """A ratio next to its goal: two decimals below 10, so 0.98× never reads as 1.0×."""
    return f"{value:.2f}×" if value < 10 else ratio(value)


def goal(value: float) -> str:
    return f"{value:g}"


def divide(top: float, bottom: float) -> float:
    if bottom:
        return top / bottom
    return math.inf if top else math.nan


GOAL_COLUMNS = ("p50 goal", "p95 goal", "vs admin goal", "SQL goal")


def page_goals(r: dict) -> list[tuple[bool, str] | None]:
    """Each goal of a measured row, in GOAL_COLUMNS order: (met, the cell: ✓ and the goal,
    or ✗ with the measured value against it); None where the row has no such goal."""
    goal_p50 = r.get("goal_p50_ms")
    p50, p95, goal_p95 = r["ours"]["p50"], r["ours"]["p95"], r["goal_p95_ms"]
    speedup, goal_speedup = divide(r["admin"]["p50"], r["ours"]["p50"]), r["goal_speedup"]
    sql = divide(r["ours_sql"]["p50"], r["floor"]["p50"])
    return [
        None
        if goal_p50 is None
        else _check(p50 <= goal_p50, f"{ms(p50)} >", f"≤ {goal(goal_p50)} ms"),
        _check(p95 <= goal_p95, f"{ms(p95)} >", f"≤ {goal(goal_p95)} ms"),
        _check(speedup >= goal_speedup, f"{precise(speedup)} <", f"≥ {goal(goal_speedup)}×"),
        _check(sql <= SQL_GOAL, f"{precise(sql)} >", f"≤ {SQL_GOAL:g}×"),
    ]


def _check(met: bool, measured: str, target: str) -> tuple[bool, str]:
    return (True, f"✓ {target}") if met else (False, f"✗ {measured} {target.split(' ', 1)[1]}")


def page_misses(r: dict) -> list[str]:
    """The goals a measured row misses: "<goal>: <measured> <limit>"."""
    return [
        f"{column}: {cell[1][2:]}"
        for column, cell in zip(GOAL_COLUMNS, page_goals(r), strict=True)
        if cell is not None and not cell[0]
    ]


def page_table(results: list[dict]) -> str:
    lines = [
        "| page | floor SQL p50 / p95 | console p50 / p95 | admin p50 / p95 "
        "| console SQL ÷ floor | admin ÷ console | queries console / admin | "
        + " | ".join(GOAL_COLUMNS)
        + " |",
        "|---|--:|--:|--:|--:|--:|--:|---|---|---|---|",
    ]
    notes = []
    for r in results:
        if "error" in r:
            error = " ".join(r["error"].split())[:160]
            lines.append(
                f"| {r['label']} | – | – | – | – | – | – | ✗ not measured: {error} | | | |"
            )
            continue
        sql_ratio = divide(r["ours_sql"]["p50"], r["floor"]["p50"])
        speedup = divide(r["admin"]["p50"], r["ours"]["p50"])
        marks = []
        if not r["same_rows_as_floor"]:
            marks.append("†")
        if not r["same_rows_as_admin"]:
            marks.append("‡")
        label = r["label"] + ("" if not marks else " " + "".join(marks))
        if r["note"]:
            notes.append(f"{r['label']}: {r['note']}.")
        cells = " | ".join("–" if cell is None else cell[1] for cell in page_goals(r))
        lines.append(
            f"| {label} | {times(r['floor'])} | {times(r['ours'])} | {times(r['admin'])} "
            f"| {ratio(sql_ratio)} | {ratio(speedup)} "
            f"| {r['queries']} / {r['admin_queries']} | {cells} |"
        )
    measured = [r for r in results if "error" not in r]
    requests = next((r["ours"]["n"] for r in measured), 0)
    met = sum(1 for r in measured if not page_misses(r))
    lines.append("")
    lines.append(f"Every goal met on {met} of {len(results)} rows.")
    lines.append(
        "Milliseconds of server time (request in, rendered page out, in-process) over "
        f"{requests} requests each (the admin: as many as fit "
        "its time budget, at least 5). *console SQL*: the SQL inside the console's page, "
        "without the sign-in checks every request makes; *floor*: the best indexed or keyset "
        "query for the page's rows, run raw as the same user (for a ranked search: the same "
        "ranked rows in the same order, run as the table's owner, since under RLS no index "
        "serves a full-text match). Goals of every list page, search included: console "
        "p50 ≤ 10 ms and p95 ≤ 20 ms; never slower than the stock admin (p50: ≥ 1×), and at "
        "least 20× faster where the admin counts or scans (the audit rows, the knowledge and "
        "users searches, the deep pages, the raw samples); the SQL at most "
        f"{SQL_GOAL:g}× its floor. The chart rows are not list pages and keep their own goals "
        "(see their notes). A goal cell says ✓ and the goal, or ✗ with the measured value "
        "against it."
    )
    if any(not r["same_rows_as_floor"] for r in measured):
        lines.append("† the console's page shows other rows than the floor query (see notes).")
    if any(not r["same_rows_as_admin"] for r in measured):
        lines.append("‡ the admin's changelist shows other rows than the console's page.")
    lines.extend(notes)
    return "\n".join(lines)


def growth_ratio(small: dict, big: dict, side: str) -> float:
    """p50 at the big scale ÷ p50 at the small one, for `side` ("ours" or "admin")."""
    return divide(big[side]["p50"], small[side]["p50"])


def growth_verdict(small: dict, big: dict) -> str:
    """✓/✗ for a keyset page or an indexed search (flat within FLAT_GOAL); for the other
    rows, why they may grow."""
    kind = big.get("growth", "")
    if kind not in FLAT_KINDS:
        return f"– may grow: {big.get('growth_note') or 'not a keyset page or indexed search'}"
    console = growth_ratio(small, big, "ours")
    if console <= FLAT_GOAL:
        return f"✓ ≤ {FLAT_GOAL:g}×"
    return f"✗ {precise(console)} > {FLAT_GOAL:g}×"


def growth_table(small: list[dict], big: list[dict], *, small_scale: float, big_scale: float):
    """How each row's p50 grows from the small scale to the big one (same rows, 10× data)."""
    by_key = {r["key"]: r for r in small if "error" not in r}
    lines = [
        f"| growth: p50 ms at scale {small_scale:g} → {big_scale:g} | kind "
        "| console small | console big | console big ÷ small "
        "| admin small | admin big | admin big ÷ small | goal |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    flat = met = 0
    for r in big:
        s = by_key.get(r["key"])
        if "error" in r or s is None:
            lines.append(f"| {r['label']} | – | – | – | – | – | – | – | ✗ not measured at both |")
            continue
        kind = r.get("growth", "") if r.get("growth") in FLAT_KINDS else "grows"
        verdict = growth_verdict(s, r)
        if kind != "grows":
            flat += 1
            met += verdict.startswith("✓")
        lines.append(
            f"| {r['label']} | {kind} | {ms(s['ours']['p50'])} | {ms(r['ours']['p50'])} "
            f"| {ratio(growth_ratio(s, r, 'ours'))} | {ms(s['admin']['p50'])} "
            f"| {ms(r['admin']['p50'])} | {ratio(growth_ratio(s, r, 'admin'))} | {verdict} |"
        )
    lines.append("")
    lines.append(
        f"The same rows over {big_scale / small_scale:g}× the data. Goal: a keyset page "
        "(*keyset*: a cursor or a filter read in index order) or an indexed search "
        f"(*indexed*) stays flat, console p50 big ÷ small ≤ {FLAT_GOAL:g}×: met on {met} of "
        f"{flat}; *grows*: not expected to be flat (the goal cell says why). The admin's "
        "changelist counts every row it filters, so its ratio grows with the data."
    )
    return "\n".join(lines)


def load_verdict(run: dict) -> str:
    """One line: the target's req/s against its goal, and no errors."""
    target = run.get("goal_rps")
    if target is None:
        return ""
    ok = run["rps"] >= target and not run["errors"]
    errors = "no errors" if not run["errors"] else f"{run['errors']} errors"
    return (
        f"Goal on `{run['url']}`: ≥ {target:g} req/s, no errors: {'✓' if ok else '✗'} "
        f"({run['rps']:.1f} req/s, {errors})"
    )


def cpu_line(run: dict) -> str:
    """Where a target's requests spent the machine's CPU, and the rate that CPU allows: with
    every core busy, requests per second cannot exceed cores × 1000 ÷ (CPU ms per request)."""
    cpu = run.get("cpu_ms")
    if not cpu or not run.get("cores"):
        return ""
    total = sum(cpu.values())
    ceiling = run["cores"] * 1000 / total if total else float("inf")
    return (
        f"CPU per request on `{run['url']}`: gunicorn workers {cpu['workers']:.1f} ms,"
        f" PostgreSQL {cpu['postgres']:.1f} ms, load generator {cpu['generator']:.1f} ms:"
        f" {total:.1f} ms, so at most {ceiling:.0f} req/s on {run['cores']} cores."
    )


def load_table(
    runs: list[dict], *, workers: int, connections: int, memory: list[tuple[int, float]] = ()
) -> str:
    lines = [
        f"| load: gunicorn, production settings, {workers} workers, {connections} connections "
        "| signed in as | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        lines.append(
            f"| `{run['url']}` ({run['seconds']} s) | {run.get('account', '–')} "
            f"| {run['requests']:,} | {run['rps']:.1f} "
            f"| {ms(run['p50'])} | {ms(run['p95'])} | {ms(run['p99'])} | {run['errors']} |"
        )
    for run in runs:
        if run["errors"]:
            lines.append(f"Errors on {run['url']}: {', '.join(run['error_samples'])}")
    lines.append("")
    lines.extend(line for line in map(load_verdict, runs) if line)
    lines.extend(line for line in map(cpu_line, runs) if line)
    if memory:
        workers_rss = ", ".join(f"pid {pid} {mib:.1f} MiB" for pid, mib in memory)
        lines.append(f"Worker resident memory (VmRSS) after the run: {workers_rss}.")
    return "\n".join(lines)
