"""Cleanup of old versions: drafts untouched for N days, and retired versions beyond the newest
K of each name (by semantic version). A dry run lists them; applying deletes each through the
audited write (one DELETE audit row each, with the row's values) and records one CLEANUP
audit row saying what was asked. The database allows deleting drafts and retired versions
only, whoever asks."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from console import audited
from deployments.models import Package, SemverKey, Status

DEFAULT_DAYS = 30
DEFAULT_KEEP = 10
TABLE = Package._meta.db_table


@dataclass
class Plan:
    days: int
    keep: int
    stale_drafts: list[Package]
    old_retired: list[Package]

    @property
    def packages(self) -> list[Package]:
        return self.stale_drafts + self.old_retired

    def __len__(self) -> int:
        return len(self.packages)


def plan(days: int = DEFAULT_DAYS, keep: int = DEFAULT_KEEP) -> Plan:
    cutoff = timezone.now() - timedelta(days=days)
    drafts = Package.objects.filter(status=Status.DRAFT, updated_at__lt=cutoff).order_by(
        "name", "updated_at", "id"
    )
    ranked = Package.objects.filter(status=Status.RETIRED).annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("name")],
            order_by=[SemverKey("version").desc(), F("created_at").desc()],
        )
    )
    # A window's result is filtered in an outer query (Django 4.2+ does that for us).
    retired = ranked.filter(rank__gt=keep).order_by("name", "created_at", "id")
    return Plan(days, keep, list(drafts), list(retired))


def apply(actor: audited.Actor, days: int = DEFAULT_DAYS, keep: int = DEFAULT_KEEP) -> Plan:
    """Delete what the plan lists, all or nothing."""
    with transaction.atomic():
        found = plan(days, keep)
        for package in found.packages:
            audited.delete(actor, package)
        if found.packages:
            audited.record(
                actor,
                "CLEANUP",
                TABLE,
                None,
                None,
                {
                    "days": days,
                    "keep": keep,
                    "deleted": [f"{p.name} {p.version}" for p in found.packages],
                },
            )
    return found
