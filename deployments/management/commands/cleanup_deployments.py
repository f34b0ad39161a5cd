"""python manage.py cleanup_deployments [--dry-run] [--days N] [--keep K]

Deletes drafts untouched for N days and retired versions beyond the newest K of each name
(deployments.cleanup), each deletion audited; --dry-run only lists them. It runs with the
console's own database role, so its audit rows name no user ("system")."""

from django.core.management.base import BaseCommand, CommandError

from console import audited
from deployments import cleanup


class Command(BaseCommand):
    help = "Delete stale drafts and old retired deployment packages (audited)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only list what would go")
        parser.add_argument("--days", type=int, default=cleanup.DEFAULT_DAYS)
        parser.add_argument("--keep", type=int, default=cleanup.DEFAULT_KEEP)

    def handle(
        self, *args, dry_run=False, days=cleanup.DEFAULT_DAYS, keep=cleanup.DEFAULT_KEEP, **options
    ):
        if days < 1 or keep < 0:
            raise CommandError("--days must be at least 1 and --keep at least 0.")
        if dry_run:
            found = cleanup.plan(days, keep)
        else:
            actor = audited.Actor(None, None, "manage.py cleanup_deployments")
            found = cleanup.apply(actor, days, keep)
        verb = "would delete" if dry_run else "deleted"
        for package in found.stale_drafts:
            self.stdout.write(f"draft untouched since {package.updated_at:%Y-%m-%d}: {package}")
        for package in found.old_retired:
            self.stdout.write(f"retired, beyond the newest {keep}: {package}")
        self.stdout.write(f"{verb} {len(found)} version(s).")
