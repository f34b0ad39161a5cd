"""The audit trail keeps what happened, whatever a signed-in user does through the database:
retention deletes only by the saved policy and records itself, a write made inside a trigger
is audited, the context settings are believed only from the console's own sessions, and a
function the migrating role creates is nobody else's to execute."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from console.rls import as_user
from performance.models import RetentionPolicy
from tests.console_connection import console_connection
from tests.factories import db_user

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)


class RolledBack(Exception):
    pass


def sqlstate_of(statement, params=()) -> str | None:
    """The SQLSTATE the statement fails with (None when it succeeds), in a savepoint."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except DatabaseError as exc:
        return getattr(exc.__cause__, "sqlstate", "?")
    return None


def count(sql, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def old_audit_rows(table: str, rows: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.audit_logs (action, table_name, record_id, created_at)"
            " select 'UPDATE', %s, g::text, %s - make_interval(days => g)"
            " from generate_series(1, %s) g",
            [table, LONG_AGO, rows],
        )


def set_policy(keep_days: int, enabled: bool) -> None:
    RetentionPolicy.objects.filter(pk="audit_logs").update(keep_days=keep_days, enabled=enabled)


# --- retention -------------------------------------------------------------------------------


def test_no_caller_chosen_cutoff_deletes_the_audit_trail():
    """An admin asked for every row older than -1 days: the caller's days are no longer an
    argument at all."""
    admin = db_user("admin")
    table = f"trail-{uuid.uuid4().hex[:8]}"
    old_audit_rows(table, 5)
    with as_user(admin.claims):
        state = sqlstate_of("select private.apply_retention_batch('audit_logs', -1, 50000)")
    assert state == "42883"  # no such function: the days come from the saved policy
    assert count("select count(*) from public.audit_logs where table_name = %s", [table]) == 5


def test_retention_refuses_a_disabled_policy_and_deletes_nothing():
    admin = db_user("admin")
    table = f"trail-{uuid.uuid4().hex[:8]}"
    old_audit_rows(table, 3)
    set_policy(365, False)  # the default: off until compliance decides
    with as_user(admin.claims):
        assert sqlstate_of("select private.apply_retention_batch('audit_logs', 50000)") == "BGR01"
    assert count("select count(*) from public.audit_logs where table_name = %s", [table]) == 3


def test_retention_deletes_by_the_saved_days_and_records_itself_in_the_same_transaction():
    admin = db_user("admin")
    table = f"trail-{uuid.uuid4().hex[:8]}"
    old_audit_rows(table, 4)  # 2000-12-31 back to 2000-12-28
    with connection.cursor() as cursor:
        cursor.execute("select (now()::date - date '2000-12-29')")
        keep_days = cursor.fetchone()[0]  # keeps the two newest of them
    set_policy(keep_days, True)
    # Rolled back, the RETENTION row goes with the deletion: one transaction.
    with pytest.raises(RolledBack), transaction.atomic():
        with as_user(admin.claims), connection.cursor() as cursor:
            cursor.execute("select private.apply_retention_batch('audit_logs', 50000)")
            deleted = cursor.fetchone()[0]
            cursor.execute(
                "select user_id::text, new_values from public.audit_logs"
                " where action = 'RETENTION' and table_name = 'audit_logs'"
                " order by created_at desc limit 1"
            )
            actor, counts = cursor.fetchone()
        raise RolledBack
    counts = json.loads(counts) if isinstance(counts, str) else counts
    assert deleted >= 2 and actor == admin.id
    assert counts["deleted"] == deleted and counts["keep_days"] == keep_days
    assert count("select count(*) from public.audit_logs where table_name = %s", [table]) == 4
    with as_user(admin.claims), connection.cursor() as cursor:
        cursor.execute("select private.apply_retention_batch('audit_logs', 50000)")
    assert count("select count(*) from public.audit_logs where table_name = %s", [table]) == 2


# --- writes made inside a trigger ------------------------------------------------------------


def test_a_profile_write_from_a_temporary_trigger_is_audited():
    """An admin's temporary table with a trigger in pg_temp that promotes a viewer: the
    write happens at trigger depth 2 and is audited like any other."""
    admin, viewer = db_user("admin"), db_user("viewer")
    with as_user(admin.claims), connection.cursor() as cursor:
        cursor.execute("create temporary table probe (x int) on commit drop")
        cursor.execute(
            "create function pg_temp.promote() returns trigger language plpgsql as $$"
            f" begin update public.profiles set role = 'admin' where id = '{viewer.id}';"
            " return null; end $$"
        )
        cursor.execute(
            "create trigger promote after insert on pg_temp.probe"
            " for each row execute function pg_temp.promote()"
        )
        cursor.execute("insert into pg_temp.probe values (1)")
    with connection.cursor() as cursor:
        cursor.execute(
            "select user_id::text, new_values ->> 'role' from public.audit_logs"
            " where table_name = 'profiles' and record_id = %s and action = 'UPDATE'"
            " and new_values ->> 'role' = 'admin'",
            [viewer.id],
        )
        assert cursor.fetchall() == [(admin.id, "admin")]


def test_only_the_consoles_auth_triggers_may_leave_a_profile_write_unaudited():
    """A new auth user's profile is audited where it starts (Supabase Auth, the console's
    INVITE or CREATE): no row of its own. The mark that allows it is nobody else's to set."""
    user = db_user(None)
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.profiles (id, email) values (%s, %s)", [user.id, user.email]
        )
    assert (
        count(
            "select count(*) from public.audit_logs where table_name = 'profiles'"
            " and record_id = %s and action = 'CREATE'",
            [user.id],
        )
        == 1
    )  # made by hand, not by the trigger on auth.users: audited
    fresh = db_user("viewer")
    assert (
        count(
            "select count(*) from public.audit_logs where table_name = 'profiles'"
            " and record_id = %s and action = 'CREATE'",
            [fresh.id],
        )
        == 0
    )
    admin = db_user("admin")
    with as_user(admin.claims):
        assert (
            sqlstate_of(
                "insert into private.audit_quiet_profile_writes values (txid_current(), %s)",
                [fresh.id],
            )
            == "42501"
        )


