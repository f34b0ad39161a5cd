"""What the console's DATABASE_URL can do in the wrong hands: each test connects as the
console's login role, `billygoat_console`, the way the console itself does (psycopg, no
start-up options), and tries what a hostile holder of that URL would try.

The role may become `authenticated` (every signed-in request does), so it can act through
RLS as any user whose claims it sets; what it must not do is act with no user at all, write
audit rows in a name it passes, or gain a privilege the console's code does not use."""

import json
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.factories import db_user

pytestmark = pytest.mark.django_db(transaction=True)

CONSOLE_ROLE = "billygoat_console"


def console_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgresql://{CONSOLE_ROLE}:@/{db['NAME']}?host={db['HOST']}" + (
        f"&port={db['PORT']}" if db["PORT"] else ""
    )


def as_console():
    return psycopg.connect(console_url(), autocommit=True)


def audit_rows(**where) -> list[tuple]:
    clauses = " and ".join(f"{column} = %s" for column in where)
    with connection.cursor() as cursor:
        cursor.execute(
            "select action, user_id::text, host(ip_address), user_agent from public.audit_logs"
            f" where {clauses} order by created_at, id",
            list(where.values()),
        )
        return cursor.fetchall()


def promotions(user_id) -> list[tuple]:
    """Audit rows of the profile's change to admin: (actor,)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select user_id::text from public.audit_logs where table_name = 'profiles'"
            " and record_id = %s and action = 'UPDATE' and new_values ->> 'role' = 'admin'",
            [str(user_id)],
        )
        return cursor.fetchall()


def profile_role(user_id) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("select role from public.profiles where id = %s", [user_id])
        return cursor.fetchone()[0]


# --- promote_user_to_admin with no claims ------------------------------------------------------


@pytest.mark.parametrize(
    "claims", [None, {"role": "authenticated"}, {"role": "service_role"}], ids=str
)
def test_the_console_role_cannot_make_an_admin_without_a_user(claims):
    """`set local role authenticated` with no `sub` in the claims (or none at all) is not the
    project owner in the SQL editor: refused, and no audit row."""
    target = db_user("viewer")
    with (
        as_console() as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
        conn.transaction(),
    ):
        conn.execute("set local role authenticated")
        if claims is not None:
            conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
        conn.execute("select public.promote_user_to_admin(%s)", [target.email])
    assert profile_role(target.id) == "viewer"
    assert promotions(target.id) == []


def test_the_project_owner_still_makes_the_first_admin_without_claims():
    """The README's bootstrap: the owner, in the SQL editor, with no signed-in user."""
    target = db_user("viewer")
    with connection.cursor() as cursor:
        cursor.execute("select session_user, current_setting('request.jwt.claims', true)")
        assert cursor.fetchone()[0] == "postgres"
        cursor.execute("select public.promote_user_to_admin(%s)", [target.email])
    assert profile_role(target.id) == "admin"
    assert promotions(target.id) == [(None,)]


def test_a_signed_in_admin_still_promotes():
    admin, target = db_user("admin"), db_user("viewer")
    with as_console() as conn, conn.transaction():
        conn.execute(
            "select set_config('role', 'authenticated', true),"
            " set_config('request.jwt.claims', %s, true)",
            [json.dumps(admin.claims)],
        )
        conn.execute("select public.promote_user_to_admin(%s)", [target.email])
    assert profile_role(target.id) == "admin"
    assert promotions(target.id) == [(admin.id,)]


# --- audit rows in someone else's name ---------------------------------------------------------


def test_the_console_role_may_not_call_system_insert_audit_log():
    admin = db_user("admin")
    with as_console() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "select public.system_insert_audit_log(%s, 'BAN', 'profiles', null, null, null,"
            " '203.0.113.66'::inet, 'forged')",
            [admin.id],
        )
    assert audit_rows(user_id=admin.id) == []


def test_the_consoles_own_events_name_the_caller_of_the_claims_never_a_parameter():
    admin = db_user("admin")
    marker = f"probe-{uuid.uuid4().hex[:8]}"
    with as_console() as conn:
        # No claims (LOGIN_FAILED): no actor. There is no parameter to name one.
        conn.execute(
            "select private.console_audit_event('LOGIN_FAILED', %s, null, null,"
            " '{\"email\": \"x@example.test\"}', '192.0.2.1', 'pytest')",
            [marker],
        )
        with pytest.raises(psycopg.errors.UndefinedFunction):
            conn.execute(
                "select private.console_audit_event(%s::uuid, 'BAN', %s)", [admin.id, marker]
            )
        # The claims in force (a signed-in request's, or a user signing in): their user.
        with conn.transaction():
            conn.execute(
                "select set_config('request.jwt.claims', %s, true)", [json.dumps(admin.claims)]
            )
            conn.execute("select private.console_audit_event('LOGIN', %s)", [marker])
        # RETENTION rows are retention's own (retention never deletes them).
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select private.console_audit_event('retention', %s)", [marker])
    assert audit_rows(table_name=marker) == [
        ("LOGIN_FAILED", None, "192.0.2.1", "pytest"),
        ("LOGIN", admin.id, None, None),
    ]


