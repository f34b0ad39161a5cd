"""The lifecycle of a deployment package, as the console drives it: create, promote, retire,
roll back, delete. Every write goes through the audited write (console/audited.py), so each
status change is one audit row with its reason (`status_reason` is a column, so the reason is
in the row's audit values whoever writes the audit row).

The database enforces the same rules (supabase/migrations/20261127010000_deployment_lifecycle
.sql) for every writer; its refusals carry our SQLSTATEs (BG001…), which `refusal()` turns into
words here — by SQLSTATE, never by the message's text.
"""

from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction

from console import audited
from console.sqlstate import database_error
from deployments.models import NEXT_STATUS, Package, Status

NOT_SEMVER = "BG001"
ILLEGAL_TRANSITION = "BG002"
READ_ONLY = "BG003"
BAD_ROLLBACK = "BG004"
NOT_DELETABLE = "BG005"
UNIQUE_VIOLATION = "23505"

NAME_VERSION_KEY = "deployment_packages_name_version_key"
ONE_DEPLOYED = "deployment_packages_one_deployed"

SEMVER_HINT = "Use MAJOR.MINOR.PATCH, for example 1.2.0, 1.2.0-rc.1 or 1.2.0+build.5."


class LifecycleRefused(audited.WriteFailed):
    """The database (or the rules it enforces) refused a lifecycle step; `field` is the form
    field the message belongs to, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def refusal(exc: BaseException, values: dict) -> LifecycleRefused | None:
    """Words for a refusal we know, by SQLSTATE (and constraint name for unique keys)."""
    error = database_error(exc)
    state = getattr(error, "sqlstate", None)
    diag = getattr(error, "diag", None)
    version = values.get("version", "")
    label = f"{values.get('name', '')} {version}".strip()
    if state == NOT_SEMVER:
        return LifecycleRefused(f"“{version}” is not a semantic version. {SEMVER_HINT}", "version")
    if state == ILLEGAL_TRANSITION:
        return LifecycleRefused(
            f"{label} cannot go from {values.get('from', '?')} to {values.get('to', '?')}: "
            "the lifecycle is draft → staging → deployed → retired (and rollback to a version "
            "that was deployed before)."
        )
    if state == READ_ONLY:
        return LifecycleRefused(f"{label} is {values.get('from')}: it can no longer be edited.")
    if state == BAD_ROLLBACK:
        return LifecycleRefused(
            f"{label} cannot be rolled back to: it must have been deployed before, and a "
            "rollback needs a reason.",
            "reason",
        )
    if state == NOT_DELETABLE:
        return LifecycleRefused(f"{label} is {values.get('from')}: only drafts can be deleted.")
    if state == UNIQUE_VIOLATION:
        constraint = getattr(diag, "constraint_name", None)
        if constraint == NAME_VERSION_KEY:
            return LifecycleRefused(f"{label} already exists.", "version")
        if constraint == ONE_DEPLOYED:
            return LifecycleRefused(
                f"Another version of {values.get('name')} was deployed at the same moment; "
                "reload and try again."
            )
    return None


@contextmanager
def _refusals(**values):
    try:
        yield
    except (audited.WriteFailed, DatabaseError) as exc:
        if isinstance(exc, LifecycleRefused):
            raise
        known = refusal(exc, values)
        if known is not None:
            raise known from exc
        raise


def _context(package: Package, **more) -> dict:
    return {"name": package.name, "version": package.version, "from": package.status, **more}


def lock_slot(name: str, environment: str) -> None:
    """Wait for any other deployment of this name and environment to finish (the same lock
    the database's trigger takes), so what we read next is what is deployed now."""
    with connection.cursor() as cursor:
        cursor.execute("select private.lock_deployment_slot(%s, %s)", [name, environment])


# ---------- Create, edit, delete ----------


def create(actor: audited.Actor, **values) -> Package:
    """A new version starts as a draft, created by `actor`."""
    with _refusals(**values):
        return audited.create(
            actor, Package, **{**values, "status": Status.DRAFT, "created_by": actor.user_id}
        )


def edit(actor: audited.Actor, package: Package, **changes) -> Package:
    """Drafts and staging versions only (the database refuses the others too)."""
    with _refusals(**_context(package, **changes)):
        if not package.editable:
            raise LifecycleRefused(f"{package} is {package.status}: it can no longer be edited.")
        return audited.update(actor, package, **changes)


def delete(actor: audited.Actor, package: Package) -> None:
    """Drafts only, from the console (cleanup also removes old retired versions)."""
    if package.status != Status.DRAFT:
        raise LifecycleRefused(f"{package} is {package.status}: only drafts can be deleted.")
    with _refusals(**_context(package)):
        audited.delete(actor, package)


# ---------- Status changes ----------


def _set_status(actor, package: Package, status: Status, reason: str | None) -> Package:
    with _refusals(**_context(package, to=status)):
        return audited.update(actor, package, status=status, status_reason=reason or None)


def _deploy(actor, package: Package, reason: str | None, *, replaced_reason: str) -> Package:
    """Retire what is deployed in the package's slot, then deploy it: two audited changes in
    one transaction, under the slot's lock."""
    with transaction.atomic():
        lock_slot(package.name, package.environment)
        current = Package.objects.in_slot(package.name, package.environment).filter(
            status=Status.DEPLOYED
        )
        for deployed in current.exclude(pk=package.pk).select_for_update():
            _set_status(actor, deployed, Status.RETIRED, replaced_reason)
        return _set_status(actor, package, Status.DEPLOYED, reason)


def promote(actor: audited.Actor, package: Package, reason: str = "") -> Package:
    """One step forward: draft → staging, or staging → deployed (the version deployed before
    in the same name and environment becomes retired)."""
    target = NEXT_STATUS.get(package.status)
    if target is None:
        raise LifecycleRefused(f"{package} is {package.status}: there is no next step.")
    if target == Status.DEPLOYED:
        return _deploy(actor, package, reason, replaced_reason=f"replaced by {package.version}")
    return _set_status(actor, package, target, reason)


def retire(actor: audited.Actor, package: Package, reason: str = "") -> Package:
    if package.status != Status.DEPLOYED:
        raise LifecycleRefused(f"{package} is {package.status}: only a deployed version retires.")
    return _set_status(actor, package, Status.RETIRED, reason)


def rollback_targets(package: Package):
    """The versions of the package's name and environment that were deployed before and are
    retired now, newest version first."""
    return (
        Package.objects.in_slot(package.name, package.environment)
        .filter(status=Status.RETIRED, was_deployed=True)
        .by_version()
    )


def deployed_now(package: Package) -> Package | None:
    return (
        Package.objects.in_slot(package.name, package.environment)
        .filter(status=Status.DEPLOYED)
        .first()
    )


def rollback(actor: audited.Actor, target: Package, reason: str) -> Package:
    """Deploy `target` again (it was deployed before) and retire the current one, atomically;
    both audit rows carry the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise LifecycleRefused("Say why you roll back: a rollback needs a reason.", "reason")
    if target.status != Status.RETIRED or not target.was_deployed:
        raise LifecycleRefused(
            f"{target} cannot be rolled back to: only retired versions that were deployed "
            "before can be.",
            "target",
        )
    return _deploy(
        actor,
        target,
        f"rollback: {reason}",
        replaced_reason=f"rolled back to {target.version}: {reason}",
    )
