"""The audited write: every create, update and delete in the console goes through here.

Each write and its audit row (`system_insert_audit_log`: who, what, which record, old and new
values, client IP, user agent) happen in one transaction: if the audit call fails the write is
rolled back, and there is never an audit row without its write.
"""

import json
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction

from console.http import client_ip, user_agent
from console.rls import is_permission_error


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


def record(
    actor: Actor,
    action: str,
    table: str | None = None,
    record_id=None,
    old_values: dict | None = None,
    new_values: dict | None = None,
) -> None:
    """Write one audit row. Inside a write's transaction it shares that transaction's fate."""
    encoder = DjangoJSONEncoder
    with connection.cursor() as cursor:
        cursor.execute(
            "select public.system_insert_audit_log("
            "%s::uuid, %s, %s, %s, %s::jsonb, %s::jsonb, %s::inet, %s)",
            [
                actor.user_id,
                action,
                table,
                None if record_id is None else str(record_id),
                None if old_values is None else json.dumps(old_values, cls=encoder),
                None if new_values is None else json.dumps(new_values, cls=encoder),
                actor.ip_address,
                actor.user_agent,
            ],
        )


def _changed(old: dict, new: dict) -> tuple[dict, dict]:
    keys = [key for key in new if old.get(key) != new.get(key)]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


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
            if getattr(exc, "_audit", False):
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


def _audit(actor, action, table, record_id, old, new):
    try:
        record(actor, action, table, record_id, old, new)
    except DatabaseError as exc:
        exc._audit = True
        raise


def create(actor: Actor, model: type[models.Model], **values) -> models.Model:
    table = model._meta.db_table
    with _AuditedTransaction(f"create this {model._meta.verbose_name}"):
        instance = model(**values)
        instance.save(force_insert=True)
        instance.refresh_from_db()
        _audit(actor, "CREATE", table, instance.pk, None, row_values(instance))
    return instance


def update(actor: Actor, instance: models.Model, **changes) -> models.Model:
    """Apply `changes` to the row as it is now in the database (locked while we change it)."""
    model = type(instance)
    table = model._meta.db_table
    with _AuditedTransaction(f"update this {model._meta.verbose_name}"):
        current = model._default_manager.select_for_update().get(pk=instance.pk)
        before = row_values(current)
        for name, value in changes.items():
            setattr(current, name, value)
        current.save(update_fields=list(changes) or None)
        current.refresh_from_db()
        old, new = _changed(before, row_values(current))
        _audit(actor, "UPDATE", table, current.pk, old, new)
    return current


def delete(actor: Actor, instance: models.Model) -> None:
    model = type(instance)
    table = model._meta.db_table
    with _AuditedTransaction(f"delete this {model._meta.verbose_name}"):
        current = model._default_manager.select_for_update().get(pk=instance.pk)
        before = row_values(current)
        deleted, _ = model._default_manager.filter(pk=current.pk).delete()
        if not deleted:
            raise WriteRefused(f"You are not allowed to delete this {model._meta.verbose_name}.")
        _audit(actor, "DELETE", table, current.pk, before, None)
