"""`db_migrate --check` on a hosted-like legacy project reports each difference and changes
nothing; `db_migrate` adopts it; a second run changes nothing."""

import pytest

from tests.adoption.conftest import check, migrate

pytestmark = pytest.mark.django_db

BOB = "10000000-0000-0000-0000-00000000000b"


def _catalog_snapshot(hosted):
    with hosted.connect(owner=False) as conn:
        return (
            conn.execute(
                "select tablename, policyname, qual from pg_policies where schemaname = 'public'"
                " order by 1, 2"
            ).fetchall(),
            conn.execute(
                "select table_name, column_name, data_type, column_default from information_schema.columns"
                " where table_schema = 'public' order by 1, 2"
            ).fetchall(),
            conn.execute("select id, role from public.profiles order by id").fetchall(),
            conn.execute(
                "select p.oid::regprocedure::text, p.prosrc from pg_proc p"
                " where p.pronamespace in ('public'::regnamespace) order by 1"
            ).fetchall(),
            conn.execute(
                "select count(*) from pg_namespace where nspname = 'supabase_migrations'"
            ).fetchone(),
        )


def test_check_reports_each_difference_and_changes_nothing(hosted_db):
    before = _catalog_snapshot(hosted_db)
    report = check(hosted_db)
    assert _catalog_snapshot(hosted_db) == before
    assert not report.blocked
    changes = "\n".join(report.changes)
    for expected in [
        "drops policy 'Enable read access for all users' on ai_agents (permissive select to public: using (true))",
        "drops policy 'Public profiles are viewable by everyone.' on profiles",
        "drops policy 'Admins can do everything' on knowledge_base_entries",
        "replaces check constraint profiles_role_check: adds editor, auditor",
        "creates 3 missing profiles, with no role: erin@legacy.example, frank@legacy.example, grace@legacy.example",
        "replaces is_admin(): keeps admins recognised by app_metadata (makes bob@legacy.example admin)",
        "replaces default of profiles.role: 'user'::text → none",
        "replaces default of ai_agents.is_active: false → true",
        "converts ai_agents.configuration from json to jsonb",
        "adds column ai_agents.performance_metrics (jsonb)",
        "converts crew_nuclear_system.created_at from timestamp without time zone to timestamp with time zone",
        "drops foreign key audit_logs_user_id_fkey (FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE SET NULL)",
        "drops and recreates log_audit_event(): returns uuid, the console's void",
        "replaces trigger on_auth_user_created on auth.users: runs private.handle_new_user() instead of public.handle_new_user()",
        "2 profiles with the legacy role 'user' get no console access",
        "creates supabase_migrations.schema_migrations, the Supabase CLI's migration history",
    ]:
        assert expected in changes, expected
    assert "table system_performance_logs: columns, types and defaults" in report.ok
    text = report.render()
    assert (
        text.index("Already as the console expects")
        < text.index("Applying will change")
        < text.index("Blocks (0)")
    )


def test_db_migrate_adopts_the_legacy_project_and_a_second_run_changes_nothing(hosted_db):
    first = migrate(hosted_db)
    assert first.applied and not first.already_applied
    with hosted_db.connect(owner=False) as conn:
        legacy = conn.execute(
            "select count(*) from pg_policies where schemaname = 'public' and policyname ~ '[A-Z ]'"
        ).fetchone()[0]
        assert legacy == 0
        roles = dict(
            conn.execute(
                "select u.email, p.role from auth.users u join public.profiles p on p.id = u.id"
            ).fetchall()
        )
        # Alice (profile) and Bob (app_metadata only) stay admins; the back-filled have no role.
        assert roles["alice@legacy.example"] == "admin"
        assert roles["bob@legacy.example"] == "admin"
        assert roles["carol@legacy.example"] == "user"
        assert roles["erin@legacy.example"] is None
        assert len(roles) == 7
        # An editor can now be made: the old check would have refused it.
        conn.execute(
            "update public.profiles set role = 'editor' where email = 'dave@legacy.example'"
        )
        # One history, the Supabase CLI's.
        versions = conn.execute(
            "select version, name from supabase_migrations.schema_migrations order by 1"
        ).fetchall()
        assert [f"{v}_{n}" for v, n in versions] == first.applied
        assert conn.execute("select to_regclass('console.schema_migrations')").fetchone()[0] is None
        snapshot = _catalog_snapshot(hosted_db)

    second = migrate(hosted_db)
    assert second.applied == [] and len(second.already_applied) == len(first.applied)
    assert _catalog_snapshot(hosted_db) == snapshot

    report = check(hosted_db)
    assert report.changes == [] and report.blockers == []
    assert "Nothing to do." in report.render()


def test_check_on_a_fresh_console_database_finds_nothing_to_change():
    from django.db import connection

    from console.preflight import inspect

    report = inspect(connection)
    assert report.blockers == []
    assert report.changes == []
