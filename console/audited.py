"""The audited write: every create, update and delete in the console goes through here.

The database audits every write itself (the `audit_row_change` trigger on each data table,
supabase/migrations/20261127000200_audit_every_write.sql): one audit row per row written, in
the write's own transaction, with the caller from the JWT claims. What only the console knows
(client IP, user agent, an action name other than CREATE/UPDATE/DELETE) is handed to that
trigger in transaction-local settings just before the write. If the audit row cannot be
written the write is rolled back, and there is never an audit row without its write.

The trigger believes those settings only from the console's own sessions (its login role,
`billygoat_console`); the actor is always the caller of the claims in force, never a value
handed over.

`record()` writes an audit row for an event with no write of its own (LOGIN, EXPORT, BAN…),
through `private.console_audit_event`, which only the console's login role may call and
which names the caller of the claims in force (none: no actor), never an actor passed in
(supabase/migrations/20261208010000_audit_integrity.sql).
"""

import json
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction

from console.http import client_ip, user_agent
from console.rls import is_permission_error
from console.sqlstate import TIMED_OUT, sqlstate


class WriteFailed(Exception):
    """A write did not happen; `message` says why, in words for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WriteRefused(WriteFailed):
    """The database refused the write for this user (Row Level Security or a guard)."""


class AuditFailed(WriteFailed):
    """The audit row could not be written, so the write was rolled back."""


@dataclass(frozen=True)
class Actor:
    user_id: str | None
    ip_address: str | None
    user_agent: str

    @classmethod
    def from_request(cls, request) -> "Actor":
        user = getattr(request, "console_user", None)
        return cls(user.id if user else None, client_ip(request), user_agent(request))


def row_values(instance: models.Model) -> dict:
    """The row as JSON-ready values, keyed by column name."""
    values = {
        field.column: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


AUDIT_FAILED = "BGA01"  # the trigger's SQLSTATE when the audit row could not be written


def _hand_over_context(actor: Actor, action: str | None = None) -> None:
    """Tell the audit trigger where the request came from, for the writes that follow in this
    transaction (and the action name, for this write only: `_clear_action`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select set_config('billygoat.client_ip', %s, true),"
            " set_config('billygoat.user_agent', %s, true),"
            " set_config('billygoat.action', %s, true)",
            [actor.ip_address or "", actor.user_agent or "", action or ""],
        )


def _clear_action() -> None:
    with connection.cursor() as cursor:
        cursor.execute("select set_config('billygoat.action', '', true)")


def record(
    actor: Actor,
    action: str,
    table: str | None = None,
    record_id=None,
    old_values: dict | None = None,
    new_values: dict | None = None,
    *,
    claims: dict | None = None,
) -> None:
    """Write one audit row for an event with no write of its own. Inside a transaction it
    shares that transaction's fate.

    The row names the user of the claims in force: a signed-in request's, or `claims` (the
    verified claims of a user signing in or out, set for this call only, as console.rls
    does); with neither it names nobody (LOGIN_FAILED). `actor` gives the client's IP and
    user agent. The function is the console's login role's alone: inside a signed-in request
    the role goes back to it for this one call (the claims stay)."""
    if claims is None:
        _record(actor, action, table, record_id, old_values, new_values)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "select coalesce(current_setting('request.jwt.claims', true), ''),"
            " set_config('request.jwt.claims', %s, true)",
            [json.dumps(claims)],
        )
        previous = cursor.fetchone()[0]
        _record(actor, action, table, record_id, old_values, new_values)
        cursor.execute("select set_config('request.jwt.claims', %s, true)", [previous])


def _record(actor: Actor, action, table, record_id, old_values, new_values) -> None:
    encoder = DjangoJSONEncoder
    with connection.cursor() as cursor:
        cursor.execute("select current_setting('role'), set_config('role', 'none', true)")
        role = cursor.fetchone()[0]
        cursor.execute(
            "select private.console_audit_event("
            "%s, %s, %s, %s::jsonb, %s::jsonb, %s::inet, %s),"
            " set_config('role', %s, true)",
            [
                action,
                table,
                None if record_id is None else str(record_id),
                None if old_values is None else json.dumps(old_values, cls=encoder),
                None if new_values is None else json.dumps(new_values, cls=encoder),
                actor.ip_address,
                actor.user_agent,
                role,
            ],
        )


class _AuditedTransaction:
    """Runs the write, then the audit, in one atomic block; maps database errors to words."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.atomic.__exit__(exc_type, exc, tb)
        if exc is None:
            return False
        if isinstance(exc, ObjectDoesNotExist):
            raise WriteRefused(
                f"Could not {self.what}: it no longer exists, or your role may not change it."
            ) from exc
        if isinstance(exc, DatabaseError):
            if _connection_lost():
                return False  # not a refusal: the database went away; the 503 page says so
            if sqlstate(exc) in TIMED_OUT:
                return False  # the request took too long: RequestAsUserMiddleware says 503
            if sqlstate(exc) == AUDIT_FAILED:
                raise AuditFailed(
                    f"Could not {self.what}: the audit log did not accept the change, "
                    "so nothing was saved."
                ) from exc
            if is_permission_error(exc):
                raise WriteRefused(f"You are not allowed to {self.what}.") from exc
            raise WriteFailed(f"Could not {self.what}: the database refused the change.") from exc
        return False


def _connection_lost() -> bool:
    raw = connection.connection
    return raw is None or bool(getattr(raw, "closed", False))


def create(actor: Actor, model: type[models.Model], *, action: str | None = None, **values):
    """Insert a row; the trigger writes its audit row (CREATE, or `action`)."""
    with _AuditedTransaction(f"create this {model._meta.verbose_name}"):
        _hand_over_context(actor, action)
        instance = model(**values)
        instance.save(force_insert=True)
        instance.refresh_from_db()
        if action:
            _clear_action()
    return instance


def update(actor: Actor, instance: models.Model, *, action: str | None = None, **changes):
    """Apply `changes` to the row as it is now in the database (locked while we change it);
    the trigger writes the audit row with the columns that changed (none changed: no row)."""
    model = type(instance)
    with _AuditedTransaction(f"update this {model._meta.verbose_name}"):
        current = model._default_manager.select_for_update().get(pk=instance.pk)
        _hand_over_context(actor, action)
        for name, value in changes.items():
            setattr(current, name, value)
        current.save(update_fields=list(changes) or None)
        current.refresh_from_db()
        if action:
            _clear_action()
    return current


def delete(actor: Actor, instance: models.Model, *, action: str | None = None) -> None:
    model = type(instance)
    with _AuditedTransaction(f"delete this {model._meta.verbose_name}"):
        current = model._default_manager.select_for_update().get(pk=instance.pk)
        _hand_over_context(actor, action)
        deleted, _ = model._default_manager.filter(pk=current.pk).delete()
        if not deleted:
            raise WriteRefused(f"You are not allowed to delete this {model._meta.verbose_name}.")
        if action:
            _clear_action()
