"""`db_migrate --check`, the public functions: the console's six (seed Part 1.2) and every
overload a live project holds beside them, with what adoption does to each. Used by
console/preflight.py; the overloads of the audit functions are handled by
supabase/migrations/20261208040000_adoption_leftovers.sql.
"""

import json
import re
from dataclasses import dataclass

from console import conversions, schema

# public functions: name → (identity arguments, result type)
FUNCTIONS = {
    "is_admin": ("", "boolean"),
    "is_common_password": ("password text", "boolean"),
    "validate_password_strength": ("password text", "boolean"),
    "log_audit_event": (
        "p_action text, p_table_name text, p_record_id text, p_old_values jsonb, "
        "p_new_values jsonb",
        "void",
    ),
    "system_insert_audit_log": (
        "p_user_id uuid, p_action text, p_table_name text, p_record_id text, "
        "p_old_values jsonb, p_new_values jsonb, p_ip_address inet, p_user_agent text",
        "void",
    ),
    "promote_user_to_admin": ("user_email text", "void"),
}

# The audit functions: an overload the console does not define is revoked from the API roles
# by this migration (a security-definer one would let a client write rows in any name).
AUDIT_FUNCTIONS = ("log_audit_event", "system_insert_audit_log")
LEFTOVERS_MIGRATION = "20261208040000"
# How many leading arguments a call of the console's version needs (the rest have defaults).
_REQUIRED_ARGS = {"log_audit_event": 1, "system_insert_audit_log": 2}


def legacy_admins(db) -> list[str]:
    """Emails of users the database's current is_admin() recognises (asked with the claims
    Supabase Auth would give them) whose profile does not say admin."""
    found = []
    for user_id, email, app_meta, user_meta in db.rows(
        "select u.id, u.email, u.raw_app_meta_data, u.raw_user_meta_data from auth.users u"
        " where u.deleted_at is null order by u.email"
    ):
        claims = {
            "sub": str(user_id),
            "email": email,
            "role": "authenticated",
            "aud": "authenticated",
            "app_metadata": app_meta or {},
            "user_metadata": user_meta or {},
        }
        db.conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
        is_admin = db.one("select public.is_admin()")
        role = db.one("select role from public.profiles where id = %s", [user_id])
        if is_admin and role != "admin":
            found.append(email)
    db.conn.execute("select set_config('request.jwt.claims', '', true)")
    return found


@dataclass
class _Function:
    name: str
    args: str
    result: str
    source: str
    security_definer: bool
    owner: str
    owned: bool  # the migrating role may alter it (its owner or a member of the owner)
    api_executable: list[str]  # anon, authenticated: those that may execute it
    arg_types: list[str]
    defaults: int

    @property
    def signature(self) -> str:
        return f"public.{conversions.quote(self.name)}({self.args})"

    def owner_fix(self, user: str) -> str:
        return (
            f"belongs to {self.owner}, so the migration, as {user}, cannot alter it: as "
            f"{self.owner} (on a hosted project, Supabase support), run `alter function "
            f"{self.signature} owner to {conversions.quote(user)};`"
        )


def _live_functions(db) -> dict[str, list[_Function]]:
    live: dict[str, list[_Function]] = {}
    for row in db.rows(
        "select p.proname, pg_get_function_identity_arguments(p.oid),"
        " format_type(p.prorettype, null), p.prosrc, p.prosecdef, p.proowner::regrole::text,"
        " pg_has_role(current_user, p.proowner, 'USAGE'),"
        " array(select r.rolname::text from pg_roles r"
        "   where r.rolname in ('anon', 'authenticated')"
        "   and has_function_privilege(r.oid, p.oid, 'execute') order by 1),"
        " array(select format_type(t, null) from unnest(p.proargtypes::oid[])"
        "   with ordinality a (t, n) order by n),"
        " p.pronargdefaults"
        " from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname = any(%s)"
        " order by 1, 2",
        [list(FUNCTIONS)],
    ):
        function = _Function(*row)
        live.setdefault(function.name, []).append(function)
    return live


