"""`make run`: the console on the embedded default, ready to sign in.

Applies the schema, seeds the demo data (idempotent), starts the local auth server, prints
the demo accounts and serves the console with Django's development server. The embedded
database and the local keys are ready before this runs (manage.py calls
`console.local_default.prepare()`); `make stop` stops what the run leaves running.
"""

import os
import subprocess
import sys
import time

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from console.demo import DEMO_ACCOUNTS, demo_password
from console.local_default import forget_auth_server, note_auth_server
from console.preflight import CONSOLE_ROLE


class Command(BaseCommand):
    help = "Run the console locally: embedded database, local auth server, web server."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))

    def handle(self, *args, port, **options):
        if not settings.LOCAL_AUTH:
            raise CommandError("runlocal is for the local default; SUPABASE_URL is set.")
        # Django's autoreloader runs this command again in a child process (RUN_MAIN=true):
        # only the first run prepares the database and starts the auth server.
        if os.environ.get("RUN_MAIN") != "true":
            call_command("db_migrate")
            auth = self._start_auth_server(port)
            note_auth_server(auth.pid)  # for `make stop`, should this run be killed
            try:
                self._wait_for_auth()
                call_command("seed_demo")
                self._print_accounts(port)
                # The server (the autoreloader's child, which reads the settings afresh)
                # connects as the console's own role, as a real deployment does.
                os.environ["EMBEDDED_DATABASE_ROLE"] = CONSOLE_ROLE
                # No persistent connections (Django's advice for this server): it starts a
                # thread per request and closes no connection when the thread ends, so each
                # request served would leave one open until the garbage collector found it.
                os.environ["DATABASE_CONN_MAX_AGE"] = "0"
                call_command("runserver", f"127.0.0.1:{port}")
            finally:
                auth.terminate()
                auth.wait(timeout=10)
                forget_auth_server()
        else:
            call_command("runserver", f"127.0.0.1:{port}")

    def _start_auth_server(self, port: int) -> subprocess.Popen:
        env = dict(os.environ, LOCAL_AUTH_SITE_URL=f"http://127.0.0.1:{port}")
        return subprocess.Popen([sys.executable, "manage.py", "localauth"], env=env)  # noqa: S603

    def _wait_for_auth(self) -> None:
        for _ in range(100):
            try:
                if httpx.get(f"{settings.SUPABASE_URL}/auth/v1/health", timeout=1).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise CommandError(f"The local auth server did not start at {settings.SUPABASE_URL}.")

    def _print_accounts(self, port: int) -> None:
        password = demo_password()
        lines = [
            "",
            f"BillyGoat Console: http://127.0.0.1:{port}/",
            f"Local auth server: {settings.SUPABASE_URL}/auth/v1",
            f"Outbox (invite and password emails): http://127.0.0.1:{port}/dev/outbox/",
            f"Demo accounts (password: {password}):",
        ]
        lines += [f"  {email:<22} {role}" for email, role, _name in DEMO_ACCOUNTS]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)) + "\n")
