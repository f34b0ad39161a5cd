"""The rows of the benchmark table: one list page each, as the console shows it, as the stock
Django admin shows it, and the raw SQL that fetches the same rows (the floor).

To add or re-run a row, edit or pick it here: `BENCH_ONLY=knowledge make bench` runs the rows
whose key starts with "knowledge" (comma-separated prefixes; BENCH_SKIP_LOAD=1 skips the
load run). Values that depend on the data (a cursor 5,000 pages deep, an actor with rows) are
looked up once per run by `prepare`.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

PER_PAGE = 50  # the console's default page size; bench/admin.py uses the same
DEEP_PAGE = 5_000

AUDIT_COLUMNS = (
    "a.id, a.user_id, a.action, a.table_name, a.record_id, a.old_values, a.new_values,"
    " a.ip_address, a.user_agent, a.created_at,"
    " (select p.email from public.profiles p where p.id = a.user_id) as actor_email"
)
KNOWLEDGE_COLUMNS = "e.id, e.title, e.category, e.tags, e.is_active, e.updated_at"
PROFILE_COLUMNS = "p.id, p.email, p.display_name, p.role, p.created_at"
AGENT_COLUMNS = "a.id, a.name, a.type, a.status, a.is_active, a.last_activity, a.updated_at"
RUN_COLUMNS = "c.id, c.crew_name, c.crew_type, c.status, c.performance_data, c.created_at"
BENCH_CREW = "Bench Crew 7"  # console.demo.seed_run_volume's crews are "Bench Crew 0" to 19
PACKAGE_COLUMNS = "d.id, d.name, d.version, d.package_type, d.status, d.created_at, d.deployed_at"
BENCH_PACKAGE = "bench-pkg-1"  # console/demo.py: 12 versions and their audit rows
# The chart's own aggregate (performance/series.py), the floor of the performance rows.
PERF_BUCKETS = (
    "select date_bin('{bucket}'::interval, l.\"timestamp\", '2000-01-01 00:00+00') as t,"
    " avg((l.metrics->>'latency_ms')::float8),"
    " percentile_cont(0.95) within group (order by (l.metrics->>'latency_ms')::float8),"
    " max((l.metrics->>'latency_ms')::float8), count(*)"
    " from public.system_performance_logs l"
    " where l.\"timestamp\" >= now() - interval '{span}' and {condition}"
    " group by 1 order by 1"
)


@dataclass
class Row:
    key: str
    label: str
    ours: str  # URL of the console's page
    admin: str  # URL of the stock admin's changelist
    floor: str  # SQL with %(name)s parameters; returns the page's rows, id first
    id_link: str  # how the console's page links a row: the ids it shows
    goal_speedup: int = 10  # at least this many times faster than the admin
    goal_p95_ms: int = 50  # the console's p95 server time
    note: str = ""
    params: dict = field(default_factory=dict)


ROWS = [
    Row(
        "audit-first",
        "audit: first page",
        "/audit/",
        "/django-admin/console/auditlog/",
        f"select {AUDIT_COLUMNS} from public.audit_logs a"
        f" order by a.created_at desc, a.id desc limit {PER_PAGE}",
        "/audit/",
    ),
    Row(
        "audit-deep",
        f"audit: page {DEEP_PAGE:,}",
        "/audit/?before={cursor}",
        f"/django-admin/console/auditlog/?p={DEEP_PAGE}",
        f"select {AUDIT_COLUMNS} from public.audit_logs a"
        " where (a.created_at, a.id) < (%(created_at)s, %(id)s)"
        f" order by a.created_at desc, a.id desc limit {PER_PAGE}",
        "/audit/",
        goal_speedup=50,
    ),
    Row(
        "audit-actor-action",
        "audit: actor + action",
        "/audit/?actor={email}&action={action}",
        "/django-admin/console/auditlog/?user_id={user_id}&action__exact={action}",
        f"select {AUDIT_COLUMNS} from public.audit_logs a"
        " where a.user_id = %(user_id)s and a.action = %(action)s"
        f" order by a.created_at desc, a.id desc limit {PER_PAGE}",
        "/audit/",
    ),
    Row(
        "audit-date-range",
        "audit: one day, a week back",
        "/audit/?since={day}&until={day}",
        "/django-admin/console/auditlog/?created_at__gte={day}T00:00:00%2B00:00"
        "&created_at__lt={next_day}T00:00:00%2B00:00",
        f"select {AUDIT_COLUMNS} from public.audit_logs a"
        " where a.created_at >= %(day)s::timestamptz and a.created_at < %(next_day)s::timestamptz"
        f" order by a.created_at desc, a.id desc limit {PER_PAGE}",
        "/audit/",
    ),
    Row(
        "knowledge-common",
        "knowledge: search a common word",
        "/knowledge/?q={common}",
        "/django-admin/knowledge/entry/?q={common}",
        f"select {KNOWLEDGE_COLUMNS} from public.knowledge_base_entries e"
        " where e.search_vector @@ websearch_to_tsquery('english', %(common)s)"
        f" order by e.updated_at desc, e.id desc limit {PER_PAGE}",
        "/knowledge/",
        goal_speedup=50,
        note="floor: newest matches from the GIN index; the page ranks them, so rows differ",
    ),
    Row(
        "knowledge-rare",
        "knowledge: search a rare word",
        "/knowledge/?q={rare}",
        "/django-admin/knowledge/entry/?q={rare}",
        f"select {KNOWLEDGE_COLUMNS} from public.knowledge_base_entries e"
        " where e.search_vector @@ websearch_to_tsquery('english', %(rare)s)"
        f" order by e.updated_at desc, e.id desc limit {PER_PAGE}",
        "/knowledge/",
        goal_speedup=50,
        note="floor: newest matches from the GIN index; the page ranks them, so rows differ",
    ),
    Row(
        "knowledge-filter",
        "knowledge: filter by category",
        "/knowledge/?category=security",
        "/django-admin/knowledge/entry/?category__exact=security",
        f"select {KNOWLEDGE_COLUMNS} from public.knowledge_base_entries e"
        " where e.category = 'security'"
        f" order by e.updated_at desc, e.id desc limit {PER_PAGE}",
        "/knowledge/",
    ),
    Row(
        "users-first",
        "users: first page",
        "/users/",
        "/django-admin/users/profile/",
        f"select {PROFILE_COLUMNS} from public.profiles p"
        f" order by p.created_at desc, p.id desc limit {PER_PAGE}",
        "/users/",
    ),
    Row(
        "users-search",
        "users: search by email",
        "/users/?q={email_prefix}",
        "/django-admin/users/profile/?q={email_prefix}",
        f"select {PROFILE_COLUMNS} from public.profiles p"
        " where lower(coalesce(p.email, '') || ' ' || coalesce(p.display_name, ''))"
        " like %(email_prefix_like)s"
        f" order by p.created_at desc, p.id desc limit {PER_PAGE}",
        "/users/",
        goal_speedup=50,
        note="both search anywhere in email and name (the console through a trigram index)",
    ),
    Row(
        "agents-search",
        "agents: search name or type",
        "/agents/?q=analy",
        "/django-admin/agents/agent/?q=analy",
        f"select {AGENT_COLUMNS} from public.ai_agents a"
        " where a.name ilike '%%analy%%' or a.type ilike '%%analy%%'"
        f" order by a.name, a.id limit {PER_PAGE}",
        "/agents/",
    ),
    Row(
        "crews-overview",
        "crews: overview (one line per crew)",
        "/crews/",
        "/django-admin/agents/crew/?o=1",
        "select last_run_id, crew_name, runs, median_seconds, p95_seconds, failed_24h"
        " from private.crew_overview()",
        "/crews/",
        note="the admin has no per-crew summary: its changelist of runs is the nearest page",
    ),
    Row(
        "crews-runs-deep",
        f"crews: runs page {DEEP_PAGE:,}",
        "/crews/runs/?before={run_cursor}",
        f"/django-admin/agents/crew/?p={DEEP_PAGE}",
        f"select {RUN_COLUMNS} from public.crew_nuclear_system c"
        " where (c.created_at, c.id) < (%(run_created_at)s, %(run_id)s)"
        f" order by c.created_at desc, c.id desc limit {PER_PAGE}",
        "/crews/",
        goal_speedup=50,
    ),
    Row(
        "crews-crew-page",
        "crews: a crew's page",
        f"/crews/name/{quote(BENCH_CREW)}/",
        f"/django-admin/agents/crew/?crew_name={quote(BENCH_CREW)}",
        f"select {RUN_COLUMNS} from public.crew_nuclear_system c"
        " where c.crew_name = %(bench_crew)s"
        f" order by c.created_at desc, c.id desc limit {PER_PAGE}",
        "/crews/",
        note="the crew page links each run twice (chart, table), oldest first in the chart",
    ),
    Row(
        "deployments-version",
        "deployments: sorted by version",
        "/deployments/?sort=-version",
        "/django-admin/deployments/package/?o=-2",
        f"select {PACKAGE_COLUMNS} from public.deployment_packages d"
        " order by private.semver_key(d.version) desc, d.id desc"
        f" limit {PER_PAGE}",
        "/deployments/",
        note="the admin sorts versions as text (1.9.0 after 1.10.0)",
    ),
    Row(
        "deployments-timeline",
        "deployments: a name's timeline",
        f"/deployments/name/{BENCH_PACKAGE}/",
        f"/django-admin/deployments/package/?name__exact={BENCH_PACKAGE}",
        f"select {PACKAGE_COLUMNS}, (select json_agg(json_build_object('action', a.action,"
        " 'new', a.new_values, 'at', a.created_at) order by a.created_at, a.id)"
        " from public.audit_logs a where a.table_name = 'deployment_packages'"
        " and a.record_id = d.id::text) as steps"
        " from public.deployment_packages d where d.name = %(package)s"
        " order by private.semver_key(d.version) desc, d.id desc",
        "/deployments/",
        note="the timeline links each version from its row and from each step; the admin"
        " shows the versions without their steps",
    ),
    Row(
        "performance-type-30d",
        "performance: 30-day chart of one type (series.json)",
        "/performance/series.json?metric=latency_ms&range=30d&system_type=agent",
        "/django-admin/performance/performancelog/?system_type__exact=agent"
        "&timestamp__gte={month_ago}",
        PERF_BUCKETS.format(bucket="3 hours", span="30 days", condition="l.system_type = 'agent'"),
        "/performance/samples/",
        goal_p95_ms=100,
        note="floor: the same buckets from the raw rows; the console reads its closed buckets"
        " from private.performance_rollup (rows are buckets: no ids to compare)",
    ),
    Row(
        "performance-system-24h",
        "performance: 24-hour chart of one system (series.json)",
        "/performance/series.json?metric=latency_ms&range=24h&system_id={system_id}",
        "/django-admin/performance/performancelog/?system_id={system_id}&timestamp__gte={day_ago}",
        PERF_BUCKETS.format(
            bucket="5 minutes", span="24 hours", condition="l.system_id = %(system_id)s"
        ),
        "/performance/samples/",
        note="rows are buckets, not records: no ids to compare; the admin lists the raw rows",
    ),
    Row(
        "performance-explorer-system",
        "performance: explorer, one system, 24 hours",
        "/performance/?metric=latency_ms&range=24h&system_id={system_id}",
        "/django-admin/performance/performancelog/?system_id={system_id}&timestamp__gte={day_ago}",
        PERF_BUCKETS.format(
            bucket="5 minutes", span="24 hours", condition="l.system_id = %(system_id)s"
        ),
        "/performance/samples/",
        note="the page adds the top systems of the range (all systems) to the chart",
    ),
    Row(
        "performance-samples",
        "performance: raw samples of one type",
        "/performance/samples/?system_type=crew",
        "/django-admin/performance/performancelog/?system_type__exact=crew",
        'select l.id, l.system_type, l.system_id, l.metrics, l."timestamp"'
        " from public.system_performance_logs l where l.system_type = 'crew'"
        f' order by l."timestamp" desc, l.id desc limit {PER_PAGE}',
        "/performance/samples/",
    ),
]


def _crew_params(cursor) -> dict:
    """The runs list's cursor DEEP_PAGE pages in (the "Older" link's `before`)."""
    cursor.execute(
        "select created_at, id from public.crew_nuclear_system"
        " order by created_at desc, id desc offset %s limit 1",
        [DEEP_PAGE * PER_PAGE - 1],
    )
    created_at, run_id = cursor.fetchone() or _oldest(cursor, "crew_nuclear_system")
    text = f"{created_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')},{run_id}"
    return {
        "run_created_at": created_at,
        "run_id": run_id,
        "run_cursor": quote(text, safe=""),
        "bench_crew": BENCH_CREW,
    }


def _oldest(cursor, table: str) -> tuple:
    """The last row of a table too small for the deep page (a small BENCH_SCALE)."""
    cursor.execute(f"select created_at, id from public.{table} order by created_at, id limit 1")
    return cursor.fetchone()


def prepare(cursor) -> dict:
    """Values the rows need, from the data itself (run as the database owner)."""
    from console.demo import RARE_WORDS

    cursor.execute(
        "select created_at, id from public.audit_logs order by created_at desc, id desc"
        " offset %s limit 1",
        [(DEEP_PAGE - 1) * PER_PAGE - 1],
    )
    created_at, row_id = cursor.fetchone() or _oldest(cursor, "audit_logs")
    cursor.execute(
        "select a.user_id, p.email, a.action from public.audit_logs a"
        " join public.profiles p on p.id = a.user_id"
        " where a.user_agent = 'bench-agent/1.0' order by a.created_at desc limit 1"
    )
    user_id, email, action = cursor.fetchone()
    cursor.execute("select (max(created_at) - interval '7 days')::date from public.audit_logs")
    day = cursor.fetchone()[0]
    cursor.execute(
        "select split_part(email, '-', 1) from public.profiles"
        " where email like 'user12%%@bench.example.com' order by email limit 1"
    )
    prefix = cursor.fetchone()[0]
    cursor_text = f"{created_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')},{row_id}"
    cursor.execute("select now()")
    now = cursor.fetchone()[0]
    return {
        "created_at": created_at,
        "id": row_id,
        "cursor": quote(cursor_text, safe=""),
        "user_id": user_id,
        "email": quote(email, safe=""),
        "action": action,
        "day": day.isoformat(),
        "next_day": (day.fromordinal(day.toordinal() + 1)).isoformat(),
        "common": "agent",
        "rare": RARE_WORDS[0],
        "email_prefix": prefix,
        "email_prefix_like": f"%{prefix}%",
        **_crew_params(cursor),
        "package": BENCH_PACKAGE,
        "system_id": "system-7",
        "month_ago": quote((now - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S"), safe=""),
        "day_ago": quote((now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"), safe=""),
    }


def selected(only: str | None) -> list[Row]:
    if not only:
        return ROWS
    prefixes = [p.strip() for p in only.split(",") if p.strip()]
    return [row for row in ROWS if any(row.key.startswith(p) for p in prefixes)]
