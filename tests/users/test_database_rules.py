"""The database is the last line: user administration is refused to every other role, and the
last active admin stays, whoever asks (the console's actions without any Django check, raw
SQL as the user, the SQL editor)."""

import pytest
from django.db import DatabaseError, connection, transaction

from console import audited
from console.rls import as_user
from console.users import actions
from console.users.models import UserAccount
from tests.factories import db_user
from tests.users.conftest import (
    NON_ADMIN_ROLES,
    account_of,
    actor_for,
    audit_rows,
    auth_row,
    role_of,
)

pytestmark = pytest.mark.django_db


def _sql(statement, params=()):
    """Run one statement in a savepoint; the sqlstate it failed with, or None."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except DatabaseError as exc:
        return getattr(exc.__cause__, "sqlstate", "?")
    return None


def _ban_in_sql(user_id, until="now() + interval '1 day'"):
    return _sql(f"update auth.users set banned_until = {until} where id = %s", [user_id])


# --- the auth state the console reads -------------------------------------------------------


def test_the_copy_of_the_auth_state_follows_auth_users():
    user = db_user("viewer")
    account = account_of(user.id)
    assert (account.email_confirmed_at, account.last_sign_in_at, account.banned_until) == (
        None,
        None,
        None,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "update auth.users set email_confirmed_at = now(), last_sign_in_at = now(),"
            " banned_until = now() + interval '1 hour' where id = %s",
            [user.id],
        )
    account = account_of(user.id)
    assert account.email_confirmed_at and account.last_sign_in_at and account.is_banned
    assert account.state == "banned"
    with connection.cursor() as cursor:
        cursor.execute("delete from auth.users where id = %s", [user.id])
        cursor.execute("select count(*) from private.user_auth_state where id = %s", [user.id])
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize(
    ("role", "sees_everyone"),
    [("admin", True), ("auditor", True), ("editor", False), ("viewer", False)],
)
def test_the_users_list_shows_everyone_to_admins_and_auditors_and_nothing_to_others(
    role, sees_everyone
):
    me, other = db_user(role), db_user("viewer")
    with as_user(me.claims):
        visible = {
            str(pk)
            for pk in UserAccount.objects.filter(pk__in=[me.id, other.id]).values_list(
                "pk", flat=True
            )
        }
    assert visible == ({me.id, other.id} if sees_everyone else set())


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_everyone_reads_their_own_auth_state_and_nobody_writes_it(role):
    me, other = db_user(role), db_user("viewer")
    with as_user(me.claims), connection.cursor() as cursor:
        cursor.execute(
            "select id::text from private.user_auth_state where id in (%s, %s)", [me.id, other.id]
        )
        expected = [me.id, other.id] if role == "auditor" else [me.id]
        assert sorted(row[0] for row in cursor.fetchall()) == sorted(expected)
        assert _sql("update private.user_auth_state set banned_until = null") == "42501"


# --- who may administer users -----------------------------------------------------------------


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_the_user_admin_gate_refuses_every_other_role(role):
    user, target = db_user(role), db_user("viewer")
    with as_user(user.claims):
        for action in ("invite", "create", "change_role", "ban", "delete", "reset_password"):
            assert _sql("select private.authorize_user_admin(%s, %s)", [action, target.id]) == (
                "42501"
            )


def test_the_user_admin_gate_lets_an_admin_through():
    admin, target = db_user("admin"), db_user("viewer")
    with as_user(admin.claims):
        assert _sql("select private.authorize_user_admin('ban', %s)", [target.id]) is None


ACTIONS = {
    "change_role": lambda actor, t: actions.change_role(actor, t.id, "admin"),
    "display_name": lambda actor, t: actions.set_display_name(actor, t.id, "Renamed"),
    "promote": lambda actor, t: actions.promote(actor, t.email),
    "invite": lambda actor, t: actions.invite(
        actor, email="new@example.test", role="editor", display_name=None, redirect_to="x"
    ),
    "create": lambda actor, t: actions.create(
        actor,
        email="new@example.test",
        password="Fresh-Start-2026",
        role="viewer",
        display_name=None,
    ),
    "ban": lambda actor, t: actions.ban(actor, t.id, "24h"),
    "unban": lambda actor, t: actions.unban(actor, t.id),
    "password_reset": lambda actor, t: actions.send_password_reset(actor, t.id, redirect_to="x"),
    "delete": lambda actor, t: actions.delete(actor, t.id, confirm_email=t.email),
}


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_is_refused_by_the_database_for_other_roles_without_any_django_check(
    role, action
):
    """No view, no permission check: the action itself, run as the user. The database says
    no before anything is written or Supabase Auth is called."""
    user, target = db_user(role), db_user("viewer")
    with connection.cursor() as cursor:
        if action == "unban":
            cursor.execute(
                "update auth.users set banned_until = now() + interval '1 hour' where id = %s",
                [target.id],
            )
        cursor.execute("select count(*) from auth.users")
        users_before = cursor.fetchone()[0]
    before = (role_of(target.id), auth_row(target.id))
    with as_user(user.claims), pytest.raises(audited.WriteRefused) as refused:
        ACTIONS[action](actor_for(user), target)
    assert refused.value.message == actions.NOT_ADMIN
    assert (role_of(target.id), auth_row(target.id)) == before
    assert audit_rows(target.id) == []
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from auth.users")
        assert cursor.fetchone()[0] == users_before


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_raw_sql_as_another_role_changes_no_role(role):
    user, other = db_user(role), db_user("viewer")
    with as_user(user.claims), connection.cursor() as cursor:
        # Another user's row: invisible to editors and viewers, not updatable for auditors.
        cursor.execute("update public.profiles set role = 'admin' where id = %s", [other.id])
        assert cursor.rowcount == 0
        cursor.execute("delete from public.profiles where id = %s", [other.id])
        assert cursor.rowcount == 0
        # Their own row: RLS lets them in, the guard refuses a role change.
        assert _sql("update public.profiles set role = 'admin' where id = %s", [user.id]) == "42501"
        assert _sql("select public.promote_user_to_admin(%s)", [user.email]) == "42501"
    assert (role_of(user.id), role_of(other.id)) == (role, "viewer")


# --- there is always an active admin ----------------------------------------------------------


def test_the_last_active_admin_cannot_be_demoted_banned_or_deleted():
    admin, viewer = db_user("admin"), db_user("viewer")
    assert _sql("update public.profiles set role = 'editor' where id = %s", [admin.id]) == "23514"
    assert _ban_in_sql(admin.id) == "23514"
    assert _sql("delete from auth.users where id = %s", [admin.id]) == "23514"
    assert _sql("delete from public.profiles where id = %s", [admin.id]) == "23514"
    assert _sql("update auth.users set deleted_at = now() where id = %s", [admin.id]) == "23514"
    assert role_of(admin.id) == "admin" and auth_row(admin.id)["banned_until"] is None
    assert role_of(viewer.id) == "viewer"


def test_with_a_second_active_admin_the_first_can_go():
    first, second = db_user("admin"), db_user("admin")
    assert _ban_in_sql(first.id) is None
    # Now `second` is the only active admin.
    assert _sql("update public.profiles set role = 'viewer' where id = %s", [second.id]) == (
        "23514"
    )
    # Demoting the banned admin takes nothing away.
    assert _sql("update public.profiles set role = 'viewer' where id = %s", [first.id]) is None


def test_one_statement_cannot_demote_every_admin():
    first, second = db_user("admin"), db_user("admin")
    assert (
        _sql(
            "update public.profiles set role = 'editor' where id in (%s, %s)", [first.id, second.id]
        )
        == "23514"
    )
    assert (role_of(first.id), role_of(second.id)) == ("admin", "admin")


def test_deleting_every_user_at_once_is_allowed():
    db_user("admin"), db_user("viewer")
    assert _sql("delete from auth.users") is None


def test_an_admin_is_refused_by_the_gate_before_removing_the_last_active_admin():
    admin, other = db_user("admin"), db_user("admin")
    with as_user(admin.claims):
        assert _sql("select private.authorize_user_admin('ban', %s)", [other.id]) is None
    _ban_in_sql(other.id)
    with as_user(admin.claims):
        for action in ("demote", "ban", "delete"):
            assert (
                _sql("select private.authorize_user_admin(%s, %s)", [action, admin.id]) == "23514"
            )
        assert _sql("select private.authorize_user_admin('edit', %s)", [admin.id]) is None


def test_the_users_and_roles_migrations_can_be_applied_again():
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.BASE_DIR) / "supabase/migrations"
    migrations = sorted(folder.glob("2026112201*.sql"))
    assert len(migrations) == 3
    # and the one that replaced their view
    migrations.append(folder / "20261128000000_user_list_view.sql")
    admin = db_user("admin")
    with connection.cursor() as cursor:
        for migration in migrations:
            cursor.execute(migration.read_text())
    with as_user(admin.claims):
        assert UserAccount.objects.filter(pk=admin.id).exists()