def check_functions(db, report, adopting: bool, leftovers_pending: bool) -> None:
    """The console's public functions, and every overload of them, in the report."""
    user = db.one("select current_user")
    live = _live_functions(db)
    for name, (args, result) in FUNCTIONS.items():
        versions = live.get(name, [])
        for other in versions:
            if other.args != args:
                _overload(report, other, result, adopting, leftovers_pending, user)
        same = [v for v in versions if v.args == args]
        if not same:
            report.changes.append(f"creates function {name}({args})")
            continue
        console = same[0]
        if not console.owned:
            report.blockers.append(f"function {console.signature} {console.owner_fix(user)}")
        elif console.result != result:
            report.changes.append(
                f"drops and recreates {name}(): returns {console.result}, the console's {result}"
            )
        elif name == "is_admin" and "private.app_role" not in console.source:
            admins = legacy_admins(db) if adopting and db.exists("public.profiles") else []
            how = "app_metadata" if "app_metadata" in console.source else "the old rule"
            kept = f"makes {', '.join(admins)} admin" if admins else "no one else to make admin"
            report.changes.append(
                f"replaces is_admin(): keeps admins recognised by {how} ({kept}), then reads "
                "the profile's role only"
            )
        elif not _is_console_function(name, console.source):
            report.changes.append(f"replaces {name}() with the console's")
        else:
            report.ok.append(f"function {name}({args})")


def _overload(report, function: _Function, result, adopting, leftovers_pending, user) -> None:
    """What adoption does with an overload the console does not define: one whose result
    differs is dropped (the adoption migration, step 7); one of the audit functions is kept
    but made executable by no API client (20261208040000_adoption_leftovers.sql)."""
    what = f"{function.name}({function.args})"
    kind = "security definer" if function.security_definer else "security invoker"
    if adopting and function.result != result:
        if function.owned:
            report.changes.append(
                f"drops {what}, an overload returning {function.result} (the console's "
                f"{function.name} returns {result})"
            )
        else:
            report.blockers.append(f"{what}, which adoption drops, {function.owner_fix(user)}")
        return
    if function.name not in AUDIT_FUNCTIONS:
        report.ok.append(f"keeps {what}, an overload the console does not use")
        return
    counts = _ambiguous_counts(function)
    drop = f"`drop function {function.signature};`"
    if len(FUNCTIONS[function.name][0].split(", ")) in counts:
        # The console's own call (and the audit trigger's) would be refused.
        report.blockers.append(
            f"{what}, an overload of the audit function, matches every call of the console's "
            f'{function.name} as well (PostgreSQL refuses them as "not unique"): drop it if '
            f"nothing calls it ({drop}), or rename it"
        )
        return
    note = (
        f"; calls with {' or '.join(map(str, counts))} "
        f"{'argument' if counts == [1] else 'arguments'} match it and the console's "
        f'{function.name} alike (refused as "not unique"): drop it if nothing calls it ({drop})'
        if counts
        else ""
    )
    callers = " and ".join(function.api_executable)
    if not callers:
        report.ok.append(
            f"keeps {what}, an overload of the audit function the console does not define "
            f"({kind}): executable by neither anon nor authenticated{note}"
        )
        return
    revoke = f"revoke all on function {function.signature} from public, anon, authenticated;"
    if not function.owned:
        report.blockers.append(
            f"{what} ({kind}), executable by {callers}, {function.owner_fix(user)} (or, as "
            f"{function.owner}, `{revoke}`)"
        )
    elif leftovers_pending:
        why = (
            ": it runs with its owner's rights, so a client could forge audit rows through it"
            if function.security_definer
            else ""
        )
        report.changes.append(
            f"revokes {what} ({kind}, executable by {callers}) from public, anon and "
            f"authenticated{why}; it stays, for its owner and service_role{note}"
        )
    else:
        report.blockers.append(
            f"{what} ({kind}), an overload of the audit function the console does not define, "
            f"is executable by {callers} again: `{revoke}`"
        )


def _ambiguous_counts(function: _Function) -> list[int]:
    """The argument counts for which a positional call matches both this overload and the
    console's version with the same argument types (PostgreSQL then refuses the call)."""
    console_types = [arg.split(" ", 1)[1] for arg in FUNCTIONS[function.name][0].split(", ")]
    own_required = len(function.arg_types) - function.defaults
    lowest = max(_REQUIRED_ARGS[function.name], own_required)
    highest = min(len(console_types), len(function.arg_types))
    return [n for n in range(lowest, highest + 1) if function.arg_types[:n] == console_types[:n]]


def _is_console_function(name: str, source: str) -> bool:
    """The body is one of the console's (the last migration defining it wins)."""
    body = None
    pattern = re.compile(
        rf"create or replace function public\.{name}\(.*?\$\$(.*?)\$\$", re.S | re.I
    )
    for migration in schema.migrations():
        for match in pattern.finditer(migration.sql):
            body = match.group(1)
    return body is not None and " ".join(body.split()) == " ".join(source.split())
