"""Demo accounts and realistic rows for the seven tables (`manage.py seed_demo`), and fast
volume for benchmarks (`seed_demo --scale`)."""

import json
import os
import random
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

DEFAULT_DEMO_PASSWORD = "BillyGoat-Demo-2026"

DEMO_ACCOUNTS = [
    ("admin@example.com", "admin", "Ada Admin"),
    ("editor@example.com", "editor", "Eddie Editor"),
    ("auditor@example.com", "auditor", "Audrey Auditor"),
    ("viewer@example.com", "viewer", "Vic Viewer"),
]

AGENTS = [
    ("Ingest Pipeline", "data_processor", "active"),
    ("Market Analyzer", "analyzer", "active"),
    ("Risk Assessor", "analyzer", "paused"),
    ("Report Writer", "writer", "active"),
    ("Knowledge Curator", "curator", "active"),
    ("Deployment Orchestrator", "orchestrator", "error"),
]
# Crews: (name, type, indexes into AGENTS of its agents, hours between runs, typical duration
# in seconds, share of failed runs). Runs cover the last 30 days.
CREWS = [
    ("Nightly Research", "research", (0, 1, 3), 24, 540, 0.05),
    ("Incident Response", "response", (1, 2, 5), 3, 95, 0.12),
    ("Quarterly Review", "reporting", (1, 2, 3), 72, 1500, 0.0),
    ("Model Evaluation", "evaluation", (0, 1, 4), 6, 300, 0.2),
    ("Knowledge Refresh", "curation", (0, 4), 12, 180, 0.08),
]
RUN_DAYS = 30
KB_TOPICS = [
    ("Agent onboarding checklist", "operations", ["agents", "onboarding"]),
    ("How crews hand work between agents", "architecture", ["crews", "orchestration"]),
    ("Rotating the service-role key", "security", ["supabase", "keys", "security"]),
    ("Reading the audit trail", "compliance", ["audit", "compliance"]),
    ("Retention policy for performance logs", "operations", ["retention", "metrics"]),
    ("Row Level Security in the console", "security", ["rls", "postgres", "security"]),
    ("Rolling back a deployment package", "deployments", ["deployments", "rollback"]),
    ("Prompt style guide", "content", ["prompts", "style"]),
    ("Escalation paths for failed crews", "operations", ["crews", "incidents"]),
    ("Glossary of agent statuses", "reference", ["agents", "reference"]),
    ("Configuring the ingest pipeline", "architecture", ["ingest", "agents"]),
    ("Benchmarks and capacity planning", "performance", ["performance", "capacity"]),
]
# Deployment packages: each name's history, oldest step first, as (version, status, days
# ago, reason). Each version starts as a draft at its first step; the last step of each
# version is its status now. crew-runtime has a rollback.
RELEASES = [
    (
        "analyzer-core",
        "agent",
        "",
        [
            ("1.3.0", "draft", 120, None),
            ("1.3.0", "staging", 118, "unit and load tests green"),
            ("1.3.0", "deployed", 115, None),
            ("1.4.0", "draft", 90, None),
            ("1.4.0", "staging", 88, None),
            ("1.4.0", "deployed", 85, "quarterly release"),
            ("1.3.0", "retired", 85, "replaced by 1.4.0"),
            ("1.4.1", "draft", 70, None),
            ("1.4.1", "staging", 69, None),
            ("1.4.1", "deployed", 68, "hotfix: tokenizer crash on empty input"),
            ("1.4.0", "retired", 68, "replaced by 1.4.1"),
            ("1.4.2", "draft", 40, None),
            ("1.4.2", "staging", 38, None),
            ("1.4.2", "deployed", 35, None),
            ("1.4.1", "retired", 35, "replaced by 1.4.2"),
            ("1.5.0", "draft", 12, None),
            ("1.5.0", "staging", 6, "ready for the canary"),
            ("1.6.0-beta.1", "draft", 2, None),
        ],
    ),
    (
        "crew-runtime",
        "crew",
        "",
        [
            ("2.0.0", "draft", 100, None),
            ("2.0.0", "staging", 97, None),
            ("2.0.0", "deployed", 95, None),
            ("2.0.1", "draft", 60, None),
            ("2.0.1", "staging", 59, None),
            ("2.0.1", "deployed", 58, "patch: retry budget per step"),
            ("2.0.0", "retired", 58, "replaced by 2.0.1"),
            ("2.1.0", "draft", 20, None),
            ("2.1.0", "staging", 15, None),
            ("2.1.0", "deployed", 10, "new scheduler"),
            ("2.0.1", "retired", 10, "replaced by 2.1.0"),
            ("2.1.0", "retired", 9, "rolled back to 2.0.1: 2.1.0 doubles queue latency"),
            ("2.0.1", "deployed", 9, "rollback: 2.1.0 doubles queue latency"),
            ("2.1.1-rc.1", "draft", 3, None),
        ],
    ),
    (
        "platform",
        "system",
        "production",
        [
            ("2026.10.0", "draft", 60, None),
            ("2026.10.0", "staging", 55, None),
            ("2026.10.0", "deployed", 50, "October platform release"),
            ("2026.11.0", "draft", 30, None),
            ("2026.11.0", "staging", 25, None),
            ("2026.11.0", "deployed", 21, "November platform release"),
            ("2026.10.0", "retired", 21, "replaced by 2026.11.0"),
        ],
    ),
    (
        "platform",
        "system",
        "staging",
        [
            ("2026.12.0-rc.1", "draft", 5, None),
            ("2026.12.0-rc.1", "staging", 4, None),
            ("2026.12.0-rc.1", "deployed", 3, "release candidate on the staging cluster"),
        ],
    ),
    (
        "security-patch",
        "update",
        "",
        [
            ("0.9.2", "draft", 45, None),
            ("0.9.2", "staging", 45, None),
            ("0.9.2", "deployed", 44, "CVE fix, expedited"),
            ("0.9.3", "draft", 8, None),
            ("0.9.3", "staging", 8, None),
            ("0.9.3", "deployed", 7, "dependency bump"),
            ("0.9.2", "retired", 7, "replaced by 0.9.3"),
        ],
    ),
]

