"""Every write to the six data tables is audited by the database, whoever makes it:
the console, PostgREST with a user's token (simulated: a raw connection as `authenticated`
with the user's claims, as PostgREST does), or the SQL editor (the connection's own role).
And nobody can forge or poison audit rows."""

import json

import pytest
from django.db import connection

from agents.models import Agent
from console import audited
from console.audit_log import AuditLog
from console.rls import as_user
from knowledge.models import Entry
from tests.console_connection import console_connection
from tests.factories import db_user

pytestmark = pytest.mark.django_db


def rows_for(record_id, **filters):
    return list(AuditLog.objects.filter(record_id=str(record_id), **filters).order_by("created_at"))


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def refusal(statement, params=()) -> str | None:
    """The SQLSTATE the statement fails with (None when it succeeds), in a savepoint."""
    with connection.cursor() as cursor:
        cursor.execute("savepoint probe")
        try:
            cursor.execute(statement, params)
        except Exception as exc:
            cursor.execute("rollback to savepoint probe")
            return getattr(exc.__cause__, "sqlstate", "?")
        cursor.execute("release savepoint probe")
        return None


def test_an_editors_update_through_the_database_leaves_one_audit_row():
    entry = Entry.objects.create(title="Raw", content="Text")
    editor = db_user("editor")
    with as_user(editor.claims):
        sql(
            "update public.knowledge_base_entries set title = 'Raw, edited' where id = %s",
            [entry.pk],
        )
    [row] = rows_for(entry.pk, action="UPDATE")
    assert (str(row.user_id), row.table_name) == (editor.id, "knowledge_base_entries")
    assert row.old_values["title"] == "Raw" and row.new_values["title"] == "Raw, edited"
    assert "content" not in row.new_values  # only what changed


def test_a_viewer_renaming_their_own_profile_through_the_database_is_audited():
    viewer = db_user("viewer")
    with as_user(viewer.claims):
        sql("update public.profiles set display_name = 'Mallory' where id = %s", [viewer.id])
    [row] = rows_for(viewer.id, action="UPDATE", user_id=viewer.id)
    assert row.new_values["display_name"] == "Mallory" and row.table_name == "profiles"


def test_the_sql_editor_is_audited_as_system_and_bulk_statements_row_by_row():
    ids = [
        sql("insert into public.ai_agents (name, type) values (%s, 'x') returning id", [n])[0][0]
        for n in ("A", "B", "C")
    ]
    sql("update public.ai_agents set status = 'paused' where id = any(%s)", [ids])
    sql("delete from public.ai_agents where id = any(%s)", [ids])
    for agent_id in ids:
        actions = [(r.action, r.user_id) for r in rows_for(agent_id)]
        assert actions == [("CREATE", None), ("UPDATE", None), ("DELETE", None)]


def test_an_update_that_changes_nothing_writes_no_audit_row():
    agent = Agent.objects.create(name="Same", type="x", status="active")
    sql("update public.ai_agents set status = 'active' where id = %s", [agent.pk])
    assert rows_for(agent.pk, action="UPDATE") == []


@pytest.mark.django_db(transaction=True)
def test_the_console_writes_exactly_one_row_per_write_with_what_only_it_knows():
    admin = db_user("admin")
    actor = audited.Actor(admin.id, "198.51.100.7", "pytest-console/2")
    with console_connection(), as_user(admin.claims):
        agent = audited.create(actor, Agent, name="Once", type="x")
        audited.update(actor, agent, status="paused")
        audited.update(actor, agent, action="PAUSE", status="error")
        audited.delete(actor, agent)
    rows = rows_for(agent.pk)
    assert [r.action for r in rows] == ["CREATE", "UPDATE", "PAUSE", "DELETE"]
    assert {(str(r.user_id), r.ip_address, r.user_agent) for r in rows} == {
        (admin.id, "198.51.100.7", "pytest-console/2")
    }


def test_the_trail_stays_append_only():
    db_user("editor")  # its role change is an audit row
    assert refusal("update public.audit_logs set action = 'X'") == "42501"
    assert refusal("delete from public.audit_logs") == "42501"


# --- forged and poisoned rows -----------------------------------------------------------------


def test_a_signed_in_user_cannot_call_system_insert_audit_log():
    viewer, admin = db_user("viewer"), db_user("admin")
    with as_user(viewer.claims):
        assert refusal("select system_insert_audit_log(%s, 'LOGIN')", [admin.id]) == "42501"
        assert refusal("select system_insert_audit_log(%s, 'NOTE')", [viewer.id]) == "42501"
    no_sub = {k: v for k, v in viewer.claims.items() if k != "sub"}
    with as_user(no_sub):
        assert refusal("select system_insert_audit_log(null, 'LOGIN')") == "42501"


@pytest.mark.parametrize(
    "action", ["LOGIN", "login", "CREATE", "UPDATE", "DELETE", "EXPORT", "BAN", "LOGIN_FAILED"]
)
def test_log_audit_event_refuses_the_actions_of_the_database_and_the_console(action):
    viewer = db_user("viewer")
    with as_user(viewer.claims):
        assert refusal("select log_audit_event(%s, 'profiles', %s)", [action, viewer.id]) == "42501"
    assert not AuditLog.objects.filter(user_id=viewer.id).exists()


def test_log_audit_event_records_the_caller_only_and_bounds_what_it_stores():
    viewer = db_user("viewer")
    deep = "[" * 3000 + "]" * 3000
    big = json.dumps({"x": "y" * 70_000})
    with as_user(viewer.claims):
        sql("select log_audit_event('note', 'knowledge_base_entries', '7', null, '{\"a\": 1}')")
        assert (
            refusal("select log_audit_event('NOTE', null, null, null, %s::jsonb)", [deep])
            == "54000"
        )
        assert refusal("select log_audit_event('NOTE', null, null, %s::jsonb)", [big]) == "54000"
        assert refusal("select log_audit_event('no spaces please')") == "22023"
    [row] = AuditLog.objects.filter(user_id=viewer.id)
    assert (row.action, row.new_values, row.ip_address) == ("USER:NOTE", {"a": 1}, None)
    no_sub = {k: v for k, v in viewer.claims.items() if k != "sub"}
    with as_user(no_sub):
        assert refusal("select log_audit_event('NOTE')") == "42501"  # no caller, no row
