"""`db_migrate --check`: what applying the schema would do to this database, before it does.

It reads the live catalog (tables, column types and defaults, constraints, policies,
triggers, functions, the migration history) and the few rows that decide data steps, and
sorts what it finds in three parts: already as the console expects, what applying will
change (object by object), and what blocks (with counts and example ids). It changes
nothing: everything runs in one transaction that is rolled back.

The expectations mirror supabase/migrations (the adoption steps of
20261122000000_adopt_existing_backend.sql in particular); tests run the check on a freshly
migrated database and on an adopted legacy one and expect no change left, which keeps the
two in step. The public functions and their overloads are console/preflight_functions.py;
which column types convert, and how, console/conversions.py.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings

from console import conversions, schema
from console.preflight_functions import LEFTOVERS_MIGRATION, check_functions

CONSOLE_ROLE = "billygoat_console"
ROLES = ("admin", "editor", "auditor", "viewer", "user")
TIMESTAMPTZ = conversions.TIMESTAMPTZ

# table → column → (type, default, not null): the console's tables as the migrations leave
# them. Columns a project has beyond these are kept.
TABLES: dict[str, dict[str, tuple[str, str | None, bool]]] = {
    "profiles": {
        "id": ("uuid", None, True),
        "email": ("text", None, True),
        "display_name": ("text", None, False),
        "role": ("text", None, False),
        "created_at": (TIMESTAMPTZ, "now()", True),
        "updated_at": (TIMESTAMPTZ, "now()", True),
    },
    "ai_agents": {
        "id": ("uuid", "gen_random_uuid()", True),
        "name": ("text", None, True),
        "type": ("text", None, True),
        "status": ("text", "'active'::text", False),
        "is_active": ("boolean", "true", False),
        "configuration": ("jsonb", None, False),
        "performance_metrics": ("jsonb", None, False),
        "last_activity": (TIMESTAMPTZ, None, False),
        "created_at": (TIMESTAMPTZ, "now()", False),
        "updated_at": (TIMESTAMPTZ, "now()", False),
    },
    "crew_nuclear_system": {
        "id": ("uuid", "gen_random_uuid()", True),
        "crew_name": ("text", None, True),
        "crew_type": ("text", None, True),
        "status": ("text", "'pending'::text", False),
        "is_active": ("boolean", "true", False),
        "configuration": ("jsonb", None, False),
        "performance_data": ("jsonb", None, False),
        "last_execution": (TIMESTAMPTZ, None, False),
        "created_at": (TIMESTAMPTZ, "now()", False),
        "updated_at": (TIMESTAMPTZ, "now()", False),
    },
    "knowledge_base_entries": {
        "id": ("uuid", "gen_random_uuid()", True),
        "title": ("text", None, True),
        "content": ("text", None, True),
        "category": ("text", None, False),
        "tags": ("text[]", None, False),
        "metadata": ("jsonb", None, False),
        "is_active": ("boolean", "true", False),
        "created_by": ("uuid", None, False),
        "created_at": (TIMESTAMPTZ, "now()", False),
        "updated_at": (TIMESTAMPTZ, "now()", False),
    },
    "deployment_packages": {
        "id": ("uuid", "gen_random_uuid()", True),
        "name": ("text", None, True),
        "package_type": ("text", None, True),
        "version": ("text", None, True),
        "status": ("text", None, False),
        "configuration": ("jsonb", None, False),
        "deployment_data": ("jsonb", None, False),
        "created_by": ("uuid", None, False),
        "created_at": (TIMESTAMPTZ, "now()", False),
        "deployed_at": (TIMESTAMPTZ, None, False),
        "updated_at": (TIMESTAMPTZ, "now()", False),
        "status_reason": ("text", None, False),
        "was_deployed": ("boolean", "false", True),
    },
    "audit_logs": {
        "id": ("uuid", "gen_random_uuid()", True),
        "user_id": ("uuid", None, False),
        "action": ("text", None, True),
        "table_name": ("text", None, False),
        "record_id": ("text", None, False),
        "old_values": ("jsonb", None, False),
        "new_values": ("jsonb", None, False),
        "ip_address": ("inet", None, False),
        "user_agent": ("text", None, False),
        "created_at": (TIMESTAMPTZ, "now()", True),
        "actor_email": ("text", None, False),
    },
    "system_performance_logs": {
        "id": ("uuid", "gen_random_uuid()", True),
        "system_id": ("text", None, False),
        "system_type": ("text", None, True),
        "metrics": ("jsonb", None, True),
        "timestamp": (TIMESTAMPTZ, "now()", False),
        "created_by": ("uuid", None, False),
    },
}

_OPERATOR_TABLES = ("ai_agents", "crew_nuclear_system", "system_performance_logs")
_COMMANDS = ("select", "insert", "update", "delete")
# The aal2 policies (restrictive: they only take access away) are the console's too.
_AAL2 = ("insert_aal2", "update_aal2", "delete_aal2")
POLICIES: dict[str, set[str]] = {
    "profiles": {f"profiles_{c}" for c in (*_COMMANDS, *_AAL2)},
    "knowledge_base_entries": {f"kb_{c}" for c in (*_COMMANDS, *_AAL2)},
    **{
        t: {f"{t}_{c}" for c in (*_COMMANDS, *_AAL2)}
        for t in (*_OPERATOR_TABLES, "deployment_packages")
    },
    "audit_logs": {"audit_logs_select"},
}

# (schema, table, trigger) → the function it runs
TRIGGERS = {
    ("auth", "users", "on_auth_user_created"): "private.handle_new_user",
    ("public", "audit_logs", "audit_logs_append_only"): "private.refuse_audit_change",
    ("public", "audit_logs", "audit_logs_actor_email"): "private.snapshot_actor_email",
}

EXAMPLES = 5


@dataclass
class Preflight:
    ok: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    title: str = ""

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)

    def render(self) -> str:
        lines = [self.title, ""] if self.title else []
        for heading, marker, items in (
            ("Already as the console expects", "=", self.ok),
            ("Applying will change", "~", self.changes),
            ("Blocks", "!", self.blockers),
        ):
            lines.append(f"{heading} ({len(items)}):")
            lines.extend(f"  {marker} {item}" for item in items)
            if not items:
                lines.append("  (nothing)")
            lines.append("")
        if self.blocked:
            lines.append("Something blocks: fix it, then run `db_migrate --check` again.")
        elif self.changes:
            lines.append("Nothing blocks: `python manage.py db_migrate` applies the changes.")
        else:
            lines.append("Nothing to do.")
        return "\n".join(lines)


def _examples(rows) -> str:
    shown = ", ".join(str(r[0]) for r in rows[:EXAMPLES])
    return shown + (", …" if len(rows) > EXAMPLES else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class _Catalog:
    def __init__(self, conn):
        self.conn = conn

    def rows(self, sql: str, params=None) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params=None):
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def exists(self, name: str) -> bool:
        return self.one("select to_regclass(%s) is not null", [name])

    def valid_as(self) -> str:
        """SQL of a function (value text, type text) → is the value valid input of the type:
        pg_input_is_valid from PostgreSQL 16, before it the cast itself in a temporary
        function (dropped with the check's rolled-back transaction)."""
        if self.one("select current_setting('server_version_num')::int") >= 160000:
            return "pg_input_is_valid"
        self.conn.execute(_VALID_AS_BEFORE_16)
        return "pg_temp.console_valid_as"


_VALID_AS_BEFORE_16 = """
create or replace function pg_temp.console_valid_as(p_value text, p_type text)
returns boolean language plpgsql as $$
begin
  execute format('select %L::%s', p_value, p_type::regtype);
  return true;
exception when others then
  return false;
end
$$"""


def inspect(connection) -> Preflight:
    """The report for this database. Runs in a transaction that is always rolled back."""
    conn = schema.raw_connection(connection)
    report = Preflight()
    with conn.transaction(force_rollback=True):
        db = _Catalog(conn)
        db.conn.execute("select set_config('lock_timeout', '2s', true)")
        report.title = _title(db)
        adopting = db.one("select to_regprocedure('private.app_role()') is null")
        applied = _history(db, report)
        _owners(db, report)
        for table in TABLES:
            _table(db, report, table, adopting)
        _profiles(db, report, adopting)
        _audit_foreign_keys(db, report)
        check_functions(db, report, adopting, leftovers_pending=LEFTOVERS_MIGRATION not in applied)
        _triggers(db, report)
        _console_role(db, report)
        _mfa_adoption(db, report)
    return report


def _title(db) -> str:
    database, user, version = db.rows(
        "select current_database(), current_user, current_setting('server_version')"
    )[0]
    return f"Database {database} as {user} (PostgreSQL {version})"


def _history(db, report: Preflight) -> set[str]:
    """Reports the migration history; returns the versions applied already."""
    local = schema.migrations()
    applied = schema.applied_versions(db.conn)
    legacy = schema.legacy_versions(db.conn)
    if applied is None:
        report.changes.append(
            f"creates {schema.HISTORY_TABLE}, the Supabase CLI's migration history"
            + (
                f", with the {len(legacy)} versions of {schema.LEGACY_HISTORY_TABLE}"
                if legacy
                else ""
            )
        )
        applied = set()
    else:
        report.ok.append(f"migration history: {schema.HISTORY_TABLE}")
    applied |= legacy
    pending = [m for m in local if m.version not in applied]
    remote_only = sorted(applied - {m.version for m in local})
    if pending:
        names = ", ".join(m.path.stem for m in pending)
        report.changes.append(f"applies {_plural(len(pending), 'migration')}: {names}")
    else:
        report.ok.append(f"all {len(local)} migrations applied")
    if remote_only:
        report.changes.append(
            f"keeps {_plural(len(remote_only), 'remote migration')} the local folder lacks "
            f"({', '.join(remote_only[:EXAMPLES])}): `supabase db push` refuses them until "
            "`supabase migration repair` or `supabase db pull` (see README)"
        )
    return applied


def _owners(db, report: Preflight) -> None:
    """The migrations alter the seven tables: only their owner (or a member of the owning
    role) may. Tables an older dashboard made belong to supabase_admin, which the project's
    postgres is not a member of; no migration can take them over, their owner must hand them
    on."""
    foreign = db.rows(
        "select c.relname, c.relowner::regrole::text, current_user,"
        " format('alter table public.%%I owner to %%I;', c.relname, current_user)"
        " from pg_class c where c.relnamespace = 'public'::regnamespace"
        " and c.relname = any(%s) and c.relkind in ('r', 'p')"
        " and not pg_has_role(current_user, c.relowner, 'USAGE') order by c.relname",
        [list(TABLES)],
    )
    for table, owner, user, fix in foreign:
        report.blockers.append(
            f"table {table} belongs to {owner}, so the migration, as {user}, cannot alter it "
            f'(it would stop with "must be owner"): as {owner} (on a hosted project, '
            f"Supabase support), run `{fix}`, then check again"
        )
    if not foreign and db.exists("public.profiles"):
        report.ok.append(
            "owners of the tables: the migrating role or a role it is a member of, so the "
            "migrations can alter them"
        )


def _table(db, report: Preflight, table: str, adopting: bool) -> None:
    if not db.exists(f"public.{table}"):
        report.changes.append(f"creates table {table}")
        return
    live = {
        name: (typ, default, not_null)
        for name, typ, default, not_null in db.rows(
            "select a.attname, format_type(a.atttypid, a.atttypmod),"
            " pg_get_expr(d.adbin, d.adrelid), a.attnotnull"
            " from pg_attribute a left join pg_attrdef d"
            "   on d.adrelid = a.attrelid and d.adnum = a.attnum"
            " where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped",
            [f"public.{table}"],
        )
    }
    differences = 0
    for column, (typ, default, not_null) in TABLES[table].items():
        if column not in live:
            report.changes.append(f"adds column {table}.{column} ({typ})")
            differences += 1
            continue
        live_type, live_default, live_not_null = live[column]
        if live_type != typ:
            differences += 1
            _type_change(db, report, table, column, live_type, typ, not_null, adopting)
        if live_default != default:
            differences += 1
            report.changes.append(
                f"replaces default of {table}.{column}: "
                f"{live_default or 'none'} → {default or 'none'}"
            )
        if not_null and not live_not_null:
            differences += 1
            nulls = db.rows(
                f'select id from public."{table}" where "{column}" is null limit {EXAMPLES + 1}'
            )
            if nulls:
                count = db.one(f'select count(*) from public."{table}" where "{column}" is null')
                report.blockers.append(
                    f"{table}.{column} must not be null: {_plural(count, 'row')} without a "
                    f"value (ids {_examples(nulls)})"
                )
            else:
                report.changes.append(f"sets {table}.{column} not null")
        elif live_not_null and not not_null:
            differences += 1
            report.changes.append(f"drops not null on {table}.{column}")
    if not differences:
        report.ok.append(f"table {table}: columns, types and defaults")
    extra = sorted(set(live) - set(TABLES[table]))
    if extra and table != "knowledge_base_entries":
        report.ok.append(f"keeps the other columns of {table}: {', '.join(extra)}")
    _policies(db, report, table, adopting)


def _type_change(db, report, table, column, live_type, typ, not_null, adopting) -> None:
    """One rule, console.conversions: what converts without losing a value is a change,
    with its expression; anything else blocks, with SQL that fixes it."""
    step = conversions.conversion(live_type, typ)
    where = f"{table}.{column}"
    converted = adopting and (table, column) in conversions.adopted_columns()
    # A nullable column the adoption step adds back can keep its values under another name.
    keep = (
        f"keep its values under another name (`{conversions.rename_sql(table, column)}`; "
        f"adoption then adds an empty {column})"
        if converted and not not_null
        else None
    )
    if step is None:
        fix = f"`{conversions.alter_type_sql(table, column, typ, '<your expression>')}`"
        report.blockers.append(
            f"{where} is {live_type}; the console needs {typ}, and no conversion keeps every "
            f"value: convert it yourself ({fix})" + (f", or {keep}" if keep else "")
        )
        return
    expression = step.expression(column)
    if not converted:
        report.blockers.append(
            f"{where} is {live_type}, the console's {typ}, and no migration converts it on "
            f"this database: run `{conversions.alter_type_sql(table, column, typ, expression)}` "
            f"({step.words})"
        )
        return
    if step.valid_as:
        valid = db.valid_as()
        quoted = conversions.quote(column)
        bad_rows = (
            f"from public.{conversions.quote(table)} where {quoted} is not null"
            f" and not {valid}({quoted}::text, %s)"
        )
        bad = db.rows(f"select id {bad_rows} limit {EXAMPLES + 1}", [step.valid_as])
        if bad:
            count = db.one(f"select count(*) {bad_rows}", [step.valid_as])
            report.blockers.append(
                f"{where} ({live_type} → {typ}): {_plural(count, 'row')} cannot be converted "
                f"(ids {_examples(bad)}): correct {'it' if count == 1 else 'them'}"
                + (f", or {keep}" if keep else "")
            )
            return
    report.changes.append(
        f"converts {where} from {live_type} to {typ}: {step.words} (using {expression})"
    )


def _policies(db, report: Preflight, table: str, adopting: bool) -> None:
    rls = db.one(
        "select relrowsecurity from pg_class where oid = %s::regclass", [f"public.{table}"]
    )
    if not rls:
        report.changes.append(f"enables row level security on {table}")
    live = db.rows(
        "select policyname, permissive, roles::text, cmd, coalesce(qual, ''),"
        " coalesce(with_check, '') from pg_policies where schemaname = 'public'"
        " and tablename = %s order by policyname",
        [table],
    )
    expected = POLICIES[table]
    names = {row[0] for row in live}
    for name, permissive, roles, cmd, qual, check in live:
        if name in expected:
            continue
        condition = f"using ({qual})" if qual else f"with check ({check})"
        grantees = roles.strip("{}")
        what = (
            f"policy '{name}' on {table} "
            f"({permissive.lower()} {cmd.lower()} to {grantees}: {condition})"
        )
        if adopting:
            report.changes.append(f"drops {what}")
        else:
            report.blockers.append(
                f"{what} is not the console's: policies are OR-ed, so it adds access; "
                "drop it or give it one of the console's names"
            )
    missing = sorted(expected - names)
    if missing:
        report.changes.append(f"creates the policies of {table}: {', '.join(missing)}")
    elif rls:
        report.ok.append(f"row level security on {table}: {', '.join(sorted(expected))}")


def _profiles(db, report: Preflight, adopting: bool) -> None:
    if not db.exists("public.profiles") or not db.exists("auth.users"):
        return
    checks = db.rows(
        "select conname, pg_get_constraintdef(oid) from pg_constraint"
        " where conrelid = 'public.profiles'::regclass and contype = 'c'"
        " and pg_get_constraintdef(oid) like '%%role%%'"
    )
    wanted = set(ROLES)
    role_check_ok = False
    for name, definition in checks:
        values = set(re.findall(r"'([^']*)'", definition))
        if values == wanted:
            role_check_ok = True
            report.ok.append(f"check constraint {name}: {', '.join(ROLES)}")
        else:
            added, removed = wanted - values, values - wanted
            words = []
            if added:
                words.append("adds " + ", ".join(r for r in ROLES if r in added))
            if removed:
                words.append("removes " + ", ".join(sorted(removed)))
            report.changes.append(f"replaces check constraint {name}: {'; '.join(words)}")
    if not checks:
        report.changes.append(f"adds check constraint profiles_role_check: {', '.join(ROLES)}")
    if not role_check_ok:
        bad = db.rows(
            "select id, role from public.profiles where role is not null"
            " and role <> all(%s) limit %s",
            [list(ROLES), EXAMPLES + 1],
        )
        if bad:
            count = db.one(
                "select count(*) from public.profiles where role is not null and role <> all(%s)",
                [list(ROLES)],
            )
            report.blockers.append(
                f"profiles.role: {_plural(count, 'profile')} with a role the console does not know "
                f"({', '.join(sorted({r[1] for r in bad}))}; ids {_examples(bad)})"
            )

    fk = db.one(
        "select conname from pg_constraint where conrelid = 'public.profiles'::regclass"
        " and contype = 'f' and confrelid = 'auth.users'::regclass"
    )
    if fk:
        report.ok.append(f"foreign key {fk}: profiles.id → auth.users")
    else:
        orphans = db.rows(
            "select p.id from public.profiles p where not exists"
            f" (select 1 from auth.users u where u.id = p.id) limit {EXAMPLES + 1}"
        )
        if orphans:
            report.blockers.append(
                "profiles.id → auth.users: profiles without an auth user "
                f"(ids {_examples(orphans)}): delete them or restore the users"
            )
        else:
            report.changes.append("adds foreign key profiles_id_fkey: profiles.id → auth.users")

    if not adopting:
        return
    missing = db.rows(
        "select u.email from auth.users u where not exists"
        " (select 1 from public.profiles p where p.id = u.id) order by u.email"
    )
    if missing:
        report.changes.append(
            f"creates {_plural(len(missing), 'missing profile')}, with no role: "
            f"{_examples(missing)}"
        )
    else:
        report.ok.append("every auth user has a profile")
    end_users = db.one("select count(*) from public.profiles where role = 'user'")
    if end_users:
        report.changes.append(
            f"{_plural(end_users, 'profile')} with the legacy role 'user' get no console access "
            "(they are the app's end users)"
        )


def _audit_foreign_keys(db, report: Preflight) -> None:
    if not db.exists("public.audit_logs"):
        return
    keys = db.rows(
        "select conname, pg_get_constraintdef(oid) from pg_constraint"
        " where conrelid = 'public.audit_logs'::regclass and contype = 'f'"
    )
    for name, definition in keys:
        report.changes.append(
            f"drops foreign key {name} ({definition}): audit rows are append-only, so the key's "
            "update on deleting a user would fail; rows keep the id and the actor's email"
        )
    if not keys:
        report.ok.append("audit_logs.user_id has no foreign key: deleting a user keeps its rows")
    if not _column_exists(db, "audit_logs", "actor_email"):
        count = db.one("select count(*) from public.audit_logs where user_id is not null")
        if count:
            report.changes.append(
                f"records the actor's email in {_plural(count, 'existing audit row')}"
            )


def _column_exists(db, table: str, column: str) -> bool:
    return db.one(
        "select exists (select 1 from pg_attribute where attrelid = %s::regclass"
        " and attname = %s and not attisdropped)",
        [f"public.{table}", column],
    )


def _triggers(db, report: Preflight) -> None:
    for (schema_name, table, trigger), function in TRIGGERS.items():
        if not db.exists(f"{schema_name}.{table}"):
            continue
        live = db.one(
            "select n.nspname || '.' || p.proname from pg_trigger t"
            " join pg_proc p on p.oid = t.tgfoid join pg_namespace n on n.oid = p.pronamespace"
            " where t.tgrelid = %s::regclass and t.tgname = %s and not t.tgisinternal",
            [f"{schema_name}.{table}", trigger],
        )
        if live == function:
            report.ok.append(f"trigger {trigger} on {schema_name}.{table}")
        elif live is None:
            report.changes.append(f"creates trigger {trigger} on {schema_name}.{table}")
        else:
            note = (
                " (new users get a profile with no role)"
                if trigger == "on_auth_user_created"
                else ""
            )
            report.changes.append(
                f"replaces trigger {trigger} on {schema_name}.{table}: runs {function}() instead "
                f"of {live}(){note}"
            )


def _console_role(db, report: Preflight) -> None:
    row = db.rows(
        "select rolcanlogin, rolsuper, rolbypassrls from pg_roles where rolname = %s",
        [CONSOLE_ROLE],
    )
    if not row:
        report.changes.append(
            f"creates the login role {CONSOLE_ROLE} (no BYPASSRLS; set its password, see README)"
        )
    elif row[0][1] or row[0][2]:
        report.blockers.append(f"role {CONSOLE_ROLE} is superuser or has BYPASSRLS: alter it")
    else:
        report.ok.append(f"login role {CONSOLE_ROLE}: not superuser, no BYPASSRLS")


def _mfa_adoption(db, report: Preflight) -> None:
    """Who MFA_REQUIRED_ROLES will ask for a second factor at their next write, so that
    turning it on locks nobody out by surprise (they enrol at /users/me/mfa/)."""
    roles = sorted(settings.MFA_REQUIRED_ROLES)
    if not roles:
        report.ok.append("MFA_REQUIRED_ROLES is empty: no role needs a second factor")
        return
    if not db.exists("public.profiles"):
        return
    factors = (
        " and not exists (select 1 from auth.mfa_factors f where f.user_id = p.id"
        " and f.status = 'verified')"
        if db.exists("auth.mfa_factors")
        else ""
    )
    rows = db.rows(
        "select p.email from public.profiles p join auth.users u on u.id = p.id"
        f" where p.role = any(%s) and u.deleted_at is null{factors} order by p.email",
        [roles],
    )
    if rows:
        report.changes.append(
            f"sets MFA_REQUIRED_ROLES ({', '.join(roles)}): {_plural(len(rows), 'user')} of "
            f"these roles {'has' if len(rows) == 1 else 'have'} no verified second factor yet "
            f"({_examples(rows)}); they can read, and their first write or users page asks them "
            "to add an authenticator app at /users/me/mfa/"
        )
    else:
        report.ok.append(f"every user of {', '.join(roles)} has a verified second factor")
