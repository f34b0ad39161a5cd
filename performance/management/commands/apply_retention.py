"""python manage.py apply_retention [--dry-run] [--table TABLE] [--batch N]

Applies the enabled retention policies (public.retention_policies), for cron or pg_cron: rows
older than the policy's days are deleted in batches, one transaction each, each batch audited
as one RETENTION row with its counts. --dry-run only says how many rows would go."""

from django.core.management.base import BaseCommand, CommandError

from console import audited
from performance import retention
from performance.models import RetentionPolicy


class Command(BaseCommand):
    help = "Apply the retention policies (delete rows older than each policy keeps)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument("--table", choices=retention.TABLES, help="only this table")
        parser.add_argument("--batch", type=int, default=retention.BATCH, help="rows a batch")

    def handle(self, *args, dry_run=False, table=None, batch=retention.BATCH, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        policies = RetentionPolicy.objects.all()
        if table:
            policies = policies.filter(pk=table)
        actor = audited.Actor(None, None, "manage.py apply_retention")
        for policy in policies:
            name = policy.table_name
            if dry_run:
                found = retention.preview(name, policy.keep_days)
                state = "enabled" if policy.enabled else "disabled, would not run"
                self.stdout.write(
                    f"{name}: {found.rows:,} rows older than {policy.keep_days} days"
                    f" would be deleted ({state})"
                )
                continue
            if not policy.enabled:
                self.stdout.write(f"{name}: policy disabled, skipped")
                continue
            try:
                outcome = retention.run(actor, policy, batch=batch)
            except retention.PolicyDisabled:
                self.stdout.write(f"{name}: policy disabled, skipped")
                continue
            self.stdout.write(
                f"{name}: {outcome.deleted:,} rows older than {policy.keep_days} days deleted"
                f" in {outcome.batches} batches"
            )