WORDS = [
    "agent",
    "crew",
    "pipeline",
    "deploy",
    "rollback",
    "metrics",
    "latency",
    "throughput",
    "audit",
    "policy",
    "security",
    "postgres",
    "supabase",
    "index",
    "query",
    "cache",
    "prompt",
    "model",
    "evaluation",
    "risk",
    "market",
    "report",
    "curator",
    "ingest",
    "schedule",
    "retry",
    "timeout",
    "incident",
    "escalation",
    "retention",
    "compliance",
    "schema",
    "migration",
    "token",
    "session",
    "refresh",
    "role",
    "admin",
    "editor",
    "auditor",
    "viewer",
    "knowledge",
    "search",
    "ranking",
    "snippet",
    "vector",
    "embedding",
    "partition",
    "replica",
    "backup",
    "restore",
    "monitor",
    "alert",
    "dashboard",
    "capacity",
]
RARE_WORDS = ["zygomorphic", "quokka", "heliotrope", "vexillology", "ossuary"]
RARE_MATCHES = 60  # knowledge entries with RARE_WORDS[0] in the volume seed: a page and more


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)


def ensure_demo_accounts(admin_client) -> dict[str, str]:
    """Create the four demo accounts through Supabase Auth (skipping existing ones) and give
    each its role. Returns email → user id."""
    ids = {}
    for email, role, name in DEMO_ACCOUNTS:
        with connection.cursor() as cursor:
            cursor.execute("select id from auth.users where lower(email) = %s", [email])
            row = cursor.fetchone()
        if row:
            ids[email] = str(row[0])
            continue
        user = admin_client.auth.admin.create_user(
            {
                "email": email,
                "password": demo_password(),
                "email_confirm": True,
                "user_metadata": {"display_name": name},
            }
        ).user
        ids[email] = str(user.id)
        with connection.cursor() as cursor:
            cursor.execute(
                "update public.profiles set role = %s, display_name = %s where id = %s",
                [role, name, ids[email]],
            )
    return ids


