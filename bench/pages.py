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

# The explorer's top systems (performance/series.py top_systems) from the raw rows: p95, max,
# avg and n of the metric per system over the last 24 hours, highest p95 first; shaped as
# PERF_BUCKETS' rows to follow them in one statement.
PERF_TOP_SYSTEMS = (
    "(select null::timestamptz, s.avg, s.p95, s.max, s.n from (select l.system_id,"
    " avg((l.metrics->>'latency_ms')::float8) as avg,"
    " percentile_cont(0.95) within group (order by (l.metrics->>'latency_ms')::float8) as p95,"
    " max((l.metrics->>'latency_ms')::float8) as max, count(*) as n"
    " from public.system_performance_logs l"
    " where l.\"timestamp\" >= now() - interval '24 hours' and l.system_id is not null"
    " group by 1 order by 3 desc, 1 limit 10) s)"
)


# How a row's cost should grow with the data (the growth table, bench/report.py): a keyset
# page or an indexed search reads about the same rows at any volume, so its p50 stays flat.
KEYSET = "keyset"
INDEXED = "indexed"
GROWS = "grows"  # not expected to be flat: `growth_note` says why


@dataclass
class Row:
    key: str
    label: str
    ours: str  # URL of the console's page
    admin: str  # URL of the stock admin's changelist
    # SQL with %(name)s parameters; returns the page's rows, id first. A tuple: the page's
    # several reads, run one after the other and timed together (the rows: the first's).
    floor: str | tuple[str, ...]
    id_link: str  # how the console's page links a row: the ids it shows
    growth: str  # KEYSET, INDEXED or GROWS
    goal_speedup: float = 1  # at least this many times faster than the admin (p50)
    goal_p50_ms: float | None = 10  # the console's server time; None: no p50 goal
    goal_p95_ms: float = 20
    note: str = ""
    growth_note: str = ""  # why a GROWS row is not flat
    floor_as_owner: bool = False  # the floor bypasses RLS (for indexes RLS would not use)
    params: dict = field(default_factory=dict)


# Where the admin counts or scans (a changelist counts every row it filters, a deep page is an
# OFFSET, a search is `icontains`): there the console must be at least this much faster.
SCANS = 20


def ranked_search_floor(word: str) -> str:
    """The best raw SQL for the first page of a ranked knowledge search for one plain word
    (the parameter `word`), in the console's order (knowledge/search.py and
    private.kb_search_pool, supabase/migrations/20261122020200_knowledge_search_functions.sql):
    entries whose title matches first, then by ts_rank_cd over the stored vector with the
    word's query plus the word as a title prefix, then newest, then id. Title matches come
    first, so the other matches are ranked only when fewer than a page of titles match: the
    two ranked branches of a UNION ALL under a LIMIT, which PostgreSQL reads in order and
    stops as soon as the page is full. Run as the table's owner (Row.floor_as_owner): under
    RLS no index serves `@@` or LIKE, which is why the console finds its candidates through
    security-definer functions; the bench's auditor may read every entry, so the rows are the
    same. The rows as the page shows them: with the title highlighted and the text's snippet
    (ts_headline, with the console's options: the parameters headline_whole and
    headline_fragments), made for the page's rows only."""
    q = f"websearch_to_tsquery('english', %({word})s)"
    in_title = (
        f"(lower(e.title) like '%%' || lower(%({word})s) || '%%'"
        f" and lower(e.title) ~ ('\\m' || lower(%({word})s)))"
    )
    title_hit = f"(to_tsvector('english', e.title) @@ {q} or {in_title})"
    matches = f"(e.search_vector @@ {q} or {in_title})"
    rank = f"ts_rank_cd(e.search_vector, {q} || to_tsquery('simple', lower(%({word})s) || ':*A'))"
    order = f"order by {rank} desc, e.updated_at desc nulls last, e.id limit {PER_PAGE}"
    branch = (
        f"(select {KNOWLEDGE_COLUMNS}, e.content from public.knowledge_base_entries e"
        f" where {{}} {order})"
    )
    title_query = f"{q} || to_tsquery('simple', lower(%({word})s) || ':*')"
    return (
        "select r.id, r.title, r.category, r.tags, r.is_active, r.updated_at,"
        f" ts_headline('english', r.title, {title_query}, %(headline_whole)s),"
        f" ts_headline('english', r.content, {q}, %(headline_fragments)s)"
        " from (select * from ("
        + branch.format(title_hit)
        + " union all "
        + branch.format(f"{matches} and not coalesce({title_hit}, false)")
        + f") as ranked limit {PER_PAGE}) as r"
    )


