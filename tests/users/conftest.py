"""Fixtures and helpers of the users-and-roles tests."""

import pytest
from django.db import connection

from audit.models import AuditLog
from console import audited
from console.users.models import UserAccount

NON_ADMIN_ROLES = ["editor", "auditor", "viewer"]


def actor_for(user) -> audited.Actor:
    return audited.Actor(str(user.id), "203.0.113.7", "pytest-users")


def audit_rows(user_id, action=None):
    """Audit rows about this user's profile, oldest first (not the fixtures' own writes,
    which the database audits as "system")."""
    rows = AuditLog.objects.filter(table_name="profiles", record_id=str(user_id))
    rows = rows.exclude(user_id=None)
    if action:
        rows = rows.filter(action=action)
    return list(rows.order_by("created_at", "id"))


def auth_row(user_id) -> dict | None:
    """The user as Supabase Auth keeps them (auth.users), or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select email, email_confirmed_at, banned_until, last_sign_in_at, invited_at"
            " from auth.users where id = %s",
            [str(user_id)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    keys = ("email", "email_confirmed_at", "banned_until", "last_sign_in_at", "invited_at")
    return dict(zip(keys, row, strict=True))


def role_of(user_id) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("select role from public.profiles where id = %s", [str(user_id)])
        row = cursor.fetchone()
    return row[0] if row else None


def account_of(user_id) -> UserAccount | None:
    """The user's row of the users list, read as the console's own role (the view itself shows
    rows only to admins and auditors)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select p.id, p.email, p.display_name, p.role, p.created_at, p.updated_at,"
            " s.email_confirmed_at, s.last_sign_in_at, s.banned_until, s.invited_at,"
            " s.recovery_sent_at"
            " from public.profiles p join private.user_auth_state s on s.id = p.id"
            " where p.id = %s",
            [str(user_id)],
        )
        row = cursor.fetchone()
    return UserAccount(*row) if row else None


def version_of(user_id) -> str:
    return account_of(user_id).version


@pytest.fixture
def admin(signed_in):
    """A Django test client signed in as a new admin (the user is `admin.user`)."""
    return signed_in("admin")