def _table_is_empty(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"select not exists (select 1 from public.{table})")  # noqa: S608
        return cursor.fetchone()[0]


def _audit(cursor, user_id, action, table, record_id, new_values, when, old_values=None):
    # Seeded history goes in directly (with its own timestamps); live rows only ever arrive
    # through the audit functions.
    cursor.execute(
        "insert into public.audit_logs (user_id, action, table_name, record_id, old_values,"
        " new_values, ip_address, user_agent, created_at)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            user_id,
            action,
            table,
            record_id,
            None if old_values is None else json.dumps(old_values),
            json.dumps(new_values),
            "127.0.0.1",
            "seed_demo",
            when,
        ],
    )


@contextmanager
def samples_unaudited(cursor):
    """Synthetic telemetry gets no audit row per sample where writes are audited by trigger:
    the trigger is off for the block, inside one transaction (local seeds only)."""
    cursor.execute(
        "select exists (select 1 from pg_trigger where tgname = 'audit_row_change'"
        " and tgrelid = 'public.system_performance_logs'::regclass)"
    )
    audited = cursor.fetchone()[0]
    with transaction.atomic():
        if audited:
            cursor.execute(
                "alter table public.system_performance_logs disable trigger audit_row_change"
            )
        yield
        if audited:
            cursor.execute(
                "alter table public.system_performance_logs enable trigger audit_row_change"
            )


@transaction.atomic
def seed_rows(admin_id: str, editor_id: str) -> bool:
    """Realistic rows in every table, once: a second run changes nothing."""
    if not _table_is_empty("ai_agents"):
        return False
    rng = random.Random(42)  # the same demo every time
    now = timezone.now()
    with connection.cursor() as cursor:
        agent_ids = []
        for i, (name, kind, status) in enumerate(AGENTS):
            config = {
                "model": "gpt-large",
                "temperature": round(0.2 + i * 0.1, 1),
                "max_retries": 3,
            }
            metrics = {
                "tasks_completed": rng.randint(200, 5000),
                "success_rate": round(rng.uniform(0.9, 0.999), 3),
                "avg_latency_ms": rng.randint(80, 900),
            }
            cursor.execute(
                "insert into public.ai_agents (name, type, status, is_active, configuration,"
                " performance_metrics, last_activity, created_at, updated_at)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s) returning id",
                [
                    name,
                    kind,
                    status,
                    status != "paused",
                    json.dumps(config),
                    json.dumps(metrics),
                    now - timedelta(minutes=rng.randint(1, 600)),
                    now - timedelta(days=90 - i),
                    now - timedelta(days=i),
                ],
            )
            agent_ids.append(str(cursor.fetchone()[0]))
            _audit(
                cursor,
                admin_id,
                "CREATE",
                "ai_agents",
                agent_ids[-1],
                {"name": name},
                now - timedelta(days=90 - i),
            )
        _seed_crew_runs(cursor, rng, now, agent_ids)
        for i, (title, category, tags) in enumerate(KB_TOPICS):
            body = (
                f"# {title}\n\n"
                + " ".join(rng.choice(WORDS) for _ in range(80))
                + "\n\n- Step one: check the dashboard.\n- Step two: read the audit trail.\n"
            )
            cursor.execute(
                "insert into public.knowledge_base_entries (title, content, category, tags,"
                " metadata, is_active, created_by, created_at, updated_at)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s) returning id",
                [
                    title,
                    body,
                    category,
                    tags,
                    json.dumps({"source": "handbook", "version": 1}),
                    i % 5 != 4,
                    editor_id,
                    now - timedelta(days=60 - i),
                    now - timedelta(days=30 - i),
                ],
            )
            _audit(
                cursor,
                editor_id,
                "CREATE",
                "knowledge_base_entries",
                str(cursor.fetchone()[0]),
                {"title": title},
                now - timedelta(days=60 - i),
            )
        _seed_releases(cursor, admin_id, now)
        with samples_unaudited(cursor):
            cursor.execute(
                'insert into public.system_performance_logs (system_id, system_type, metrics, "timestamp")'
                " select a.id::text, 'agent', jsonb_build_object("
                "  'cpu', round((random() * 90)::numeric, 1), 'memory_mb', (200 + random() * 1800)::int,"
                "  'latency_ms', (50 + random() * 900)::int, 'throughput', (random() * 120)::int),"
                " now() - make_interval(mins => m * 10)"
                " from unnest(%s::uuid[]) as a(id), generate_series(0, 7 * 24 * 6) as m",
                [agent_ids],
            )
            # The other kinds of system the explorer charts: crews, network links, APIs.
            cursor.execute(
                'insert into public.system_performance_logs (system_id, system_type, metrics, "timestamp")'
                " select c.id::text, 'crew', jsonb_build_object('latency_ms', (200 + random() * 2000)::int,"
                "  'cpu', round((random() * 60)::numeric, 1)), now() - make_interval(mins => m * 30)"
                " from (select id from public.crew_nuclear_system order by crew_name, id limit 6) c,"
                " generate_series(0, 7 * 24 * 2) as m"
            )
            cursor.execute(
                'insert into public.system_performance_logs (system_id, system_type, metrics, "timestamp")'
                " select s.id, s.kind, jsonb_build_object('latency_ms', (5 + random() * 120)::int,"
                "  'throughput', (random() * 5000)::int), now() - make_interval(mins => m * 15)"
                " from (values ('edge-eu-west', 'network'), ('edge-us-east', 'network'),"
                "  ('public-api', 'api'), ('admin-api', 'api')) as s(id, kind),"
                " generate_series(0, 7 * 24 * 4) as m"
            )
    return True


