"""After adoption, the full role matrix holds on the hosted-like project, tested as each role
through RLS (connected as the console's own role, billygoat_console, which switches to
`authenticated` with the user's claims as each request does)."""

import json
import uuid

import psycopg
import pytest

pytestmark = pytest.mark.django_db

ROLES = ["admin", "editor", "auditor", "viewer", "user", None]


@pytest.fixture(scope="module")
def adopted(adopted_db):
    users = {}
    with adopted_db.connect(owner=False) as conn:
        for role in ROLES:
            user_id = str(uuid.uuid4())
            conn.execute(
                "insert into auth.users (instance_id, id, aud, role, email, created_at, updated_at)"
                " values ('00000000-0000-0000-0000-000000000000', %s, 'authenticated',"
                " 'authenticated', %s, now(), now())",
                [user_id, f"{role or 'none'}-{user_id[:6]}@matrix.example"],
            )
            conn.execute("update public.profiles set role = %s where id = %s", [role, user_id])
            users[role] = user_id
    return adopted_db, users


def _as(hosted, user_id, sql, params=None):
    """Run one statement as this user, the way console/rls.py does; None when refused."""
    with psycopg.connect(hosted.url_as("billygoat_console"), autocommit=True) as conn:
        try:
            with conn.transaction():
                conn.execute(
                    "select set_config('role', 'authenticated', true),"
                    " set_config('request.jwt.claims', %s, true)",
                    [json.dumps({"sub": user_id, "role": "authenticated"})],
                )
                cur = conn.execute(sql, params)
                result = cur.fetchall() if cur.description else cur.rowcount
                raise _Rollback(result)
        except _Rollback as done:
            return done.result
        except psycopg.errors.InsufficientPrivilege:
            return None


class _Rollback(Exception):
    def __init__(self, result):
        self.result = result


READS = {
    # role: (agents, knowledge entries (1 draft of 2), audit rows visible, all profiles)
    "admin": (True, 2, True, True),
    "editor": (True, 2, False, False),
    "auditor": (True, 2, True, True),
    "viewer": (True, 1, False, False),
    "user": (False, 0, False, False),
    None: (False, 0, False, False),
}


@pytest.mark.parametrize("role", ROLES)
def test_reads_follow_the_role_matrix(adopted, role):
    hosted, users = adopted
    agents, entries, audit, profiles = READS[role]
    uid = users[role]
    for table in (
        "ai_agents",
        "crew_nuclear_system",
        "deployment_packages",
        "system_performance_logs",
    ):
        count = _as(hosted, uid, f"select count(*) from public.{table}")[0][0]
        assert (count > 0) is agents, table
    assert _as(hosted, uid, "select count(*) from public.knowledge_base_entries")[0][0] == entries
    assert (_as(hosted, uid, "select count(*) from public.audit_logs")[0][0] > 0) is audit
    visible = _as(hosted, uid, "select count(*) from public.profiles")[0][0]
    assert (visible > 1) is profiles
    assert visible >= 1  # everyone reads their own profile


@pytest.mark.parametrize("role", ROLES)
def test_writes_follow_the_role_matrix(adopted, role):
    hosted, users = adopted
    uid = users[role]
    inserted = _as(hosted, uid, "insert into public.ai_agents (name, type) values ('x', 'y')")
    assert (inserted == 1) is (role == "admin")
    kb = _as(
        hosted,
        uid,
        "insert into public.knowledge_base_entries (title, content) values ('t', 'c')",
    )
    assert (kb == 1) is (role in ("admin", "editor"))
    # Nobody, not even an admin, rewrites the audit trail.
    assert not _as(hosted, uid, "delete from public.audit_logs")
    # Only an admin changes a role.
    changed = _as(
        hosted, uid, "update public.profiles set role = 'admin' where id = %s", [users["viewer"]]
    )
    assert (changed == 1) is (role == "admin")


def test_a_token_without_a_user_reads_nothing_after_adoption(adopted):
    hosted, _users = adopted
    with (
        psycopg.connect(hosted.url_as("billygoat_console"), autocommit=True) as conn,
        conn.transaction(force_rollback=True),
    ):
        conn.execute("set local role authenticated")
        conn.execute(
            "select set_config('request.jwt.claims', '{\"role\": \"authenticated\"}', true)"
        )
        assert conn.execute("select count(*) from public.ai_agents").fetchone()[0] == 0