@pytest.mark.parametrize("role", ["anon", "authenticated", "service_role"])
def test_no_api_role_may_write_the_consoles_events(role):
    with connection.cursor() as cursor:
        cursor.execute(
            "select has_function_privilege(%s, 'private.console_audit_event(text, text, text,"
            " jsonb, jsonb, inet, text)', 'execute')",
            [role],
        )
        assert cursor.fetchone() == (False,)


def test_sign_in_and_sign_out_rows_name_the_user_and_a_failed_one_nobody(client, make_user):
    user = make_user("viewer")
    client.post("/login/", {"email": user.email, "password": "wrong-Password-1"})
    client.post("/login/", {"email": user.email, "password": user.password})
    client.post("/logout/")
    with connection.cursor() as cursor:
        cursor.execute(
            "select action, user_id::text from public.audit_logs"
            " where action in ('LOGIN_FAILED', 'LOGIN', 'LOGOUT')"
            " and (user_id = %s or new_values ->> 'email' = %s) order by created_at, id",
            [user.id, user.email],
        )
        assert cursor.fetchall() == [
            ("LOGIN_FAILED", None),
            ("LOGIN", str(user.id)),
            ("LOGOUT", str(user.id)),
        ]


# --- statements of other sessions --------------------------------------------------------------


def _statements_view() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "select quote_ident(n.nspname) || '.pg_stat_statements' from pg_extension e"
            " join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_stat_statements'"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_pg_stat_statements_is_not_readable_by_a_signed_in_user_or_anon():
    view = _statements_view()
    if view is None:
        pytest.skip("pg_stat_statements is not installed in this cluster")
    viewer = db_user("viewer")
    with connection.cursor() as cursor:
        for role in ("anon", "authenticated"):
            cursor.execute("select has_table_privilege(%s, %s, 'select')", [role, view])
            assert cursor.fetchone() == (False,), role
            cursor.execute(
                "select has_function_privilege(%s, %s, 'execute')",
                [role, view.replace(".pg_stat_statements", ".pg_stat_statements(boolean)")],
            )
            assert cursor.fetchone() == (False,), role
    with (
        as_console() as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
        conn.transaction(),
    ):
        conn.execute(
            "select set_config('role', 'authenticated', true),"
            " set_config('request.jwt.claims', %s, true)",
            [json.dumps(viewer.claims)],
        )
        conn.execute(f"select query from {view} limit 1")


# --- every privilege the role holds ------------------------------------------------------------

# Reviewed: what the console's code uses as itself, outside a user's transaction (sessions
# and latency samples in `console`; a signing-in user's state; the sign-in throttle;
# the password rule; its own audit events), and the switch to `authenticated` for each
# signed-in request. PUBLIC's privileges in the project's schemas count as the role's.
REVIEWED_CONSOLE_PRIVILEGES = {
    # attributes
    ("attribute", "CANLOGIN", "yes"),
    # role memberships: SET ROLE authenticated, without inheriting its rights
    ("member of", "authenticated", "MEMBER"),
    ("member of", "authenticated", "SET"),
    # the database
    ("database", "<current>", "CONNECT"),
    ("database", "<current>", "TEMPORARY"),
    # schemas
    ("schema", "console", "USAGE"),
    ("schema", "extensions", "USAGE"),
    ("schema", "private", "USAGE"),
    ("schema", "public", "USAGE"),
    # Django's sessions, the system page's latency samples and the Supabase Auth circuit
    # breaker's state: every table in `console`, through the schema's default privileges,
    # so also Django's migration record, which the console never reads or writes (it could
    # be revoked after `migrate`)
    *(
        ("table", f"console.{table}", privilege)
        for table in (
            "django_session",
            "db_latency_samples",
            "auth_circuit",
            "django_migrations",
        )
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE")
    ),
    ("table", "console.django_migrations_id_seq", "USAGE"),
    # the sign-in throttle and the pairs known to have signed in (private.sign_in_attempt
    # runs as its caller)
    *(
        ("table", f"private.{table}", privilege)
        for table in ("login_throttle", "login_known_pair")
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE")
    ),
    # functions
    ("function", "private.console_user_state(p_user uuid, p_session uuid)", "EXECUTE"),
    (
        "function",
        "private.sign_in_attempt(p_pair text, p_pair_limit integer, p_ip text,"
        " p_ip_limit integer, p_account text, p_account_limit integer, p_window integer,"
        " p_backoff integer)",
        "EXECUTE",
    ),
    (
        "function",
        "private.console_audit_event(p_action text, p_table_name text, p_record_id text,"
        " p_old_values jsonb, p_new_values jsonb, p_ip_address inet, p_user_agent text)",
        "EXECUTE",
    ),
    ("function", "public.validate_password_strength(password text)", "EXECUTE"),
    ("function", "public.is_common_password(password text)", "EXECUTE"),
    # Supabase's claim readers, PUBLIC's in the `auth` schema (but the role has no usage there)
    ("function", "auth.uid()", "EXECUTE"),
    ("function", "auth.role()", "EXECUTE"),
    ("function", "auth.email()", "EXECUTE"),
    ("function", "auth.jwt()", "EXECUTE"),
    # new tables and sequences Django adds to `console`
    ("default", "postgres: tables in console", "SELECT"),
    ("default", "postgres: tables in console", "INSERT"),
    ("default", "postgres: tables in console", "UPDATE"),
    ("default", "postgres: tables in console", "DELETE"),
    ("default", "postgres: sequences in console", "USAGE"),
}

