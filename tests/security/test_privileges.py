"""Least privilege for the API roles: what anon, authenticated and service_role hold
is exactly the reviewed list below, and the dangerous privileges are refused in practice."""

import pytest
from django.db import connection

from console.rls import as_user
from tests.factories import db_user

pytestmark = pytest.mark.django_db

API_ROLES = ("anon", "authenticated", "service_role")
DATA_TABLES = (
    "ai_agents",
    "crew_nuclear_system",
    "deployment_packages",
    "knowledge_base_entries",
    "profiles",
    "system_performance_logs",
)
CRUD = ("DELETE", "INSERT", "SELECT", "UPDATE")

# Reviewed: (role, object, privilege). RLS decides which rows; nothing else is held.
REVIEWED_TABLE_PRIVILEGES = {
    *((role, f"public.{t}", p) for role in ("authenticated", "service_role") for t in DATA_TABLES for p in CRUD),
    ("authenticated", "public.audit_logs", "SELECT"),
    ("service_role", "public.audit_logs", "SELECT"),
    ("authenticated", "private.user_list", "SELECT"),
    ("service_role", "private.user_list", "SELECT"),
    ("authenticated", "private.user_auth_state", "SELECT"),
    ("service_role", "private.user_auth_state", "SELECT"),
    # Retention policies: everyone with a role reads them, admins change them (RLS).
    *((role, "public.retention_policies", p) for role in ("authenticated", "service_role") for p in ("SELECT", "UPDATE")),
}  # fmt: skip

REVIEWED_FUNCTIONS = {
    # public: the six functions of the seed
    "public.is_admin()",
    "public.is_common_password(password text)",
    "public.validate_password_strength(password text)",
    "public.log_audit_event(p_action text, p_table_name text, p_record_id text, "
    "p_old_values jsonb, p_new_values jsonb)",
    "public.promote_user_to_admin(user_email text)",
    # the console's own connection role and the service role (not anon, not authenticated)
    "public.system_insert_audit_log(p_user_id uuid, p_action text, p_table_name text, "
    "p_record_id text, p_old_values jsonb, p_new_values jsonb, p_ip_address inet, "
    "p_user_agent text)",
    # private: only what the console calls as the user, and what policies and views call
    "private.app_role()",
    "private.record_history(p_table text, p_record_id text, p_before_created timestamp with "
    "time zone, p_before_id uuid, p_limit integer)",
    "private.authorize_user_admin(p_action text, p_target uuid)",
    "private.kb_entry_ids(p_text text, p_head text, p_prefix text, p_tags text[], p_all_tags "
    "boolean)",
    "private.kb_search_pool(p_text text, p_head text, p_prefix text, p_filters jsonb, "
    "p_title_pool integer, p_pool integer, p_exact_below integer)",
    "private.kb_search_rest(p_text text, p_head text, p_prefix text, p_filters jsonb, "
    "p_skip uuid[], p_offset integer, p_limit integer)",
    "private.kb_search_ranked(p_text text, p_head text, p_prefix text, p_filters jsonb, "
    "p_title_pool integer, p_pool integer, p_exact_below integer)",
    "private.audit_actor_ids(p_email text)",
    "private.audit_actor_suggestions(p_prefix text, p_limit integer)",
    "private.claim_confirmation(p_token text)",
    # Agents and crews: a run's duration (sorting runs) and the crews overview (its rollup).
    "private.run_duration(data jsonb)",
    "private.crew_overview()",
    "private.crew_summaries(p_crew_name text)",
    "private.crew_filter_values()",
    # Deployments: the version rule and sort key, the environment of a row, the lock that
    # keeps one deployed version per name and environment, the lifecycle's allowed steps.
    "private.is_semver(p_version text)",
    "private.semver_number_key(p_digits text)",
    "private.semver_key(p_version text)",
    "private.deployment_environment(p_data jsonb)",
    "private.lock_deployment_slot(p_name text, p_environment text)",
    "private.deployment_transition_allowed(p_from text, p_to text, p_was_deployed boolean)",
    # Performance: the explorer's metric and system lists, the 30-day series from the rollup,
    # the top systems (from their summary);
    # retention: who may run it, its dry run and its batches (each checks the caller itself).
    "private.performance_metrics(p_system_type text)",
    "private.performance_system_choices(p_system_type text, p_prefix text, p_limit integer)",
    "private.performance_type_series(p_metric text, p_bucket_seconds integer, p_start timestamp"
    " with time zone, p_end timestamp with time zone, p_system_type text)",
    "private.performance_top_systems(p_metric text, p_start timestamp with time zone, p_end"
    " timestamp with time zone, p_system_type text, p_limit integer)",
    "private.retention_caller_allowed()",
    "private.retention_granted()",
    "private.retention_preview(p_table text, p_keep_days integer)",
    "private.apply_retention_batch(p_table text, p_batch integer)",
    # Knowledge: the tags and category words of the stored search vector (a generated column).
    "private.kb_extra_words(p_tags text[], p_category text)",
    # The system page's statistics (admins and auditors, checked inside; query text for admins).
    "private.can_read_system()",
    "private.require_system_reader()",
    "private.system_overview()",
    "private.system_activity(p_limit integer)",
    "private.system_tables()",
    "private.system_indexes()",
    "private.system_statements(p_limit integer)",
    "private.system_migrations()",
    # Multi-factor: the aal2 rule of policies and checks, the console's "has a factor" question
    # about the caller, an admin's end of a user's sessions (checked inside).
    "private.mfa_satisfied()",
    "private.own_verified_factors()",
    "private.end_user_sessions(p_user uuid)",
}