RANKED_NOTE = (
    "floor: the best ranked matches (title matches first, then ts_rank_cd, newest, id), as"
    " the console orders them, through the GIN and trigram indexes as the table's owner (as"
    " the user, RLS keeps them from serving a search); the console ranks a pool (up to 100"
    " title matches and 100 other matches, whichever the index gives first), so where more"
    " match its first page can differ (†)"
)
# A crew's page shows its runs, its line of the overview, the agents its newest run names
# and the newest changes to its runs (agents/views.py): its floor is those four reads.
CREW_RUNS = (
    f"select {RUN_COLUMNS} from public.crew_nuclear_system c"
    " where c.crew_name = %(bench_crew)s"
    f" order by c.created_at desc, c.id desc limit {PER_PAGE}"
)
CREW_PAGE_FLOOR = (
    CREW_RUNS,
    # the same function as the overview's floor, for one crew
    "select * from private.crew_summaries(%(bench_crew)s)",
    "select a.id, a.name, a.type, a.status from public.ai_agents a where a.name in"
    " (select jsonb_array_elements_text(c.configuration -> 'agents') from"
    "  (select configuration from public.crew_nuclear_system where crew_name = %(bench_crew)s"
    "   order by created_at desc, id desc limit 1) as c)"
    " order by a.name",
    "select a.action, a.record_id, a.created_at, p.email, a.old_values, a.new_values"
    " from public.audit_logs a left join public.profiles p on p.id = a.user_id"
    " where a.table_name = 'crew_nuclear_system'"
    f" and a.record_id = any(array(select runs.id::text from ({CREW_RUNS}) as runs))"
    " order by a.created_at desc, a.id desc limit 10",
)
CHART_NOTE = "not a list page: the chart's own goal (p95 < {} ms), no p50 goal"