def _seed_crew_runs(cursor, rng, now, agent_ids) -> None:
    """Each crew's runs over the last RUN_DAYS days: complete or failed, with a duration that
    varies around the crew's typical one; the newest run of some crews is still running or
    pending. Crew samples (system_id = the run's id) are recorded during the latest runs."""
    for name, kind, members, every_hours, typical, failure_share in CREWS:
        config = {
            "agents": [agent_ids[i] for i in members],
            "schedule": f"every {every_hours} h",
            "steps": [AGENTS[i][0] for i in members],
            "retry": {"max_attempts": 2, "backoff_seconds": 30},
        }
        runs = RUN_DAYS * 24 // every_hours
        for n in range(runs):
            started = now - timedelta(hours=n * every_hours + rng.uniform(0, every_hours / 2))
            status = "failed" if rng.random() < failure_share else "complete"
            if n == 0 and kind in ("response", "evaluation"):
                status = "running" if kind == "response" else "pending"
            duration = max(5, round(rng.lognormvariate(0, 0.35) * typical))
            data = (
                {"duration": duration, "steps_done": len(members), "tokens": duration * 40}
                if status in ("complete", "failed")
                else {}
            )
            if status == "failed":
                data["error"] = rng.choice(["timeout", "agent error", "rate limited"])
                data["steps_done"] = rng.randint(0, len(members) - 1)
            cursor.execute(
                "insert into public.crew_nuclear_system (crew_name, crew_type, status, is_active,"
                " configuration, performance_data, last_execution, created_at, updated_at)"
                " values (%s, %s, %s, true, %s, %s, %s, %s, %s) returning id",
                [
                    name,
                    kind,
                    status,
                    json.dumps(config),
                    json.dumps(data),
                    None if status == "pending" else started,
                    started,
                    started + timedelta(seconds=duration),
                ],
            )
            run_id = str(cursor.fetchone()[0])
            if n < 3 and status != "pending":
                cursor.execute(
                    "insert into public.system_performance_logs (system_id, system_type, metrics,"
                    " \"timestamp\") select %s, 'crew', jsonb_build_object("
                    "  'cpu', round((random() * 90)::numeric, 1), 'latency_ms', (50 + random() * 900)::int,"
                    "  'agents_busy', %s), %s::timestamptz + make_interval(secs => s)"
                    " from generate_series(0, %s, greatest(%s / 6, 1)) s",
                    [run_id, len(members), started, duration, duration],
                )


