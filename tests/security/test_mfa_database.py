"""With MFA required for admins, the database itself refuses the admin-only writes of an aal1
session (restrictive policies, a trigger on role changes, the security-definer checks), and
allows them at aal2 (supabase/migrations/20261208050000_mfa.sql)."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from console.rls import as_user, is_permission_error
from tests.factories import claims_for, db_user

pytestmark = pytest.mark.django_db


def _mfa_required_for(roles: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("select private.set_mfa_required_roles(%s::text[])", [roles])


def _claims(user, aal: str) -> dict:
    amr = [{"method": "password", "timestamp": 1}]
    if aal == "aal2":
        amr.append({"method": "totp", "timestamp": 2})
    return claims_for(user.id, user.email, aal=aal, amr=amr)


def _run(claims, sql: str, params=None) -> int:
    """The statement as the user of the claims, in a savepoint; its row count. A refusal
    raises (and is rolled back)."""
    with transaction.atomic(), as_user(claims), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _refused(claims, sql: str, params=None) -> bool:
    try:
        _run(claims, sql, params)
    except DatabaseError as exc:
        assert is_permission_error(exc), exc
        return True
    return False


@pytest.fixture
def agent_id():
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.ai_agents (name, type, status) values ('Guarded', 'analyzer',"
            " 'active') returning id"
        )
        return cursor.fetchone()[0]


WRITES = {
    "insert an agent": (
        "insert into public.ai_agents (name, type, status) values ('New', 'analyzer', 'active')",
        None,
    ),
    "rename someone": ("update public.profiles set display_name = 'X' where id = %s", "T"),
    "change retention": ("update public.retention_policies set keep_days = 30 where %s", True),
    "authorize a user deletion": ("select private.authorize_user_admin('delete', %s::uuid)", "T"),
    "change a role": ("update public.profiles set role = 'editor' where id = %s", "T"),
    "end someone's sessions": ("select private.end_user_sessions(%s::uuid)", "T"),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_an_aal1_admin_is_refused_the_admin_writes_and_an_aal2_admin_is_not(write):
    admin, target = db_user("admin"), db_user("viewer")
    _mfa_required_for(["admin"])
    sql, param = WRITES[write]
    params = None if param is None else [param if param is True else target.id]
    assert _refused(_claims(admin, "aal1"), sql, params)
    assert not _refused(_claims(admin, "aal2"), sql, params)


def test_an_aal1_update_is_refused_and_a_delete_finds_no_row(agent_id):
    admin = db_user("admin")
    _mfa_required_for(["admin"])
    aal1, aal2 = _claims(admin, "aal1"), _claims(admin, "aal2")
    rename = ("update public.ai_agents set name = 'Renamed' where id = %s", [agent_id])
    delete = ("delete from public.ai_agents where id = %s", [agent_id])
    assert _refused(aal1, *rename)
    assert _run(aal1, *delete) == 0
    assert _run(aal2, *rename) == 1
    assert _run(aal2, *delete) == 1


def test_an_aal1_admin_still_reads_and_edits_their_own_display_name(agent_id):
    admin = db_user("admin")
    _mfa_required_for(["admin"])
    aal1 = _claims(admin, "aal1")
    assert _run(aal1, "select 1 from public.ai_agents where id = %s", [agent_id]) == 1
    own_name = "update public.profiles set display_name = 'Me' where id = %s"
    assert _run(aal1, own_name, [admin.id]) == 1


def test_nothing_is_required_by_default_nor_of_roles_not_listed():
    admin, editor = db_user("admin"), db_user("editor")
    insert = "insert into public.ai_agents (name, type, status) values ('x', 'analyzer', 'active')"
    assert not _refused(_claims(admin, "aal1"), insert)  # the default: no role listed
    _mfa_required_for(["admin"])
    entry = "insert into public.knowledge_base_entries (title, content) values ('t', 'c')"
    assert not _refused(_claims(editor, "aal1"), entry)
    _mfa_required_for(["admin", "editor"])
    assert _refused(_claims(editor, "aal1"), entry)


def test_the_console_connection_without_a_user_is_not_a_signed_in_user():
    """Commands and the owner's SQL (break-glass) run with no claims: nothing is required."""
    target = db_user("viewer")
    _mfa_required_for(["admin"])
    with connection.cursor() as cursor:
        cursor.execute("update public.profiles set role = 'admin' where id = %s", [target.id])
        assert cursor.rowcount == 1


def test_only_the_owner_sets_the_required_roles_and_only_known_roles():
    with pytest.raises(DatabaseError), transaction.atomic():
        _mfa_required_for(["admin", "root"])
    admin = db_user("admin")
    assert _refused(
        _claims(admin, "aal2"), "select private.set_mfa_required_roles(array['viewer'])"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "select has_function_privilege('billygoat_console',"
            " 'private.set_mfa_required_roles(text[])', 'execute')"
        )
        assert cursor.fetchone()[0] is False


def test_an_unknown_user_id_refuses_nothing_it_should_not():
    """authorize_user_admin still refuses a non-admin first, whatever the level."""
    viewer = db_user("viewer")
    _mfa_required_for(["admin"])
    sql = "select private.authorize_user_admin('delete', %s::uuid)"
    assert _refused(_claims(viewer, "aal2"), sql, [str(uuid.uuid4())])


def test_db_migrate_sets_the_required_roles_from_the_setting(settings, capsys):
    from django.core.management import call_command

    settings.MFA_REQUIRED_ROLES = ["admin"]
    try:
        call_command("db_migrate", "--local")
        assert "Second factor (aal2) required for writes by: admin." in capsys.readouterr().out
        with connection.cursor() as cursor:
            cursor.execute("select required_roles from private.mfa_settings")
            assert cursor.fetchone()[0] == ["admin"]
    finally:
        _mfa_required_for([])  # (whatever db_migrate committed)


def test_the_preflight_names_the_admins_without_a_verified_factor(settings):
    from console import preflight

    settings.MFA_REQUIRED_ROLES = ["admin"]
    without, enrolled = db_user("admin"), db_user("admin")
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status,"
            " created_at, updated_at, secret) values (gen_random_uuid(), %s, 'Phone', 'totp',"
            " 'verified', now(), now(), 'JBSWY3DPEHPK3PXP')",
            [enrolled.id],
        )
    report = preflight.inspect(connection)
    notes = [line for line in report.changes if "MFA_REQUIRED_ROLES" in line]
    assert len(notes) == 1 and without.email in notes[0] and enrolled.email not in notes[0]
    assert not report.blockers


def test_the_documented_break_glass_removes_the_last_admins_factor():
    """docs/operations.md's SQL, as the owner runs it (no user's claims)."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    section = doc[doc.index("**Break-glass") :]
    sql = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    admin = db_user("admin")
    _mfa_required_for(["admin"])
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status,"
            " created_at, updated_at, secret) values (gen_random_uuid(), %s, 'Phone', 'totp',"
            " 'verified', now(), now(), 'JBSWY3DPEHPK3PXP')",
            [admin.id],
        )
        cursor.execute(sql.replace("admin@example.com", admin.email))
        cursor.execute("select count(*) from auth.mfa_factors where user_id = %s", [admin.id])
        assert cursor.fetchone()[0] == 0
