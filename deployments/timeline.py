"""A package name's release timeline: every version, and when it entered each status, by
whom and why — read from the audit trail (the rows the audited write leaves, whichever
writes them: each CREATE holds the whole row, each UPDATE the columns it changed, so a
status change carries `status` and `status_reason`).

Two queries, whatever the number of versions: the versions, then their audit rows through
the index on (table_name, record_id, created_at). Roles that may not read the audit trail
(RLS shows them no rows) get the dates the rows themselves keep.
"""

from dataclasses import dataclass, field
from datetime import datetime

from console.audit_log import AuditLog
from deployments.models import Package, Status

TABLE = Package._meta.db_table


@dataclass
class Step:
    package: Package
    status: str
    at: datetime | None
    actor_email: str | None = None
    reason: str | None = None
    from_audit: bool = True


@dataclass
class VersionLine:
    package: Package
    steps: list[Step] = field(default_factory=list)

    def entered(self) -> list[tuple[str, list[Step]]]:
        """(status, steps into it) for each of the four, in lifecycle order."""
        return [(s.value, [step for step in self.steps if step.status == s]) for s in Status]


@dataclass
class Timeline:
    name: str
    versions: list[VersionLine]
    from_audit: bool

    @property
    def steps(self) -> list[Step]:
        """Every step, newest first."""
        every = [step for line in self.versions for step in line.steps]
        return sorted(every, key=lambda s: s.at.timestamp() if s.at else 0.0, reverse=True)

    @property
    def deployed(self) -> list[Package]:
        return [line.package for line in self.versions if line.package.status == Status.DEPLOYED]


# The actions of the rows the database's trigger writes for a package's own writes. Only they
# are steps: a client's note (USER:…, log_audit_event) or an event about packages may carry
# any `status` its writer chose.
STEP_ACTIONS = ("CREATE", "UPDATE")


def _status_step(package, row) -> Step | None:
    values = row.new_values if isinstance(row.new_values, dict) else {}
    if row.action not in STEP_ACTIONS:
        return None
    if row.action == "CREATE":
        status = values.get("status") or Status.DRAFT
    elif "status" in values:
        status = values["status"]
    else:
        return None  # an edit of the content, not a step of the lifecycle
    return Step(package, status, row.created_at, row.actor_email, values.get("status_reason"))


def _row_steps(package: Package) -> list[Step]:
    """What the row itself says, without the audit trail."""
    steps = [Step(package, Status.DRAFT, package.created_at, from_audit=False)]
    if package.deployed_at:
        steps.append(Step(package, Status.DEPLOYED, package.deployed_at, from_audit=False))
    return steps


def build(name: str, *, with_audit: bool) -> Timeline:
    packages = list(Package.objects.filter(name=name).by_version())
    lines = {str(p.pk): VersionLine(p) for p in packages}
    if with_audit and lines:
        rows = (
            AuditLog.objects.with_actor_email()
            .filter(table_name=TABLE, record_id__in=list(lines), action__in=STEP_ACTIONS)
            .only("action", "record_id", "new_values", "created_at", "user_id")
            .order_by("created_at", "id")
        )
        for row in rows:
            line = lines[row.record_id]
            step = _status_step(line.package, row)
            if step is not None:
                line.steps.append(step)
    for line in lines.values():
        if not line.steps:  # written before the audit trail, or not visible to this role
            line.steps = _row_steps(line.package)
    return Timeline(name, list(lines.values()), with_audit)
