"""Overloads of the audit functions a legacy project may hold beside the seed's: the check
lists each with what adoption does to it, and afterwards none the console does not define is
executable by anon or authenticated (a security-definer one would forge audit rows)."""

import json

import psycopg
import pytest

from tests.adoption.conftest import check, migrate

pytestmark = pytest.mark.django_db

ALICE = "10000000-0000-0000-0000-00000000000a"
CAROL = "10000000-0000-0000-0000-00000000000c"

# Made by the project's developer role: its default privileges give the API roles EXECUTE.
LEGACY_OVERLOADS = """
create function public.log_audit_event(p_action text) returns uuid
language sql security definer set search_path = public as $$
  insert into public.audit_logs (user_id, action) values (auth.uid(), p_action) returning id
$$;
create function public.system_insert_audit_log(p_user_id uuid, p_action text, p_details jsonb)
returns void language sql security definer set search_path = public as $$
  insert into public.audit_logs (user_id, action, new_values) values (p_user_id, p_action, p_details)
$$;
create function public.log_audit_event(p_action text, p_note text) returns void
language sql set search_path = public as $$ select $$;
"""
FORGER = "public.system_insert_audit_log(uuid, text, jsonb)"
QUIET = "public.log_audit_event(text, text)"


def _executable(hosted, signature):
    with hosted.connect(owner=False) as conn:
        return conn.execute(
            "select to_regprocedure(%s) is not null"
            " and has_function_privilege('anon', to_regprocedure(%s), 'execute'),"
            " to_regprocedure(%s) is not null"
            " and has_function_privilege('authenticated', to_regprocedure(%s), 'execute')",
            [signature] * 4,
        ).fetchone()


def _call_as_carol(hosted, sql, params):
    """As a signed-in end user would, through PostgREST: role authenticated, her claims."""
    with (
        psycopg.connect(hosted.url_as("billygoat_console"), autocommit=True) as conn,
        conn.transaction(force_rollback=True),
    ):
        conn.execute(
            "select set_config('role', 'authenticated', true),"
            " set_config('request.jwt.claims', %s, true)",
            [json.dumps({"sub": CAROL, "role": "authenticated"})],
        )
        conn.execute(sql, params)


def test_the_check_says_what_adoption_does_with_each_overload_and_then_it_does(hosted_db):
    with hosted_db.connect() as conn:
        conn.execute(LEGACY_OVERLOADS)
    assert _executable(hosted_db, FORGER) == (True, True)

    report = check(hosted_db)
    assert not report.blocked, report.blockers
    changes = "\n".join(report.changes)
    assert (
        "drops log_audit_event(p_action text), an overload returning uuid (the console's"
        " log_audit_event returns void)"
    ) in changes
    assert (
        "revokes system_insert_audit_log(p_user_id uuid, p_action text, p_details jsonb)"
        " (security definer, executable by anon and authenticated) from public, anon and"
        " authenticated: it runs with its owner's rights, so a client could forge audit rows"
        " through it; it stays, for its owner and service_role"
    ) in report.changes
    assert (
        "revokes log_audit_event(p_action text, p_note text) (security invoker, executable by"
        " anon and authenticated) from public, anon and authenticated; it stays, for its owner"
        " and service_role; calls with 2 arguments match it and the console's log_audit_event"
        ' alike (refused as "not unique"): drop it if nothing calls it (`drop function'
        " public.log_audit_event(p_action text, p_note text);`)"
    ) in report.changes
    assert not any("overload" in line for line in report.ok)

    migrate(hosted_db)
    with hosted_db.connect(owner=False) as conn:
        assert conn.execute(
            "select to_regprocedure('public.log_audit_event(text)')"
        ).fetchone() == (None,)
    assert _executable(hosted_db, FORGER) == (False, False)
    assert _executable(hosted_db, QUIET) == (False, False)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _call_as_carol(
            hosted_db,
            "select public.system_insert_audit_log(%s::uuid, 'PROMOTE', '{}'::jsonb)",
            [ALICE],
        )
    # Kept for the owner: nothing is lost.
    with hosted_db.connect() as conn:
        assert conn.execute("select to_regprocedure(%s) is not null", [FORGER]).fetchone()[0]

    after = check(hosted_db)
    assert after.changes == [] and after.blockers == []
    assert (
        "keeps system_insert_audit_log(p_user_id uuid, p_action text, p_details jsonb), an"
        " overload of the audit function the console does not define (security definer):"
        " executable by neither anon nor authenticated"
    ) in after.ok


def test_an_overload_granted_again_after_adoption_blocks_with_the_revoke(adopted_hosted):
    hosted = adopted_hosted
    with hosted.connect() as conn:
        conn.execute(
            "create function public.log_audit_event(p_note jsonb) returns void"
            " language sql as $$ select $$"
        )
    assert _executable(hosted, "public.log_audit_event(jsonb)") == (True, True)
    assert (
        "log_audit_event(p_note jsonb) (security invoker), an overload of the audit function the"
        " console does not define, is executable by anon and authenticated again: `revoke all on"
        " function public.log_audit_event(p_note jsonb) from public, anon, authenticated;`"
    ) in check(hosted).blockers


def test_an_overload_matching_the_console_s_own_call_blocks(hosted_db):
    # The console's eight arguments, and a ninth with a default: every call matches both.
    signature = (
        "p_user_id uuid, p_action text, p_table_name text, p_record_id text, p_old_values jsonb,"
        " p_new_values jsonb, p_ip_address inet, p_user_agent text, p_level integer"
    )
    with hosted_db.connect() as conn:
        conn.execute(
            f"create function public.system_insert_audit_log({signature} default 0)"
            " returns void language sql as $$ select $$"
        )
    assert (
        f"system_insert_audit_log({signature}), an overload of the audit function, matches every"
        " call of the console's system_insert_audit_log as well (PostgreSQL refuses them as"
        ' "not unique"): drop it if nothing calls it (`drop function'
        f" public.system_insert_audit_log({signature});`), or rename it"
    ) in check(hosted_db).blockers


def test_an_overload_of_supabase_admin_blocks_as_the_migration_could_not_revoke_it(hosted_db):
    with hosted_db.connect() as conn:
        conn.execute(LEGACY_OVERLOADS)
    with hosted_db.connect(owner=False) as conn:
        conn.execute(
            "do $$ begin if not exists (select 1 from pg_roles where rolname = 'supabase_admin')"
            " then create role supabase_admin nologin; end if; end $$"
        )
        conn.execute(f"alter function {FORGER} owner to supabase_admin")
    blockers = "\n".join(check(hosted_db).blockers)
    assert (
        "system_insert_audit_log(p_user_id uuid, p_action text, p_details jsonb) (security"
        " definer), executable by anon and authenticated, belongs to supabase_admin"
    ) in blockers
    # REVOKE by a non-owner only warns: the migration stops rather than leave it executable.
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="stays executable"):
        migrate(hosted_db)


@pytest.fixture
def adopted_hosted(hosted_db):
    migrate(hosted_db)
    return hosted_db
