"""Every write goes with its audit row, in one transaction: never one without the other."""

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


@pytest.fixture
def admin():
    return db_user("admin")


def actor_for(user):
    return audited.Actor(user.id, "203.0.113.9", "pytest-browser/1.0")


@pytest.mark.django_db(transaction=True)
def test_create_writes_the_row_and_its_audit_row(admin):
    # On the console's own connection: the trigger believes IP and user agent only there.
    with console_connection(), as_user(admin.claims):
        agent = audited.create(
            actor_for(admin), Agent, name="Scout", type="analyzer", status="active"
        )
    row = AuditLog.objects.get(record_id=str(agent.pk))
    assert (str(row.user_id), row.action, row.table_name) == (admin.id, "CREATE", "ai_agents")
    assert row.old_values is None
    assert row.new_values["name"] == "Scout" and row.new_values["status"] == "active"
    assert (row.ip_address, row.user_agent) == ("203.0.113.9", "pytest-browser/1.0")


def test_update_records_old_and_new_values_of_what_changed(admin):
    agent = Agent.objects.create(name="Scout", type="analyzer", status="active")
    with as_user(admin.claims):
        audited.update(actor_for(admin), agent, status="paused")
    row = AuditLog.objects.get(record_id=str(agent.pk), action="UPDATE")
    assert row.old_values["status"] == "active"
    assert row.new_values["status"] == "paused"
    assert "name" not in row.new_values
    assert Agent.objects.get(pk=agent.pk).status == "paused"


def test_delete_records_the_row_it_removed(admin):
    agent = Agent.objects.create(name="Gone", type="analyzer")
    with as_user(admin.claims):
        audited.delete(actor_for(admin), agent)
    assert not Agent.objects.filter(pk=agent.pk).exists()
    row = AuditLog.objects.get(record_id=str(agent.pk), action="DELETE")
    assert row.old_values["name"] == "Gone" and row.new_values is None


def test_when_the_audit_call_fails_the_write_is_rolled_back(admin):
    """A real fault: the audit function the trigger calls is gone (renamed, in this test's
    transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "alter function public.system_insert_audit_log"
            "(uuid, text, text, text, jsonb, jsonb, inet, text) rename to audit_function_gone"
        )
    with as_user(admin.claims), pytest.raises(audited.AuditFailed) as refused:
        audited.create(actor_for(admin), Agent, name="Unaudited", type="analyzer")
    assert "nothing was saved" in refused.value.message
    assert not Agent.objects.filter(name="Unaudited").exists()
    assert not AuditLog.objects.filter(new_values__name="Unaudited").exists()


def test_when_the_write_fails_no_audit_row_is_left(admin):
    viewer = db_user("viewer")
    with as_user(viewer.claims), pytest.raises(audited.WriteRefused):
        audited.create(actor_for(viewer), Agent, name="Refused", type="analyzer")
    assert not Agent.objects.filter(name="Refused").exists()
    assert not AuditLog.objects.filter(user_id=viewer.id).exists()


def test_a_write_refused_by_rls_on_update_is_reported_and_changes_nothing():
    agent = Agent.objects.create(name="Locked", type="analyzer", status="active")
    editor = db_user("editor")
    with as_user(editor.claims), pytest.raises(audited.WriteRefused):
        audited.update(actor_for(editor), agent, status="error")
    assert Agent.objects.get(pk=agent.pk).status == "active"
    assert not AuditLog.objects.filter(record_id=str(agent.pk), action="UPDATE").exists()


def test_values_are_stored_as_json_including_arrays_and_objects():
    editor = db_user("editor")
    with as_user(editor.claims):
        entry = audited.create(
            actor_for(editor),
            Entry,
            title="T",
            content="C",
            tags=["a", "b"],
            metadata={"source": {"kind": "wiki"}},
        )
    row = AuditLog.objects.get(record_id=str(entry.pk))
    assert row.new_values["tags"] == ["a", "b"]
    assert row.new_values["metadata"] == {"source": {"kind": "wiki"}}
