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

from console import audited, confirmations
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


CONFIRMS = "deployments:cleanup"


def _confirmed(found: Plan) -> tuple:
    """What a confirmation is issued for: the settings and exactly the versions listed."""
    return (found.days, found.keep, *sorted(str(p.pk) for p in found.packages))


def confirmation(user_id, found: Plan) -> str:
    """The dry run page's token for deleting what `found` lists."""
    return confirmations.new_token(user_id, CONFIRMS, *_confirmed(found))


def apply(
    actor: audited.Actor,
    days: int = DEFAULT_DAYS,
    keep: int = DEFAULT_KEEP,
    *,
    token: str | None = None,
) -> Plan:
    """Delete what the plan lists, all or nothing. With a `token` (a request's confirmation)
    only if the dry run issued it to this actor for exactly these versions, once:
    confirmations.NotConfirmed (the list changed since, or no such dry run) or
    AlreadyApplied otherwise, nothing deleted."""
    with transaction.atomic():
        found = plan(days, keep)
        if token is not None:
            confirmations.claim(token, actor.user_id, CONFIRMS, *_confirmed(found))
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
