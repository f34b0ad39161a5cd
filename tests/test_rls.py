"""The database itself enforces the role matrix: every query runs as the user, with RLS."""

import json
import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from agents.models import Agent
from console.audit_log import AuditLog
from console.rls import as_user, is_permission_error
from console.users.models import Profile
from knowledge.models import Entry
from tests.factories import db_user

pytestmark = pytest.mark.django_db

ROLES = ["admin", "editor", "auditor", "viewer"]


def _refused(fn) -> bool:
    """Run fn in a savepoint; True when the database refused it for lack of privilege."""
    try:
        with transaction.atomic():
            fn()
    except DatabaseError as exc:
        assert is_permission_error(exc), exc
        return True
    return False


@pytest.fixture
def users():
    return {role: db_user(role) for role in ROLES}


@pytest.fixture
def rows():
    active = Entry.objects.create(title="Published", content="x", is_active=True)
    draft = Entry.objects.create(title="Draft", content="x", is_active=False)
    agent = Agent.objects.create(name="Agent", type="analyzer", status="active")
    with connection.cursor() as cursor:
        cursor.execute("select system_insert_audit_log(null, 'SEED', 'x', '1')")
    return {"active": active, "draft": draft, "agent": agent}


def test_every_query_runs_as_the_authenticated_role_with_the_users_claims(users):
    user = users["viewer"]
    with as_user(user.claims), connection.cursor() as cursor:
        cursor.execute("select current_user, auth.uid()::text, auth.role(), is_admin()")
        assert cursor.fetchone() == ("authenticated", user.id, "authenticated", False)
    with connection.cursor() as cursor:  # and back to the console's own role afterwards
        cursor.execute("select current_user, auth.uid()")
        assert cursor.fetchone()[1] is None


def test_is_admin_reads_the_callers_profile(users):
    with as_user(users["admin"].claims), connection.cursor() as cursor:
        cursor.execute("select is_admin()")
        assert cursor.fetchone()[0] is True


@pytest.mark.parametrize(
    ("role", "sees_draft"),
    [("admin", True), ("editor", True), ("auditor", True), ("viewer", False)],
)
def test_knowledge_visibility(users, rows, role, sees_draft):
    with as_user(users[role].claims):
        titles = set(
            Entry.objects.filter(pk__in=[rows["active"].pk, rows["draft"].pk]).values_list(
                "title", flat=True
            )
        )
    assert titles == ({"Published", "Draft"} if sees_draft else {"Published"})


@pytest.mark.parametrize(
    ("role", "may_write"),
    [("admin", True), ("editor", True), ("auditor", False), ("viewer", False)],
)
def test_knowledge_writes(users, role, may_write):
    with as_user(users[role].claims):
        refused = _refused(lambda: Entry.objects.create(title="New", content="body"))
    assert refused is not may_write


@pytest.mark.parametrize(
    ("role", "may_write"),
    [("admin", True), ("editor", False), ("auditor", False), ("viewer", False)],
)
def test_operator_tables_are_written_by_admins_only(users, rows, role, may_write):
    with as_user(users[role].claims):
        assert Agent.objects.filter(pk=rows["agent"].pk).exists()  # everyone reads
        refused = _refused(lambda: Agent.objects.create(name="X", type="t"))
        updated = Agent.objects.filter(pk=rows["agent"].pk).update(status="paused")
    assert refused is not may_write
    assert updated == (1 if may_write else 0)


def test_a_viewers_write_is_refused_by_the_database_even_without_any_django_check(users):
    """No view, no permission check: raw SQL as the viewer, straight at the table."""
    with as_user(users["viewer"].claims):
        assert _refused(
            lambda: connection.cursor().execute(
                "insert into public.ai_agents (name, type) values ('sneaky', 'x')"
            )
        )
        assert _refused(
            lambda: connection.cursor().execute(
                "update public.profiles set role = 'admin' where id = %s", [users["viewer"].id]
            )
        )
    assert Profile.objects.get(pk=users["viewer"].id).role == "viewer"
    assert not Agent.objects.filter(name="sneaky").exists()


@pytest.mark.parametrize(
    ("role", "visible"), [("admin", 4), ("auditor", 4), ("editor", 1), ("viewer", 1)]
)
def test_profiles_visibility(users, role, visible):
    ids = [u.id for u in users.values()]
    with as_user(users[role].claims):
        assert Profile.objects.filter(pk__in=ids).count() == visible


