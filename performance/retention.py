"""Retention for the tables that grow for ever: a dry run (how many rows would go) and the run
itself, in batches of BATCH rows, one transaction each when the caller is not already in one
(the `apply_retention` command), audited as one RETENTION row with the counts.

The database does the deleting (private.apply_retention_batch, 20261127160100_retention.sql):
it refuses anyone but an admin or the console's own connection, and it is the only way rows
leave audit_logs (append-only for everyone else), never a RETENTION row."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from console import audited
from performance.models import RetentionPolicy

BATCH = 5_000
# A browser request runs in one transaction: it deletes at most this many batches and says
# how many rows remain (the command has no limit).
BROWSER_BATCHES = 40
TABLES = ("system_performance_logs", "audit_logs")


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
    table: str, keep_days: int, *, batch: int = BATCH, max_batches: int | None = None
) -> Outcome:
    """Delete in batches until a batch comes back short (or max_batches)."""
    deleted = batches = 0
    complete = False
    while max_batches is None or batches < max_batches:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "select private.apply_retention_batch(%s, %s, %s)", [table, keep_days, batch]
            )
            count = cursor.fetchone()[0]
        batches += 1
        deleted += count
        if count < batch:
            complete = True
            break
    return Outcome(table, keep_days, deleted, batches, complete)


def record(actor: audited.Actor, policy: RetentionPolicy, outcome: Outcome) -> None:
    """The run's RETENTION audit row and the policy's last run, in one transaction."""
    counts = outcome.counts()
    with transaction.atomic():
        audited.record(actor, "RETENTION", outcome.table, None, None, counts)
        RetentionPolicy.objects.filter(pk=policy.pk).update(
            last_run=timezone.now(), last_counts=counts
        )


def run(actor: audited.Actor, policy: RetentionPolicy, **kwargs) -> Outcome:
    outcome = apply(policy.table_name, policy.keep_days, **kwargs)
    record(actor, policy, outcome)
    return outcome