def seed_run_volume(cursor, runs: int) -> None:
    """`runs` crew runs for benchmarks: 20 crews, one run every 3 seconds back in time, 1 in 12
    failed, durations between 30 s and about 20 minutes. One statement, so the overview's
    rollup trigger runs once."""
    cursor.execute(
        "insert into public.crew_nuclear_system (crew_name, crew_type, status, is_active,"
        " configuration, performance_data, last_execution, created_at, updated_at)"
        " select 'Bench Crew ' || (g %% 20),"
        "  (array['research','response','reporting','evaluation'])[1 + g %% 4],"
        "  case when g %% 12 = 0 then 'failed' else 'complete' end, true,"
        "  jsonb_build_object('agents',"
        "   jsonb_build_array('agent-' || (g %% 6), 'agent-' || ((g + 1) %% 6))),"
        "  jsonb_build_object('duration', 30 + (g::bigint * 7919) %% 1170),"
        "  now() - make_interval(secs => g * 3), now() - make_interval(secs => g * 3),"
        "  now() - make_interval(secs => g * 3)"
        " from generate_series(1, %s) g",
        [runs],
    )


def _seed_releases(cursor, admin_id, now) -> None:
    """The RELEASES histories: each version's row as it is now, and its audit rows (CREATE,
    then one UPDATE per status change, with the reason) at their past times, as the console
    would have written them. The table's triggers are off meanwhile: the lifecycle's would date
    every step now and refuses rows that do not start as drafts, and an audit trigger would
    add a row dated now for each insert."""
    cursor.execute("alter table public.deployment_packages disable trigger user")
    for name, kind, environment, steps in RELEASES:
        versions = {}
        for index, (version, status, days_ago, reason) in enumerate(steps):
            # Steps of one day keep their order (a retirement and its replacement's deploy).
            when = now - timedelta(days=days_ago, hours=8) + timedelta(minutes=index)
            row = versions.setdefault(version, {"steps": [], "created_at": when})
            row["steps"].append((status, when, reason))
        for n, (version, row) in enumerate(versions.items()):
            status, last, reason = row["steps"][-1]
            deployed = [when for s, when, _r in row["steps"] if s == "deployed"]
            data = {"regions": ["eu-west-1", "us-east-1"][: 1 + n % 2], "nodes": 2 + n % 3}
            if environment:
                data["environment"] = environment
            config = {"replicas": 2 + n % 3, "image": f"registry.example.com/{name}:{version}"}
            if n % 2:
                config["limits"] = {"cpu": f"{1 + n % 2}", "memory": f"{512 * (1 + n % 3)}Mi"}
            cursor.execute(
                "insert into public.deployment_packages (name, package_type, version, status,"
                " configuration, deployment_data, created_by, created_at, deployed_at,"
                " updated_at, status_reason, was_deployed)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning id",
                [
                    name,
                    kind,
                    version,
                    status,
                    json.dumps(config),
                    json.dumps(data),
                    admin_id,
                    row["created_at"],
                    deployed[-1] if deployed else None,
                    last,
                    reason,
                    bool(deployed),
                ],
            )
            package_id = str(cursor.fetchone()[0])
            created = {"name": name, "version": version, "status": "draft", "package_type": kind}
            _audit(
                cursor,
                admin_id,
                "CREATE",
                "deployment_packages",
                package_id,
                created,
                row["created_at"],
            )
            # As the audited write records them: the columns that changed, before and after.
            before = ("draft", None)
            for status, when, reason in row["steps"][1:]:
                old, new = {"status": before[0]}, {"status": status}
                if reason != before[1]:
                    old["status_reason"], new["status_reason"] = before[1], reason
                _audit(
                    cursor, admin_id, "UPDATE", "deployment_packages", package_id, new, when, old
                )
                before = (status, reason)
    cursor.execute("alter table public.deployment_packages enable trigger user")