PROJECT_SCHEMAS = ("public", "private", "console", "auth", "extensions")
ROLE_ATTRIBUTES = (
    "rolsuper",
    "rolinherit",
    "rolcreaterole",
    "rolcreatedb",
    "rolcanlogin",
    "rolreplication",
    "rolbypassrls",
)


def console_privileges() -> set[tuple[str, str, str]]:
    """Every privilege billygoat_console holds, read from the catalog: its attributes, the
    roles it may become, and every ACL entry naming it or PUBLIC (tables, columns,
    sequences, functions, schemas, the database, types, languages, parameters, default
    privileges), plus anything it owns."""
    held: set[tuple[str, str, str]] = set()
    with connection.cursor() as cursor:
        cursor.execute("select current_setting('server_version_num')::int")
        version = cursor.fetchone()[0]
        cursor.execute(
            f"select {', '.join(ROLE_ATTRIBUTES)} from pg_roles where rolname = %s",
            [CONSOLE_ROLE],
        )
        for name, value in zip(ROLE_ATTRIBUTES, cursor.fetchone(), strict=True):
            if value and name != "rolinherit":
                held.add(("attribute", name.removeprefix("rol").upper(), "yes"))
            if name == "rolinherit" and value:
                held.add(("attribute", "INHERIT", "yes"))
        options = (
            "m.admin_option, m.inherit_option, m.set_option"
            if version >= 160000
            else "m.admin_option, member.rolinherit, true"
        )
        cursor.execute(
            f"select granted.rolname, {options} from pg_auth_members m"
            " join pg_roles granted on granted.oid = m.roleid"
            " join pg_roles member on member.oid = m.member where member.rolname = %s",
            [CONSOLE_ROLE],
        )
        for granted, admin, inherit, can_set in cursor.fetchall():
            held.add(("member of", granted, "MEMBER"))
            for option, on in (("ADMIN", admin), ("INHERIT", inherit), ("SET", can_set)):
                if on:
                    held.add(("member of", granted, option))
        cursor.execute(
            """
            with me as (select oid from pg_roles where rolname = %(role)s),
            acl (kind, name, acl, owner) as (
              select 'database', '<current>',
                     coalesce(d.datacl, acldefault('d', d.datdba)), d.datdba
                from pg_database d where d.datname = current_database()
              union all
              select 'schema', n.nspname::text,
                     coalesce(n.nspacl, acldefault('n', n.nspowner)), n.nspowner
                from pg_namespace n where n.nspname = any(%(schemas)s)
              union all
              select 'table', n.nspname || '.' || c.relname,
                     coalesce(c.relacl, acldefault(
                       case c.relkind when 'S' then 's' else 'r' end::"char", c.relowner)),
                     c.relowner
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = any(%(schemas)s) and c.relkind in ('r', 'v', 'm', 'p', 'S', 'f')
              union all
              select 'column', n.nspname || '.' || c.relname || '.' || a.attname, a.attacl,
                     c.relowner
                from pg_attribute a join pg_class c on c.oid = a.attrelid
                join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = any(%(schemas)s) and a.attacl is not null
              union all
              select 'function', n.nspname || '.' || p.proname || '('
                       || pg_get_function_identity_arguments(p.oid) || ')',
                     coalesce(p.proacl, acldefault('f', p.proowner)), p.proowner
                from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                where n.nspname = any(%(schemas)s) and n.nspname <> 'extensions'
              union all
              select 'type', t.typnamespace::regnamespace || '.' || t.typname,
                     coalesce(t.typacl, acldefault('T', t.typowner)), t.typowner
                from pg_type t
              union all
              select 'language', l.lanname::text,
                     coalesce(l.lanacl, acldefault('l', l.lanowner)), l.lanowner
                from pg_language l
            )
            select acl.kind, acl.name, a.privilege_type, a.grantee = 0
            from acl cross join lateral aclexplode(acl.acl) a, me
            where a.grantee = me.oid or a.grantee = 0
            union all
            select 'owns', acl.name, 'OWNER', false from acl, me where acl.owner = me.oid
            """,
            {"role": CONSOLE_ROLE, "schemas": list(PROJECT_SCHEMAS)},
        )
        for kind, name, privilege, public in cursor.fetchall():
            if kind in ("type", "language") and public:
                continue  # PUBLIC's usage of built-in types and the SQL languages
            held.add((kind, name, privilege))
        # Functions in `extensions` (pg_trgm's, PUBLIC's by their extension script) count
        # only when granted to the role itself.
        cursor.execute(
            "select n.nspname || '.' || p.proname || '('"
            " || pg_get_function_identity_arguments(p.oid) || ')', a.privilege_type"
            " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
            " cross join lateral aclexplode(p.proacl) a"
            " where n.nspname = 'extensions' and a.grantee = %s::regrole",
            [CONSOLE_ROLE],
        )
        held.update(("function", name, privilege) for name, privilege in cursor.fetchall())
        cursor.execute(
            "select d.defaclrole::regrole::text, d.defaclobjtype, d.defaclnamespace,"
            " a.privilege_type from pg_default_acl d"
            " cross join lateral aclexplode(d.defaclacl) a"
            " where a.grantee = %s::regrole or d.defaclrole = %s::regrole",
            [CONSOLE_ROLE, CONSOLE_ROLE],
        )
        kinds = {"r": "tables", "S": "sequences", "f": "functions", "T": "types", "n": "schemas"}
        for owner, objtype, namespace, privilege in cursor.fetchall():
            cursor.execute("select %s::oid::regnamespace::text", [namespace])
            where = f" in {cursor.fetchone()[0]}" if namespace else " everywhere"
            held.add(("default", f"{owner}: {kinds[objtype]}{where}", privilege))
        if version >= 150000:
            cursor.execute(
                "select p.parname, a.privilege_type from pg_parameter_acl p"
                " cross join lateral aclexplode(p.paracl) a where a.grantee = %s::regrole",
                [CONSOLE_ROLE],
            )
            held.update(("parameter", name, privilege) for name, privilege in cursor.fetchall())
    return held