def _table_privileges() -> set[tuple[str, str, str]]:
    """Every privilege an API role holds on a table or view of public and private, from the
    catalog's ACLs (aclexplode), PUBLIC included as if held by each role."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select coalesce(r.rolname, 'PUBLIC'), n.nspname || '.' || c.relname,
                   a.privilege_type
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            cross join lateral aclexplode(c.relacl) a
            left join pg_roles r on r.oid = a.grantee
            where n.nspname in ('public', 'private') and c.relkind in ('r', 'v', 'm', 'p', 'S')
              and (a.grantee = 0 or r.rolname = any(%s))
            """,
            [list(API_ROLES)],
        )
        rows = cursor.fetchall()
    held = set()
    for grantee, name, privilege in rows:
        for role in API_ROLES if grantee == "PUBLIC" else (grantee,):
            held.add((role, name, privilege))
    return held


def test_the_api_roles_hold_exactly_the_reviewed_table_privileges():
    assert _table_privileges() == REVIEWED_TABLE_PRIVILEGES


def test_no_api_role_holds_truncate_trigger_references_or_maintain():
    with connection.cursor() as cursor:
        cursor.execute("select current_setting('server_version_num')::int >= 170000")
        privileges = ["TRUNCATE", "TRIGGER", "REFERENCES"]
        if cursor.fetchone()[0]:
            privileges.append("MAINTAIN")  # from PostgreSQL 17
        for role in API_ROLES:
            for table in (*DATA_TABLES, "audit_logs"):
                for privilege in privileges:
                    cursor.execute(
                        "select has_table_privilege(%s, %s, %s)",
                        [role, f"public.{table}", privilege],
                    )
                    assert cursor.fetchone() == (False,), (role, table, privilege)


def test_functions_executable_by_the_api_roles_are_the_reviewed_ones():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select distinct n.nspname || '.' || p.proname || '('
                   || pg_get_function_identity_arguments(p.oid) || ')'
            from pg_proc p
            join pg_namespace n on n.oid = p.pronamespace
            cross join unnest(%s::text[]) role
            where n.nspname in ('public', 'private')
              and has_function_privilege(role, p.oid, 'EXECUTE')
            """,
            [list(API_ROLES)],
        )
        executable = {row[0] for row in cursor.fetchall()}
    assert executable == REVIEWED_FUNCTIONS
    with connection.cursor() as cursor:
        cursor.execute(
            "select has_function_privilege('anon', p.oid, 'EXECUTE') from pg_proc p"
            " join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'private'"
        )
        assert not any(row[0] for row in cursor.fetchall())


def test_system_insert_audit_log_is_the_consoles_and_the_service_roles_only():
    signature = "public.system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text)"
    with connection.cursor() as cursor:
        for role, allowed in (("anon", False), ("authenticated", False), ("service_role", True)):
            cursor.execute("select has_function_privilege(%s, %s, 'EXECUTE')", [role, signature])
            assert cursor.fetchone() == (allowed,), role


def test_a_new_table_does_not_bring_the_dangerous_privileges_back():
    with connection.cursor() as cursor:
        cursor.execute("create table public.security_probe (id int)")
        cursor.execute(
            "select privilege_type from information_schema.role_table_grants"
            " where table_schema = 'public' and table_name = 'security_probe'"
            " and grantee in ('anon', 'authenticated', 'service_role')"
        )
        granted = {row[0] for row in cursor.fetchall()}
    assert granted <= {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert not granted & {"TRUNCATE", "TRIGGER", "REFERENCES", "MAINTAIN"}


def _refused(statement: str) -> bool:
    """True when the statement fails with permission denied (42501)."""
    with connection.cursor() as cursor:
        cursor.execute("savepoint probe")
        try:
            cursor.execute(statement)
        except Exception as exc:
            cursor.execute("rollback to savepoint probe")
            return getattr(exc.__cause__, "sqlstate", None) == "42501"
        cursor.execute("release savepoint probe")
        return False


@pytest.mark.parametrize("role", ["admin", "editor", "auditor", "viewer"])
def test_truncate_create_trigger_and_lock_are_refused_for_every_role(role):
    """As each role, through the database: no TRUNCATE (an empty table without audit rows), no
    trigger (one on audit_logs could drop every audit row), no lock that stops the trail.

    (LOCK ... ACCESS EXCLUSIVE on a data table needs only UPDATE, which RLS-limited writers
    hold; such a lock lasts no longer than the statement and lock timeouts of a signed-in
    transaction, and PostgREST cannot send LOCK at all.)"""
    user = db_user(role)
    with as_user(user.claims):
        for table in (*DATA_TABLES, "audit_logs"):
            assert _refused(f"truncate public.{table}"), (role, table)
            assert _refused(
                f"create trigger probe before insert on public.{table}"
                " for each row execute function private.touch_updated_at()"
            ), (role, table)
        for mode in ("share", "share row exclusive", "exclusive", "access exclusive"):
            assert _refused(f"lock table public.audit_logs in {mode} mode"), (role, mode)
        assert _refused("select private.refuse_audit_change()")
        assert _refused("select private.handle_new_user()")