def test_users_change_their_own_display_name_but_not_their_role(users):
    editor = users["editor"]
    with as_user(editor.claims):
        Profile.objects.filter(pk=editor.id).update(display_name="Ed")
        assert _refused(lambda: Profile.objects.filter(pk=editor.id).update(role="admin"))
        assert Profile.objects.filter(pk=users["viewer"].id).update(display_name="x") == 0
    assert Profile.objects.get(pk=editor.id).display_name == "Ed"


def test_only_admins_change_roles(users):
    with as_user(users["admin"].claims):
        assert Profile.objects.filter(pk=users["viewer"].id).update(role="editor") == 1


@pytest.mark.parametrize(
    ("role", "reads"), [("admin", True), ("auditor", True), ("editor", False), ("viewer", False)]
)
def test_audit_logs_are_read_by_admins_and_auditors_only(users, rows, role, reads):
    with as_user(users[role].claims):
        assert AuditLog.objects.filter(action="SEED").exists() is reads


@pytest.mark.parametrize("role", ROLES)
def test_nobody_updates_or_deletes_audit_logs(users, rows, role):
    with as_user(users[role].claims):
        assert _refused(
            lambda: connection.cursor().execute("update public.audit_logs set action = 'X'")
        )
        assert _refused(lambda: connection.cursor().execute("delete from public.audit_logs"))
        assert _refused(
            lambda: connection.cursor().execute(
                "insert into public.audit_logs (action) values ('FORGED')"
            )
        )


def test_not_even_the_consoles_own_connection_role_changes_audit_logs(rows):
    for statement in (
        "update public.audit_logs set action = 'X'",
        "delete from public.audit_logs",
        "truncate public.audit_logs",
    ):
        assert _refused(lambda s=statement: connection.cursor().execute(s))
    assert AuditLog.objects.filter(action="SEED").exists()


def test_an_audit_row_cannot_be_written_in_someone_elses_name(users):
    """system_insert_audit_log is for the service role and the owners; a client logs only in its own
    name through log_audit_event."""
    with as_user(users["editor"].claims):
        assert _refused(
            lambda: connection.cursor().execute(
                "select system_insert_audit_log(%s, 'UPDATE')", [users["admin"].id]
            )
        )
        with connection.cursor() as cursor:
            cursor.execute("select log_audit_event('note', 'knowledge_base_entries', '7')")
    rows = AuditLog.objects.filter(user_id=users["editor"].id).order_by("action")
    assert [(r.action, r.ip_address, r.user_agent) for r in rows] == [("USER:NOTE", None, None)]


def test_promote_user_to_admin_refuses_non_admins(users):
    for role in ("editor", "auditor", "viewer"):
        with as_user(users[role].claims):
            assert _refused(
                lambda: connection.cursor().execute(
                    "select promote_user_to_admin(%s)", [users["viewer"].email]
                )
            )
    assert Profile.objects.get(pk=users["viewer"].id).role == "viewer"


def test_promote_user_to_admin_promotes_and_audits_itself(users):
    admin, target = users["admin"], users["auditor"]
    with as_user(admin.claims), connection.cursor() as cursor:
        cursor.execute("select promote_user_to_admin(%s)", [target.email.upper()])
    assert Profile.objects.get(pk=target.id).role == "admin"
    row = AuditLog.objects.get(record_id=target.id, table_name="profiles", user_id=admin.id)
    assert (row.action, row.old_values["role"], row.new_values["role"]) == (
        "UPDATE",
        "auditor",
        "admin",
    )


def test_a_user_without_a_profile_sees_nothing(rows):
    nobody = db_user(role=None)
    with as_user(nobody.claims):
        assert not Agent.objects.exists()
        assert not Entry.objects.exists()


def test_claims_are_passed_as_json_not_interpolated():
    hostile = db_user("viewer")
    claims = dict(hostile.claims, email="x'); drop table public.ai_agents; --")
    with as_user(claims), connection.cursor() as cursor:
        cursor.execute("select auth.jwt() ->> 'email'")
        assert json.dumps(cursor.fetchone()[0]) == json.dumps(claims["email"])
    assert Agent.objects.model._meta.db_table == "ai_agents"
    Agent.objects.exists()  # the table is still there


def test_the_role_is_transaction_local():
    user = db_user("viewer")
    with as_user(user.claims):
        pass
    with connection.cursor() as cursor:
        cursor.execute("select current_user")
        assert cursor.fetchone()[0] != "authenticated"
    assert uuid.UUID(user.id)
