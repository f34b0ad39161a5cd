"""Retention for the tables that grow for ever: a dry run (how many rows would go) and the run
itself, in batches of BATCH rows, one transaction each when the caller is not already in one
(the `apply_retention` command).

The database does the deleting (private.apply_retention_batch,
20261208010000_audit_integrity.sql): it refuses anyone but an admin or the console's own
connection, deletes by the saved policy only (refused while it is disabled, its days, never
the caller's) and writes each batch's RETENTION row with its counts in the batch's own
transaction; it is the only way rows leave audit_logs (append-only for everyone else), never a
RETENTION row. A dry run counts for any number of days: it deletes nothing."""

from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from console import audited
from console.sqlstate import sqlstate
from performance.models import RetentionPolicy

BATCH = 5_000
# A browser request runs in one transaction: it deletes at most this many batches and says
# how many rows remain (the command has no limit).
BROWSER_BATCHES = 40
TABLES = ("system_performance_logs", "audit_logs")
POLICY_DISABLED = "BGR01"  # the function's SQLSTATE: the saved policy is disabled


class PolicyDisabled(Exception):
    """The saved policy is disabled (perhaps since the page was shown): nothing was deleted."""


@dataclass
class Preview:
    table: str
    keep_days: int
    rows: int
    oldest: datetime | None

    @property
    def cutoff(self) -> datetime:
        return timezone.now() - timezone.timedelta(days=self.keep_days)


@dataclass
class Outcome:
    table: str
    keep_days: int
    deleted: int
    batches: int
    complete: bool  # nothing older than the cutoff is left

    def counts(self) -> dict:
        return {
            "deleted": self.deleted,
            "batches": self.batches,
            "keep_days": self.keep_days,
            "complete": self.complete,
        }


def preview(table: str, keep_days: int) -> Preview:
    with connection.cursor() as cursor:
        cursor.execute("select * from private.retention_preview(%s, %s)", [table, keep_days])
        rows, oldest = cursor.fetchone()
    return Preview(table, keep_days, rows, oldest)


def apply(
    actor: audited.Actor,
    policy: RetentionPolicy,
    *,
    batch: int = BATCH,
    max_batches: int | None = None,
) -> Outcome:
    """Delete in batches until a batch comes back short (or max_batches). The days are the
    saved policy's, read by the database; `policy.keep_days` only names them here."""
    deleted = batches = 0
    complete = False
    while max_batches is None or batches < max_batches:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "select set_config('billygoat.client_ip', %s, true),"
                    " set_config('billygoat.user_agent', %s, true)",
                    [actor.ip_address or "", actor.user_agent or ""],
                )
                cursor.execute(
                    "select private.apply_retention_batch(%s, %s)", [policy.table_name, batch]
                )
                count = cursor.fetchone()[0]
        except DatabaseError as exc:
            if sqlstate(exc) == POLICY_DISABLED:
                raise PolicyDisabled(policy.table_name) from exc
            raise
        batches += 1
        deleted += count
        if count < batch:
            complete = True
            break
    return Outcome(policy.table_name, policy.keep_days, deleted, batches, complete)


def record(policy: RetentionPolicy, outcome: Outcome) -> None:
    """The policy's last run (each batch wrote its own RETENTION row)."""
    RetentionPolicy.objects.filter(pk=policy.pk).update(
        last_run=timezone.now(), last_counts=outcome.counts()
    )


def run(actor: audited.Actor, policy: RetentionPolicy, **kwargs) -> Outcome:
    outcome = apply(actor, policy, **kwargs)
    record(policy, outcome)
    return outcome
