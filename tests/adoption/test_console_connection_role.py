"""The console's least-privilege login role, as the migrations create it: what the console
does outside a user's transaction works with its narrow grants, a signed-in step works
through SET ROLE authenticated, and its sessions show in pg_stat_activity with no superuser
or BYPASSRLS right. (Every request the suite makes runs as it: tests/console_role.py.)"""

import json

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.factories import db_user

pytestmark = pytest.mark.django_db(transaction=True)


def _console_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgresql://billygoat_console:@/{db['NAME']}?host={db['HOST']}" + (
        f"&port={db['PORT']}" if db["PORT"] else ""
    )


def test_the_role_has_no_superuser_bypassrls_or_powerful_memberships():
    with connection.cursor() as cursor:
        cursor.execute(
            "select rolcanlogin, rolsuper, rolbypassrls, rolinherit, rolconfig"
            " from pg_roles where rolname = 'billygoat_console'"
        )
        login, superuser, bypassrls, inherit, config = cursor.fetchone()
        assert login and not superuser and not bypassrls and not inherit
        assert "search_path=console, public, extensions" in config
        cursor.execute(
            "select array_agg(distinct r.rolname order by r.rolname) from pg_auth_members m"
            " join pg_roles r on r.oid = m.roleid"
            " where m.member = 'billygoat_console'::regrole"
        )
        assert cursor.fetchone()[0] == ["authenticated"]


def test_what_the_console_does_outside_a_user_transaction_is_enough_and_visible():
    user = db_user("viewer")
    with psycopg.connect(_console_url(), autocommit=True) as conn:
        pid = conn.info.backend_pid
        # No start-up options: the search path comes from the role.
        assert conn.execute("show search_path").fetchone()[0] == "console, public, extensions"
        # A signing-in user's state, through the security-definer function only.
        state = conn.execute(
            "select role, email, has_profile, banned, session_alive"
            " from private.console_user_state(%s, null)",
            [user.id],
        ).fetchone()
        assert state == ("viewer", user.email, True, False, True)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from auth.users")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from public.profiles")
        # Django's session table, and one of the console's own audit events (LOGIN_FAILED).
        conn.execute("select count(*) from console.django_session")
        conn.execute(
            "select private.console_audit_event('LOGIN_FAILED', null, null, null,"
            " '{\"email\": \"x@example.test\"}'::jsonb, '10.0.0.1'::inet, 'pytest')"
        )
        # A signed-in request: SET ROLE authenticated with the user's claims, RLS applies.
        with conn.transaction(force_rollback=True):
            conn.execute(
                "select set_config('role', 'authenticated', true),"
                " set_config('request.jwt.claims', %s, true)",
                [json.dumps(user.claims)],
            )
            assert conn.execute("select count(*) from public.profiles").fetchone()[0] == 1
        with connection.cursor() as cursor:
            cursor.execute(
                "select a.usename, r.rolsuper, r.rolbypassrls from pg_stat_activity a"
                " join pg_roles r on r.oid = a.usesysid where a.pid = %s",
                [pid],
            )
            assert cursor.fetchone() == ("billygoat_console", False, False)
