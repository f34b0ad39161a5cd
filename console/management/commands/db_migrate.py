from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from console.schema import apply_schema


class Command(BaseCommand):
    help = (
        "Apply the Supabase schema (local bootstrap when local, then supabase/migrations in "
        "order, each once) and Django's own tables in the console schema."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--local",
            action="store_true",
            default=None,
            help="Also apply supabase/local (default: only on the embedded database).",
        )

    def handle(self, *args, local=None, **options):
        local = settings.EMBEDDED_DATABASE if local is None else local
        report = apply_schema(connection, local=local)
        if report.bootstrap_applied:
            self.stdout.write("Local bootstrap applied (supabase/local).")
        for version in report.applied:
            self.stdout.write(f"Applied {version}")
        self.stdout.write(
            f"Schema up to date: {len(report.applied)} applied, "
            f"{len(report.already_applied)} already there."
        )
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
