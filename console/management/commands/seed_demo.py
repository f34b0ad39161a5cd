import bcrypt
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from supabase_auth.errors import AuthError

from console.auth.client import admin_client
from console.demo import DEMO_ACCOUNTS, demo_password, ensure_demo_accounts, seed_rows, seed_volume


class Command(BaseCommand):
    help = (
        "Create the demo accounts (one per role) and realistic rows in all seven tables; "
        "idempotent. --scale F adds benchmark volume (F=1: 1,000,000 audit rows, 100,000 "
        "knowledge entries, 100,000 users, 5,000,000 performance logs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=0.0)

    def handle(self, *args, scale, **options):
        if scale < 0:
            raise CommandError("--scale must be zero or more")
        try:
            ids = ensure_demo_accounts(admin_client())
        except AuthError as exc:
            raise CommandError(f"Supabase Auth refused to create the demo accounts: {exc}") from exc
        created = seed_rows(ids["admin@example.com"], ids["editor@example.com"])
        self.stdout.write(
            "Demo rows created." if created else "Demo rows already there; nothing changed."
        )
        if scale:
            # One bcrypt hash for every bench user: hashing 100,000 passwords would take hours.
            password_hash = bcrypt.hashpw(demo_password().encode(), bcrypt.gensalt(10)).decode()
            sizes = seed_volume(scale, password_hash)
            self.stdout.write(f"Volume added: {sizes}")
        connection.close()
        self.stdout.write(f"Demo accounts ({', '.join(e for e, _r, _n in DEMO_ACCOUNTS)}) ready.")