ROWS = [
    Row(
        "audit-first",
        "audit: first page",
        "/audit/",
        "/django-admin/console/auditlog/",
        f"select {AUDIT_COLUMNS} from public.audit_logs a"
        f" order by a.created_at desc, a.id desc limit {PER_PAGE}",
        "/audit/",
        KEYSET,
        goal_speedup=SCANS,
    ),
    Row(
        "audit-deep",
        f"audit: page {DEEP_PAGE:,}",
        "/audit/?before={cursor}",
        "/django-admin/console/auditlog/?p={deep_page}",
        f"select {AUDIT_COLUMNS} from public.audit_logs a"
        " where (a.created_at, a.id) < (%(created_at)s, %(id)s)"
        f" order by a.created_at desc, a.id desc limit {PER_PAGE}",
        "/audit/",
        KEYSET,
        goal_speedup=SCANS,
        note="with fewer pages (a small scale): the last full page",
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
        KEYSET,
        goal_speedup=SCANS,
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
        KEYSET,
        goal_speedup=SCANS,
    ),
    Row(
        "knowledge-common",
        "knowledge: search a common word",
        "/knowledge/?q={common}",
        "/django-admin/knowledge/entry/?q={common}",
        ranked_search_floor("common"),
        "/knowledge/",
        INDEXED,
        goal_speedup=SCANS,
        floor_as_owner=True,
        note=RANKED_NOTE,
    ),
    Row(
        "knowledge-rare",
        "knowledge: search a rare word",
        "/knowledge/?q={rare}",
        "/django-admin/knowledge/entry/?q={rare}",
        ranked_search_floor("rare"),
        "/knowledge/",
        INDEXED,
        goal_speedup=SCANS,
        floor_as_owner=True,
        note="floor: the ranked matches, in the console's order (see the common word); the"
        " word is in 60 entries at every scale (console.demo.RARE_MATCHES): the same full"
        " page over more data",
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
        KEYSET,
    ),
    Row(
        "users-first",
        "users: first page",
        "/users/",
        "/django-admin/users/profile/",
        f"select {PROFILE_COLUMNS} from public.profiles p"
        f" order by p.created_at desc, p.id desc limit {PER_PAGE}",
        "/users/",
        KEYSET,
    ),
    Row(
        "users-search",
        "users: search by email",
        "/users/?q={email_prefix}",
        "/django-admin/users/profile/?q={email_prefix}",
        # What the console runs (console/users/filters.py, SEARCH_TEXT): a fragment of three
        # or more characters anywhere in the email or the name, the trigram index's
        # expression, on the view the list reads (private.user_list: it runs as its
        # owner, so the index serves LIKE, which RLS on profiles would not let it).
        f"select {PROFILE_COLUMNS} from private.user_list p"
        " where lower(coalesce(email, '') || ' ' || coalesce(display_name, ''))"
        " like %(email_prefix_like)s"
        f" order by p.created_at desc, p.id desc limit {PER_PAGE}",
        "/users/",
        INDEXED,
        goal_speedup=SCANS,
        note="both search anywhere in email and name; the console and its floor through the"
        " trigram index, on the view private.user_list as the user",
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
        GROWS,
        growth_note="the demo's few agents: the scale does not add any",
    ),
    Row(
        "crews-overview",
        "crews: overview (one line per crew)",
        "/crews/",
        "/django-admin/agents/crew/?o=1",
        "select last_run_id, crew_name, runs, median_seconds, p95_seconds, failed_24h"
        " from private.crew_overview()",
        "/crews/",
        INDEXED,
        note="the admin has no per-crew summary: its changelist of runs is the nearest page",
    ),
    Row(
        "crews-runs-deep",
        f"crews: runs page {DEEP_PAGE:,}",
        "/crews/runs/?before={run_cursor}",
        "/django-admin/agents/crew/?p={run_deep_page}",
        f"select {RUN_COLUMNS} from public.crew_nuclear_system c"
        " where (c.created_at, c.id) < (%(run_created_at)s, %(run_id)s)"
        f" order by c.created_at desc, c.id desc limit {PER_PAGE}",
        "/crews/",
        KEYSET,
        goal_speedup=SCANS,
        note="with fewer pages (a small scale): the last full page",
    ),
    Row(
        "crews-crew-page",
        "crews: a crew's page",
        f"/crews/name/{quote(BENCH_CREW)}/",
        f"/django-admin/agents/crew/?crew_name={quote(BENCH_CREW)}",
        CREW_PAGE_FLOOR,
        "/crews/",
        KEYSET,
        note="the crew page links each run twice (chart, table), oldest first in the chart;"
        " floor: the page's four reads (its runs, its line of the overview, the agents its"
        " newest run names, the newest changes to its runs), each as raw SQL",
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
        KEYSET,
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
        INDEXED,
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
        GROWS,
        goal_p50_ms=None,
        goal_p95_ms=100,
        note=CHART_NOTE.format(100) + "; floor: the same buckets from the raw rows; the console"
        " reads its closed buckets from private.performance_rollup (rows are buckets: no ids"
        " to compare)",
        growth_note="a chart aggregates its range: the rollup holds a row per system and bucket",
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
        GROWS,
        goal_p50_ms=None,
        goal_p95_ms=50,
        note=CHART_NOTE.format(50) + "; rows are buckets, not records: no ids to compare; the"
        " admin lists the raw rows",
        growth_note="a chart aggregates the day's samples of the system, more at a larger scale",
    ),
    Row(
        "performance-explorer-system",
        "performance: explorer, one system, 24 hours",
        "/performance/?metric=latency_ms&range=24h&system_id={system_id}",
        "/django-admin/performance/performancelog/?system_id={system_id}&timestamp__gte={day_ago}",
        "("
        + PERF_BUCKETS.format(
            bucket="5 minutes", span="24 hours", condition="l.system_id = %(system_id)s"
        )
        + ") union all "
        + PERF_TOP_SYSTEMS,
        "/performance/samples/",
        GROWS,
        goal_p50_ms=25,
        goal_p95_ms=50,
        note="not a list page: the explorer's own goals (p50 < 25 ms, p95 < 50 ms); the page"
        " adds the top systems of the range (all systems) to the chart; floor: the chart's"
        " buckets and the top systems, both from the raw rows (the console reads the day's"
        " closed part of the top systems from a summary made once per 10 minutes)",
        growth_note="a chart aggregates the day's samples, and ranks the range's systems",
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
        KEYSET,
        goal_speedup=SCANS,
        note="the admin counts every sample of the type (5 M rows at scale 1)",
    ),
]


