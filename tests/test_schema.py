"""The schema in supabase/migrations matches the seed: tables, columns, functions, indexes."""

import pytest
from django.core.management import call_command
from django.db import connection

from console.schema import migration_files

pytestmark = pytest.mark.django_db

# Seed Part 1.1: column → nullable
EXPECTED_COLUMNS = {
    "profiles": {
        "id": False,
        "email": False,
        "display_name": True,
        "role": True,
        "created_at": False,
        "updated_at": False,
    },
    "ai_agents": {
        "id": False,
        "name": False,
        "type": False,
        "status": True,
        "is_active": True,
        "configuration": True,
        "performance_metrics": True,
        "last_activity": True,
        "created_at": True,
        "updated_at": True,
    },
    "crew_nuclear_system": {
        "id": False,
        "crew_name": False,
        "crew_type": False,
        "status": True,
        "is_active": True,
        "configuration": True,
        "performance_data": True,
        "last_execution": True,
        "created_at": True,
        "updated_at": True,
    },
    "knowledge_base_entries": {
        "id": False,
        "title": False,
        "content": False,
        "category": True,
        "tags": True,
        "metadata": True,
        "is_active": True,
        "created_by": True,
        "created_at": True,
        "updated_at": True,
        # generated, for full-text search (20261122020000_knowledge_search.sql)
        "search_vector": True,
    },
    "deployment_packages": {
        "id": False,
        "name": False,
        "package_type": False,
        "version": False,
        "status": True,
        "configuration": True,
        "deployment_data": True,
        "created_by": True,
        "created_at": True,
        "deployed_at": True,
        # the lifecycle (20261127010000_deployment_lifecycle.sql)
        "updated_at": True,
        "status_reason": True,
        "was_deployed": False,
    },
    "audit_logs": {
        "id": False,
        "user_id": True,
        "action": False,
        "table_name": True,
        "record_id": True,
        "old_values": True,
        "new_values": True,
        "ip_address": True,
        "user_agent": True,
        "created_at": False,
        "actor_email": True,  # the actor's email when the row was written
    },
    "system_performance_logs": {
        "id": False,
        "system_id": True,
        "system_type": False,
        "metrics": False,
        "timestamp": True,
        "created_by": True,
    },
}


def _columns(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "select column_name, is_nullable = 'YES', data_type, column_default"
            " from information_schema.columns where table_schema = 'public' and table_name = %s",
            [table],
        )
        return {name: (nullable, dtype, default) for name, nullable, dtype, default in cursor}


@pytest.mark.parametrize("table", sorted(EXPECTED_COLUMNS))
def test_table_has_the_seed_columns_and_nullability(table):
    columns = _columns(table)
    assert {name: nullable for name, (nullable, _t, _d) in columns.items()} == EXPECTED_COLUMNS[
        table
    ]
    assert columns["id"][1] == "uuid"
    if table != "profiles":
        assert "gen_random_uuid()" in columns["id"][2]


def test_types_follow_supabase_practice():
    assert _columns("knowledge_base_entries")["tags"][1] == "ARRAY"
    assert _columns("audit_logs")["ip_address"][1] == "inet"
    assert _columns("ai_agents")["configuration"][1] == "jsonb"
    nullable, dtype, default = _columns("audit_logs")["created_at"]
    assert dtype == "timestamp with time zone" and "now()" in default


def test_profiles_reference_auth_users_on_delete_cascade():
    with connection.cursor() as cursor:
        cursor.execute(
            "select confdeltype, confrelid::regclass::text from pg_constraint"
            " where conrelid = 'public.profiles'::regclass and contype = 'f'"
        )
        assert cursor.fetchall() == [("c", "auth.users")]


def test_a_new_auth_user_gets_a_profile_with_no_role():
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into auth.users (instance_id, id, aud, role, email, raw_user_meta_data)"
            " values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',"
            " 'authenticated', 'new-user@test.example.com', '{\"display_name\": \"New\"}')"
            " returning id"
        )
        user_id = cursor.fetchone()[0]
        cursor.execute(
            "select email, display_name, role from public.profiles where id = %s", [user_id]
        )
        assert cursor.fetchone() == ("new-user@test.example.com", "New", None)


