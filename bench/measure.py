"""Server time of each list page, in one process, three ways side by side: the raw SQL floor,
the console's page and the stock admin's changelist (console.settings_bench).

Server time is the time Django takes from the request to the rendered response (Django's test
client calls the WSGI handler directly: every middleware, the RLS transaction, the template),
with DEBUG off and the production static files storage. Run by bench/run.py; writes JSON.
"""

import json
import os
import re
import statistics
import sys
import time

import django

WARMUP = 3


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p95": percentile(values, 95),
    }


class SqlTimer:
    """Times every statement a request runs (connection.execute_wrapper)."""

    def __init__(self):
        self.statements: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((sql, (time.perf_counter() - started) * 1000))


# What every signed-in request runs before the page's own work: the session, the user's
# profile and session row, the switch to the user's role, and the transaction around it.
PRELUDE = re.compile(
    r'^\s*(BEGIN|COMMIT|select session_data from "django_session"|select s\.role, s\.email|'
    r"select set_config\('role'|SELECT .* FROM \"auth_user\")",
    re.S,
)


def page_sql_ms(statements) -> float:
    return sum(ms for sql, ms in statements if not PRELUDE.match(sql))


def query_count(statements) -> int:
    return sum(1 for sql, _ms in statements if sql.strip() not in ("BEGIN", "COMMIT"))


def ids_in(html: str, link: str) -> list[str]:
    return re.findall(rf'href="{re.escape(link)}([0-9a-f-]{{36}})/"', html)


def admin_ids(html: str) -> list[str]:
    return re.findall(r'href="/django-admin/[a-z_]+/[a-z]+/([0-9a-f-]{36})/change/', html)


def timed_requests(client, url: str, *, count: int, budget_s: float, **extra):
    from django.db import connection

    times, sql, queries, response = [], [], [], None
    deadline = time.perf_counter() + budget_s
    for i in range(WARMUP + count):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(url, secure=True, **extra)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        if i >= WARMUP:
            times.append(elapsed)
            sql.append(page_sql_ms(timer.statements))
            queries.append(query_count(timer.statements))
        if i >= WARMUP + 4 and time.perf_counter() > deadline:
            break
    return times, sql, max(queries), response.content.decode()


def timed_floor(sql: str | tuple[str, ...], params: dict, claims: dict | None, *, count: int):
    """The floor's SQL as the user of `claims` (under RLS), or as the owner for None; its
    statements one after the other when it has several (the rows: the first's)."""
    from django.db import connection, transaction

    statements = (sql,) if isinstance(sql, str) else sql
    times, rows = [], []
    for i in range(WARMUP + count):
        with transaction.atomic(), connection.cursor() as cursor:
            if claims is not None:
                cursor.execute(
                    "select set_config('role', 'authenticated', true),"
                    " set_config('request.jwt.claims', %s, true)",
                    [json.dumps(claims)],
                )
            started = time.perf_counter()
            results = []
            for statement in statements:
                cursor.execute(statement, params)
                results.append(cursor.fetchall())
            rows = results[0]
            elapsed = (time.perf_counter() - started) * 1000
        if i >= WARMUP:
            times.append(elapsed)
    return times, [str(r[0]) for r in rows]


def measure_row(row, params, claims, ours, admin, reps, admin_budget) -> dict:
    url = row.ours.format(**params)
    admin_url = row.admin.format(**params)
    floor_claims = None if row.floor_as_owner else claims
    floor, floor_ids = timed_floor(row.floor, params, floor_claims, count=reps)
    page, page_sql, page_queries, html = timed_requests(ours, url, count=reps, budget_s=3600)
    adm, _adm_sql, adm_queries, adm_html = timed_requests(
        admin, admin_url, count=reps, budget_s=admin_budget
    )
    shown = ids_in(html, row.id_link)
    return {
        "key": row.key,
        "label": row.label,
        "url": url,
        "admin_url": admin_url,
        "floor": summary(floor),
        "ours": summary(page),
        "ours_sql": summary(page_sql),
        "admin": summary(adm),
        "queries": page_queries,
        "admin_queries": adm_queries,
        "rows": len(shown),
        "same_rows_as_floor": shown[:50] == floor_ids[:50],
        "same_rows_as_admin": set(shown[:50]) == set(admin_ids(adm_html)),
        "goal_speedup": row.goal_speedup,
        "goal_p50_ms": row.goal_p50_ms,
        "goal_p95_ms": row.goal_p95_ms,
        "growth": row.growth,
        "growth_note": row.growth_note,
        "floor_as_owner": row.floor_as_owner,
        "note": row.note,
    }


def main(out_path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_bench")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from bench.pages import prepare, selected
    from bench.session import signed_in_session

    reps = int(os.environ.get("BENCH_REPEAT", "50"))
    admin_budget = float(os.environ.get("BENCH_ADMIN_SECONDS", "20"))
    email = "auditor@example.com"
    with connection.cursor() as cursor:
        params = prepare(cursor)
        cursor.execute("select id from auth.users where email = %s", [email])
        auditor_id = str(cursor.fetchone()[0])
    ours = Client(HTTP_HOST="127.0.0.1")
    ours.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session(email)
    admin = Client(HTTP_HOST="127.0.0.1")
    admin.force_login(get_user_model().objects.get(username="bench-admin"))
    claims = {"sub": auditor_id, "role": "authenticated", "email": email}
    # As a gunicorn worker runs (gunicorn.conf.py): the collector tuned for requests.
    from console.gc_tuning import tune_for_requests

    tune_for_requests()

    results = []
    for row in selected(os.environ.get("BENCH_ONLY")):
        print(f"bench: {row.label} …", file=sys.stderr, flush=True)
        try:
            results.append(measure_row(row, params, claims, ours, admin, reps, admin_budget))
        except Exception as exc:  # one broken row (a page being built) must not stop the rest
            print(f"bench: {row.label} failed: {exc}", file=sys.stderr, flush=True)
            results.append({"key": row.key, "label": row.label, "error": str(exc)[:300]})
    with open(out_path, "w") as out:
        json.dump(results, out, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