def _deep(cursor, table: str) -> tuple[int, object, object]:
    """The page DEEP_PAGE pages in (the last full page, if the table has fewer, as at a small
    scale: a page of as many rows, for the growth table) and the cursor that opens it: the
    last row of the page before."""
    cursor.execute(f"select count(*) from public.{table}")
    full_pages = cursor.fetchone()[0] // PER_PAGE
    page = max(2, min(DEEP_PAGE, full_pages))
    cursor.execute(
        f"select created_at, id from public.{table} order by created_at desc, id desc"
        " offset %s limit 1",
        [(page - 1) * PER_PAGE - 1],
    )
    created_at, row_id = cursor.fetchone()
    return page, created_at, row_id


def _cursor_text(created_at, row_id) -> str:
    return quote(f"{created_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')},{row_id}", safe="")


# The users-search row's fragment: "user12" (in the emails of user12, user120…, user1200…),
# so the matches grow with the scale. bench/run.py's load run searches for it too.
EMAIL_FRAGMENT_SQL = (
    "select split_part(email, '-', 1) from public.profiles where email like %s"
    " order by email limit 1"
)
EMAIL_FRAGMENT_LIKE = "user12%@bench.example.com"


def prepare(cursor) -> dict:
    """Values the rows need, from the data itself (run as the database owner)."""
    from console.demo import RARE_WORDS
    from knowledge.search import HEADLINE_FRAGMENTS, HEADLINE_WHOLE

    deep_page, created_at, row_id = _deep(cursor, "audit_logs")
    run_deep_page, run_created_at, run_id = _deep(cursor, "crew_nuclear_system")
    cursor.execute(
        "select a.user_id, p.email, a.action from public.audit_logs a"
        " join public.profiles p on p.id = a.user_id"
        " where a.user_agent = 'bench-agent/1.0' order by a.created_at desc limit 1"
    )
    user_id, email, action = cursor.fetchone()
    cursor.execute("select (max(created_at) - interval '7 days')::date from public.audit_logs")
    day = cursor.fetchone()[0]
    cursor.execute(EMAIL_FRAGMENT_SQL, [EMAIL_FRAGMENT_LIKE])
    prefix = cursor.fetchone()[0]
    cursor.execute("select now()")
    now = cursor.fetchone()[0]
    return {
        "deep_page": deep_page,
        "created_at": created_at,
        "id": row_id,
        "cursor": _cursor_text(created_at, row_id),
        "user_id": user_id,
        "email": quote(email, safe=""),
        "action": action,
        "day": day.isoformat(),
        "next_day": (day.fromordinal(day.toordinal() + 1)).isoformat(),
        "common": "agent",
        "rare": RARE_WORDS[0],
        "headline_whole": HEADLINE_WHOLE,
        "headline_fragments": HEADLINE_FRAGMENTS,
        "email_prefix": prefix,
        "email_prefix_like": f"%{prefix}%",
        "run_deep_page": run_deep_page,
        "run_created_at": run_created_at,
        "run_id": run_id,
        "run_cursor": _cursor_text(run_created_at, run_id),
        "bench_crew": BENCH_CREW,
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