def test_the_console_role_holds_exactly_the_reviewed_privileges():
    held = console_privileges()
    assert held - REVIEWED_CONSOLE_PRIVILEGES == set(), "privileges nobody reviewed"
    assert REVIEWED_CONSOLE_PRIVILEGES - held == set(), "reviewed privileges it no longer holds"


def test_the_privilege_list_sees_a_new_grant():
    """The comparison above is only as good as the catalog read: a grant of any kind shows."""
    with connection.cursor() as cursor:
        cursor.execute("create table private.probe_grant (id int, secret text)")
        cursor.execute(f"grant select on private.probe_grant to {CONSOLE_ROLE}")
        cursor.execute(f"grant update (secret) on private.probe_grant to {CONSOLE_ROLE}")
        cursor.execute("create function private.probe_fn() returns int language sql as 'select 1'")
        cursor.execute(f"grant execute on function private.probe_fn() to {CONSOLE_ROLE}")
        cursor.execute(f"grant service_role to {CONSOLE_ROLE}")
        try:
            added = console_privileges() - REVIEWED_CONSOLE_PRIVILEGES
        finally:
            cursor.execute(f"revoke service_role from {CONSOLE_ROLE}")
            cursor.execute("drop table private.probe_grant")
            cursor.execute("drop function private.probe_fn()")
    assert {
        ("table", "private.probe_grant", "SELECT"),
        ("column", "private.probe_grant.secret", "UPDATE"),
        ("function", "private.probe_fn()", "EXECUTE"),
        ("member of", "service_role", "MEMBER"),
    } <= added
