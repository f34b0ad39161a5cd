"""An entry's page: who, what, when, from where, the record (linked while it exists), and old
and new values side by side with the changed keys highlighted, nested JSON included."""

import re
import uuid

import pytest

from agents.models import Agent
from console import audited
from console.audit_log import AuditLog
from console.rls import as_user
from tests.audit_trail.conftest import BASE
from tests.console_connection import console_connection
from tests.factories import db_user

pytestmark = pytest.mark.django_db(transaction=True)


def diff_rows(body: str) -> dict[str, str]:
    """key path → status class, from the entry page's diff table."""
    return dict(
        (path, status)
        for status, path in re.findall(
            r'<tr class="diff-(\w+)">\s*<th scope="row" class="mono">([\w.]+)', body
        )
    )


@pytest.fixture
def changed_agent():
    admin = db_user("admin")
    actor = audited.Actor(admin.id, "192.0.2.5", "Mozilla/5.0 (pytest entry page)")
    # As the console writes: its own connection (IP and user agent are believed only there)
    # and the admin's claims (the row's actor).
    with console_connection(), as_user(admin.claims):
        agent = audited.create(
            actor,
            Agent,
            name="Diffed",
            type="analyzer",
            status="active",
            configuration={"model": "m1", "limits": {"rpm": 10, "burst": 5}, "gone": "x"},
        )
        audited.update(
            actor,
            agent,
            status="paused",
            configuration={"model": "m1", "limits": {"rpm": 20, "burst": 5}, "tools": ["search"]},
        )
    entry = AuditLog.objects.get(table_name="ai_agents", record_id=str(agent.pk), action="UPDATE")
    return admin, actor, agent, entry


def test_the_entry_page_says_who_what_when_where_and_links_the_record(signed_in, changed_agent):
    admin, _actor, agent, entry = changed_agent
    body = signed_in("auditor").get(f"/audit/{entry.pk}/").content.decode()
    assert f'<a href="/users/{admin.id}/">{admin.email}</a>' in body
    assert "UPDATE" in body and "ai_agents" in body
    assert entry.created_at.strftime("%Y-%m-%d %H:%M:%S") in body
    assert "192.0.2.5" in body and "Mozilla/5.0 (pytest entry page)" in body
    assert f'<a class="mono" href="/agents/{agent.pk}/">{agent.pk}</a>' in body
    assert f"/audit/?table=ai_agents&amp;record={agent.pk}" in body  # the record's trail


def test_old_and_new_values_side_by_side_with_changed_nested_keys_highlighted(
    signed_in, changed_agent
):
    _admin, _actor, _agent, entry = changed_agent
    body = signed_in("auditor").get(f"/audit/{entry.pk}/").content.decode()
    assert diff_rows(body) == {
        "configuration.gone": "removed",
        "configuration.limits.burst": "same",
        "configuration.limits.rpm": "changed",
        "configuration.model": "same",
        "configuration.tools": "added",
        "status": "changed",
        "updated_at": "changed",  # kept by the database
    }
    rpm = body[body.index("configuration.limits.rpm") :]
    assert re.match(r".*?<del>10</del>.*?<ins>20</ins>", rpm, re.S)
    assert "<ins>[&quot;search&quot;]</ins>" in body
    assert "5 of 7 keys changed" in body


def test_a_deleted_record_is_named_but_no_longer_linked(signed_in, changed_agent):
    _admin, actor, agent, entry = changed_agent
    audited.delete(actor, agent)
    body = signed_in("auditor").get(f"/audit/{entry.pk}/").content.decode()
    assert f'href="/agents/{agent.pk}/"' not in body
    assert str(agent.pk) in body and "not linked" in body


def test_a_system_entry_and_unknown_entries(signed_in, trail):
    client = signed_in("auditor")
    system = trail.row(created_at=BASE, user_id=None, old=None, new={"reason": "bad password"})
    body = client.get(f"/audit/{system}/").content.decode()
    assert "system" in body and "/users/" not in body.split("<main", 1)[1].split("</dl>")[0]
    assert diff_rows(body) == {"reason": "added"}
    assert client.get(f"/audit/{uuid.uuid4()}/").status_code == 404
    assert client.get("/audit/not-a-uuid/").status_code == 404