def test_the_six_functions_have_the_seed_signatures():
    with connection.cursor() as cursor:
        cursor.execute(
            "select p.proname, pg_get_function_identity_arguments(p.oid), p.prorettype::regtype::text,"
            " p.prosecdef from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
            " where n.nspname = 'public' order by 1"
        )
        functions = {name: (args, returns, definer) for name, args, returns, definer in cursor}
    assert functions == {
        "is_admin": ("", "boolean", True),
        "is_common_password": ("password text", "boolean", True),
        "log_audit_event": (
            "p_action text, p_table_name text, p_record_id text, p_old_values jsonb, p_new_values jsonb",
            "void",
            True,
        ),
        "promote_user_to_admin": ("user_email text", "void", True),
        "system_insert_audit_log": (
            "p_user_id uuid, p_action text, p_table_name text, p_record_id text, "
            "p_old_values jsonb, p_new_values jsonb, p_ip_address inet, p_user_agent text",
            "void",
            True,
        ),
        "validate_password_strength": ("password text", "boolean", True),
    }


@pytest.mark.parametrize(
    ("password", "strong", "common"),
    [
        ("Correct-Horse-42-battery", True, False),
        ("short1A", False, False),
        ("alllowercase123456", False, False),
        ("ALLUPPERCASE123456", False, False),
        ("NoDigitsInThisOne", False, False),
        ("password", False, True),
        ("Password1234", False, True),  # meets the shape, but is on Django's list
    ],
)
def test_password_rule(password, strong, common):
    with connection.cursor() as cursor:
        cursor.execute(
            "select validate_password_strength(%s), is_common_password(%s)", [password, password]
        )
        assert cursor.fetchone() == (strong, common)


def test_common_password_list_is_djangos():
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from private.common_passwords")
        assert cursor.fetchone()[0] > 19_000


def test_the_seed_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("select indexname from pg_indexes where schemaname = 'public'")
        names = {row[0] for row in cursor}
    assert {
        "idx_audit_logs_user_id_created",
        "idx_audit_logs_table_record",
        "idx_kb_entries_category_active",
        "idx_kb_entries_tags",
        "idx_perf_logs_system_timestamp",
        "idx_ai_agents_status_active",
        "idx_crew_crew_name_active",
    } <= names


def test_rls_is_on_for_all_seven_tables():
    with connection.cursor() as cursor:
        cursor.execute(
            "select relname from pg_class where relnamespace = 'public'::regnamespace"
            " and relkind = 'r' and relrowsecurity"
        )
        assert {row[0] for row in cursor} >= set(EXPECTED_COLUMNS)


def test_migration_files_follow_the_supabase_cli_naming():
    for path in migration_files():
        timestamp, _, name = path.stem.partition("_")
        assert len(timestamp) == 14 and timestamp.isdigit() and name


def test_django_tables_live_in_the_console_schema():
    with connection.cursor() as cursor:
        cursor.execute(
            "select table_schema from information_schema.tables where table_name = 'django_session'"
        )
        assert [row[0] for row in cursor] == ["console"]


def test_db_migrate_is_idempotent_and_records_what_it_applied(capsys):
    call_command("db_migrate", "--local")
    out = capsys.readouterr().out
    assert f"0 applied, {len(migration_files())} already there" in out
    with connection.cursor() as cursor:
        cursor.execute("select version from supabase_migrations.schema_migrations order by 1")
        assert [row[0] for row in cursor] == [p.stem.partition("_")[0] for p in migration_files()]


def test_the_local_bootstrap_run_again_keeps_the_hardened_default_privileges():
    """`db_migrate --local` runs the bootstrap on every start: a table made after it still
    brings none of the privileges the migrations took from a new project's defaults."""
    call_command("db_migrate", "--local")
    with connection.cursor() as cursor:
        cursor.execute("create table public.bootstrap_probe (id int)")
        cursor.execute(
            "select distinct privilege_type from information_schema.role_table_grants"
            " where table_schema = 'public' and table_name = 'bootstrap_probe'"
            " and grantee in ('anon', 'authenticated', 'service_role')"
        )
        granted = {row[0] for row in cursor.fetchall()}
        cursor.execute("drop table public.bootstrap_probe")
    assert not granted & {"TRUNCATE", "TRIGGER", "REFERENCES", "MAINTAIN"}