# --- the context the console hands over ------------------------------------------------------

FORGED = (
    "select set_config('billygoat.action', 'RETENTION', true),"
    " set_config('billygoat.client_ip', '203.0.113.66', true),"
    " set_config('billygoat.user_agent', 'forged/1.0', true)"
)


def agent_rows(agent_id) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "select action, user_id::text, host(ip_address), user_agent from public.audit_logs"
            " where table_name = 'ai_agents' and record_id = %s order by created_at, id",
            [str(agent_id)],
        )
        return cursor.fetchall()


def test_a_session_other_than_the_consoles_cannot_label_or_place_its_writes():
    admin = db_user("admin")
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.ai_agents (name, type) values ('Probe', 'x') returning id"
        )
        agent_id = cursor.fetchone()[0]
    with as_user(admin.claims), connection.cursor() as cursor:
        cursor.execute(FORGED)
        cursor.execute("update public.ai_agents set status = 'paused' where id = %s", [agent_id])
    assert agent_rows(agent_id)[-1] == ("UPDATE", admin.id, None, None)


@pytest.mark.django_db(transaction=True)
def test_the_consoles_session_hands_over_ip_and_agent_but_never_the_retention_label():
    admin = db_user("admin")
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.ai_agents (name, type) values ('Probe', 'x') returning id"
        )
        agent_id = cursor.fetchone()[0]
    with console_connection(), as_user(admin.claims), connection.cursor() as cursor:
        cursor.execute("select session_user")
        assert cursor.fetchone()[0] == "billygoat_console"
        cursor.execute(FORGED)
        cursor.execute("update public.ai_agents set status = 'paused' where id = %s", [agent_id])
        cursor.execute("select set_config('billygoat.action', 'PAUSE', true)")
        cursor.execute("update public.ai_agents set status = 'error' where id = %s", [agent_id])
    assert agent_rows(agent_id)[-2:] == [
        ("UPDATE", admin.id, "203.0.113.66", "forged/1.0"),
        ("PAUSE", admin.id, "203.0.113.66", "forged/1.0"),
    ]


# --- default privileges ----------------------------------------------------------------------


@pytest.mark.parametrize("schema", ["private", "public"])
def test_a_function_the_owner_creates_is_not_executable_by_public(schema):
    """The migrating role's default privileges: no EXECUTE for PUBLIC (so none for anon,
    authenticated or the console's role) on a new function; `public` keeps Supabase's own
    grants to the API roles, `private` has none."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"create function {schema}.probe_default() returns int language sql as 'select 1'"
        )
        cursor.execute(
            "select r, has_function_privilege(r, %s, 'execute')"
            " from unnest(array['anon', 'authenticated', 'billygoat_console']) r",
            [f"{schema}.probe_default()"],
        )
        executable = dict(cursor.fetchall())
    if schema == "private":
        assert executable == {"anon": False, "authenticated": False, "billygoat_console": False}
    else:
        assert executable["billygoat_console"] is False
