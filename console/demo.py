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
CREWS = [
    ("Nightly Research", "research", "complete"),
    ("Incident Response", "response", "running"),
    ("Quarterly Review", "reporting", "pending"),
    ("Model Evaluation", "evaluation", "failed"),
]
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
PACKAGES = [
    ("analyzer-core", "agent", "1.4.2", "deployed"),
    ("analyzer-core", "agent", "1.5.0", "staging"),
    ("crew-runtime", "crew", "2.0.1", "deployed"),
    ("crew-runtime", "crew", "2.1.0-rc1", "draft"),
    ("platform", "system", "2026.11", "deployed"),
    ("platform", "system", "2026.10", "retired"),
    ("security-patch", "update", "0.9.3", "deployed"),
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


def _audit(cursor, user_id, action, table, record_id, new_values, when):
    # Seeded history goes in directly (with its own timestamps); live rows only ever arrive
    # through the audit functions.
    cursor.execute(
        "insert into public.audit_logs (user_id, action, table_name, record_id, new_values,"
        " ip_address, user_agent, created_at) values (%s, %s, %s, %s, %s, %s, %s, %s)",
        [user_id, action, table, record_id, json.dumps(new_values), "127.0.0.1", "seed_demo", when],
    )


@contextmanager
def samples_unaudited(cursor):
    """Synthetic telemetry gets no audit row per sample where writes are audited by trigger
    (issue 9): the trigger is off for the block, inside one transaction (local seeds only)."""
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
        for name, kind, status in CREWS:
            cursor.execute(
                "insert into public.crew_nuclear_system (crew_name, crew_type, status, is_active,"
                " configuration, performance_data, last_execution)"
                " values (%s, %s, %s, %s, %s, %s, %s)",
                [
                    name,
                    kind,
                    status,
                    status != "failed",
                    json.dumps({"agents": rng.sample(agent_ids, 3), "schedule": "0 2 * * *"}),
                    json.dumps({"duration": rng.randint(30, 900), "steps": rng.randint(3, 12)}),
                    now - timedelta(hours=rng.randint(1, 72)),
                ],
            )
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
        for name, kind, version, status in PACKAGES:
            cursor.execute(
                "insert into public.deployment_packages (name, package_type, version, status,"
                " configuration, deployment_data, created_by, deployed_at)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    name,
                    kind,
                    version,
                    status,
                    json.dumps({"replicas": rng.randint(1, 4)}),
                    json.dumps({"regions": ["eu-west-1", "us-east-1"][: rng.randint(1, 2)]}),
                    admin_id,
                    now - timedelta(days=rng.randint(1, 40)) if status == "deployed" else None,
                ],
            )
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


def seed_volume(scale: float, password_hash: str) -> dict[str, int]:
    """Bulk rows for benchmarks with generate_series: scale 1 = 100,000 users, 100,000
    knowledge entries, 5,000,000 performance logs (90 days) and 1,000,000 audit rows."""
    sizes = {
        "users": int(100_000 * scale),
        "knowledge": int(100_000 * scale),
        "performance": int(5_000_000 * scale),
        "audit": int(1_000_000 * scale),
    }
    words = WORDS + RARE_WORDS[:1]
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
        # so every row gets its own text); one row in 1,000 carries a rare word.
        cursor.execute(
            "insert into public.knowledge_base_entries (title, content, category, tags, metadata,"
            " is_active, created_at, updated_at)"
            " select initcap(w[1 + (g %% n)] || ' ' || w[1 + ((g / 7) %% n)] || ' ' || w[1 + ((g / 49) %% n)]),"
            "  (select string_agg(w[1 + floor(random() * n)::int + 0 * x], ' ') from generate_series(1, 60) x where g > 0)"
            "   || case when g %% 1000 = 0 then ' ' || %s else '' end,"
            "  (array['operations','architecture','security','compliance','reference','content'])[1 + g %% 6],"
            "  array[w[1 + (g %% n)], w[1 + ((g / 3) %% n)]],"
            "  jsonb_build_object('source', 'bench', 'n', g), g %% 10 <> 0,"
            "  now() - make_interval(mins => g), now() - make_interval(secs => g)"
            " from generate_series(1, %s) g, (select %s::text[] as w, %s::int as n) v",
            [RARE_WORDS[0], sizes["knowledge"], words, len(words)],
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
        cursor.execute(
            "analyze public.profiles, public.knowledge_base_entries, public.system_performance_logs,"
            " public.audit_logs"
        )
    return sizes