def seed_volume(scale: float, password_hash: str) -> dict[str, int]:
    """Bulk rows for benchmarks with generate_series: scale 1 = 100,000 users, 100,000
    knowledge entries, 5,000,000 performance logs (90 days), 1,000,000 audit rows, 1,000,000
    crew runs and 24,000 deployment packages (2,000 names of 12 versions, with their
    lifecycle's audit rows)."""
    sizes = {
        "users": int(100_000 * scale),
        "deployment_names": max(1, int(2_000 * scale)),
        "knowledge": int(100_000 * scale),
        "performance": int(5_000_000 * scale),
        "audit": int(1_000_000 * scale),
        "runs": int(1_000_000 * scale),
    }
    words = list(WORDS)  # the rare word only where the insert below adds it
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into auth.users (instance_id, id, aud, role, email, encrypted_password,"
            " email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)"
            " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',"
            " 'authenticated', 'user' || g || '-' || substr(md5(random()::text), 1, 6) || '@bench.example.com',"
            ' %s, now(), \'{"provider":"email","providers":["email"]}\','
            " jsonb_build_object('display_name', 'Bench User ' || g),"
            " now() - make_interval(secs => g), now()"
            " from generate_series(1, %s) g",
            [password_hash, sizes["users"]],
        )
        cursor.execute(
            "update public.profiles set role = (array['viewer','editor','auditor','viewer'])[1 + (abs(hashtext(id::text)) % 4)],"
            " display_name = coalesce(display_name, split_part(email, '@', 1))"
            " where email like '%@bench.example.com'"
        )
        # Content: 60 random words per row (`+ 0 * x` keeps string_agg in the inner query,
        # so every row gets its own text); RARE_MATCHES rows, spread evenly, carry a rare
        # word: as many at every scale, so that the benchmark's rare-word search shows the
        # same page over more data.
        cursor.execute(
            "insert into public.knowledge_base_entries (title, content, category, tags, metadata,"
            " is_active, created_at, updated_at)"
            " select initcap(w[1 + (g %% n)] || ' ' || w[1 + ((g / 7) %% n)] || ' ' || w[1 + ((g / 49) %% n)]),"
            "  (select string_agg(w[1 + floor(random() * n)::int + 0 * x], ' ') from generate_series(1, 60) x where g > 0)"
            "   || case when g %% s.step = 0 and g / s.step <= %s then ' ' || %s else '' end,"
            "  (array['operations','architecture','security','compliance','reference','content'])[1 + g %% 6],"
            "  array[w[1 + (g %% n)], w[1 + ((g / 3) %% n)]],"
            "  jsonb_build_object('source', 'bench', 'n', g), g %% 10 <> 0,"
            "  now() - make_interval(mins => g), now() - make_interval(secs => g)"
            " from generate_series(1, %s) g, (select %s::text[] as w, %s::int as n) v,"
            " (select %s::int as step) s",
            [
                RARE_MATCHES,
                RARE_WORDS[0],
                sizes["knowledge"],
                words,
                len(words),
                max(1, sizes["knowledge"] // RARE_MATCHES),
            ],
        )
        # 200 systems (each of one type) reporting four metrics, spread evenly over 90 days
        # (5,000,000 samples at scale 1: one every 1.6 s); latency has a daily swell.
        with samples_unaudited(cursor):
            cursor.execute(
                'insert into public.system_performance_logs (system_id, system_type, metrics, "timestamp")'
                " select 'system-' || (g %% 200), (array['agent','crew','network','api'])[1 + (g %% 200) %% 4],"
                "  jsonb_build_object('cpu', round((random() * 90)::numeric, 1),"
                "   'memory_mb', 200 + (g %% 1800),"
                "   'latency_ms', round((40 + random() * 400 + 200 * (1 + sin(g / 50000.0)))::numeric, 1),"
                "   'throughput', (g %% 120)),"
                "  now() - make_interval(secs => g * (90 * 86400.0 / %s))"
                " from generate_series(1, %s) g",
                [sizes["performance"], sizes["performance"]],
            )
        cursor.execute(
            "insert into public.audit_logs (user_id, action, table_name, record_id, old_values,"
            " new_values, ip_address, user_agent, created_at)"
            " select u.ids[1 + g %% array_length(u.ids, 1)],"
            "  (array['CREATE','UPDATE','DELETE','LOGIN','LOGIN_FAILED','EXPORT'])[1 + g %% 6],"
            "  (array['knowledge_base_entries','ai_agents','profiles','deployment_packages'])[1 + g %% 4],"
            "  md5(g::text), jsonb_build_object('n', g - 1), jsonb_build_object('n', g),"
            "  ('10.' || (g %% 256) || '.' || ((g / 256) %% 256) || '.' || (g %% 7))::inet,"
            "  'bench-agent/1.0', now() - make_interval(secs => g * 3)"
            " from generate_series(1, %s) g,"
            " (select array(select id from public.profiles order by created_at limit 1000) as ids) u",
            [sizes["audit"]],
        )
        seed_run_volume(cursor, sizes["runs"])
        bench_releases(cursor, sizes["deployment_names"])
        cursor.execute(
            "analyze public.profiles, public.knowledge_base_entries, public.system_performance_logs,"
            " public.audit_logs, public.crew_nuclear_system, public.deployment_packages"
        )
    return sizes


BENCH_VERSIONS = 12  # 1.0.0 … 1.9.0 retired, 1.10.0 deployed, 1.11.0 a draft


def bench_releases(cursor, names: int) -> None:
    """`names` packages bench-pkg-<n>, each with BENCH_VERSIONS versions, and the audit rows
    of their lifecycle (created, deployed, retired) for the timeline."""
    cursor.execute("alter table public.deployment_packages disable trigger user")
    cursor.execute(
        "insert into public.deployment_packages (name, package_type, version, status,"
        " configuration, deployment_data, created_at, deployed_at, updated_at, was_deployed)"
        " select 'bench-pkg-' || n, (array['agent','crew','system','update'])[1 + n %% 4],"
        "  '1.' || v || '.0',"
        "  case when v < %(last)s - 1 then 'retired' when v = %(last)s - 1 then 'deployed'"
        "   else 'draft' end,"
        "  jsonb_build_object('replicas', 1 + v %% 4), jsonb_build_object('nodes', 1 + n %% 5),"
        "  now() - make_interval(days => 2 * (%(last)s - v), secs => n),"
        "  case when v < %(last)s then now() - make_interval(days => 2 * (%(last)s - v) - 1)"
        "   end,"
        # updated_at: a retired version's replacement was deployed then; a draft's creation.
        "  case when v < %(last)s - 1 then now() - make_interval(days => 2 * (%(last)s - v) - 3)"
        "   when v = %(last)s - 1 then now() - interval '1 day'"
        "   else now() - make_interval(secs => n) end,"
        "  v < %(last)s"
        " from generate_series(1, %(names)s) n, generate_series(0, %(last)s) v",
        {"names": names, "last": BENCH_VERSIONS - 1},
    )
    cursor.execute(
        "insert into public.audit_logs (action, table_name, record_id, old_values, new_values,"
        " user_agent, created_at)"
        " select s.action, 'deployment_packages', p.id::text, null, s.new_values,"
        "  'bench-deployments', s.at"
        " from public.deployment_packages p"
        " cross join lateral (values"
        "  ('CREATE', jsonb_build_object('name', p.name, 'version', p.version,"
        "   'status', 'draft'), p.created_at),"
        "  ('UPDATE', jsonb_build_object('status', 'deployed'), p.deployed_at),"
        "  ('UPDATE', jsonb_build_object('status', 'retired', 'status_reason', 'replaced'),"
        "   case when p.status = 'retired' then p.updated_at end)"
        " ) as s(action, new_values, at)"
        " where p.name like 'bench-pkg-%%' and s.at is not null"
    )
    cursor.execute("alter table public.deployment_packages enable trigger user")
