from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from console import preflight
from console.schema import DEFAULT_LOCK_TIMEOUT, apply_schema


class Command(BaseCommand):
    help = (
        "Apply the Supabase schema (local bootstrap when local, then supabase/migrations in "
        "order, each once) and Django's own tables in the console schema. With --check, "
        "report what applying would change and what blocks it, and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--local",
            action="store_true",
            default=None,
            help="Also apply supabase/local (default: only on the embedded database).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Report what is as expected, what applying will change and what blocks; "
            "change nothing; exit 1 when something blocks.",
        )
        parser.add_argument(
            "--lock-timeout",
            default=DEFAULT_LOCK_TIMEOUT,
            help=f"lock_timeout of each step (default {DEFAULT_LOCK_TIMEOUT}).",
        )

    def handle(self, *args, local=None, check=False, lock_timeout=DEFAULT_LOCK_TIMEOUT, **options):
        local = settings.EMBEDDED_DATABASE if local is None else local
        if check or not local:
            # A real project: look before changing anything.
            report = preflight.inspect(connection)
            if check:
                self.stdout.write(report.render())
                if report.blocked:
                    raise CommandError("Something blocks the migration (see above).", returncode=1)
                return
            if report.blocked:
                self.stderr.write(report.render())
                raise CommandError("Something blocks the migration (see above): nothing applied.")
            for change in report.changes:
                self.stdout.write(f"~ {change}")
        report = apply_schema(connection, local=local, lock_timeout=lock_timeout)
        if report.bootstrap_applied:
            self.stdout.write("Local bootstrap applied (supabase/local).")
        for version in report.applied:
            self.stdout.write(f"Applied {version}")
        # The roles that need aal2 for the admin-only writes, as the database enforces them.
        with connection.cursor() as cursor:
            cursor.execute(
                "select private.set_mfa_required_roles(%s::text[])", [settings.MFA_REQUIRED_ROLES]
            )
        roles = ", ".join(settings.MFA_REQUIRED_ROLES) or "no role"
        self.stdout.write(f"Second factor (aal2) required for writes by: {roles}.")
        self.stdout.write(
            f"Schema up to date: {len(report.applied)} applied, "
            f"{len(report.already_applied)} already there."
        )
        # Django's own tables go in the console schema, whatever the role's search path.
        # (db_migrate uses a direct connection, so a session-level SET is harmless here.)
        with connection.cursor() as cursor:
            cursor.execute("set search_path = console, public, extensions")
        call_command("migrate", verbosity=0, interactive=False)
