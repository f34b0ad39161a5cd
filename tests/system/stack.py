"""A second, throwaway console for fault tests: its own embedded PostgreSQL cluster (which the
test may stop and start; the test plugin's cluster is never touched), a local auth server on
it, and gunicorn with the production settings (DEBUG off) as a separate process, reached over
HTTP like a browser behind a TLS-terminating proxy; on request also Django's development
server as `make run` serves it (DEBUG on). Both connect as the console's own role,
billygoat_console, over the cluster's Unix socket; the schema is applied as its owner."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.browser import Browser

BASE_DIR = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="billygoat-fault-"))
        self.pgdata = self.root / "data"
        self.database_url = ""
        self.auth = None
        self.gunicorn: subprocess.Popen | None = None
        self.dev_server: subprocess.Popen | None = None
        self.port = free_port()
        self.env: dict = {}

    # --- the database ------------------------------------------------------------------
    def start_database(self) -> str:
        from console import embedded_db

        self.database_url = embedded_db.start(self.pgdata, keep_running=True)
        return self.database_url

    def stop_database(self) -> None:
        from console import embedded_db

        embedded_db.stop(self.pgdata)

    def sql(self, statement: str, params=None):
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    # --- the whole stack -----------------------------------------------------------------
    def start(self) -> "Stack":
        from django.conf import settings

        from console import embedded_db
        from console.preflight import CONSOLE_ROLE
        from localauth.server import LocalAuthConfig, LocalAuthServer

        self.start_database()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("SUPABASE_URL", "DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")
        }
        self.env.update(
            DATABASE_URL=self.database_url,
            DJANGO_SETTINGS_MODULE="console.settings",
            PYTHONPATH=str(BASE_DIR),
        )
        migrated = subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "db_migrate", "--local"],
            env=self.env,
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
        )
        if migrated.returncode:
            raise RuntimeError(f"db_migrate failed: {migrated.stderr[-3000:]}")
        self.auth = LocalAuthServer(
            LocalAuthConfig(
                dsn=self.database_url,
                jwt_secret=settings.SUPABASE_JWT_SECRET,
                outbox_dir=self.root / "outbox",
            ),
            port=0,
        ).start()
        self.env.update(
            DATABASE_URL=embedded_db.url(self.pgdata, role=CONSOLE_ROLE),
            LOCAL_AUTH_PORT=str(self.auth.port),
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            TRUSTED_PROXY_COUNT="1",
            HOST="127.0.0.1",
            PORT=str(self.port),
            WEB_CONCURRENCY="2",
            GUNICORN_THREADS="1",
            LOG_LEVEL="WARNING",
            DATABASE_CONNECT_TIMEOUT="2",
        )
        subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=self.env,
            cwd=BASE_DIR,
            check=True,
        )
        self.log = open(self.root / "gunicorn.log", "w")  # noqa: SIM115 - closed in stop()
        self.gunicorn = subprocess.Popen(  # noqa: S603
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
            env=self.env,
            cwd=BASE_DIR,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if Browser(self.port).get("/healthz").status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not come up: " + (self.root / "gunicorn.log").read_text())

    def start_dev_server(self) -> int:
        """Django's development server on the same database, as `make run` starts it
        (console/management/commands/runlocal.py): DEBUG on, reached directly, not through a
        proxy. Returns its port."""
        port = free_port()
        env = {key: value for key, value in self.env.items() if key != "TRUSTED_PROXY_COUNT"}
        env.update(DEBUG="true", PORT=str(port))
        self.dev_log = open(self.root / "runserver.log", "w")  # noqa: SIM115 - closed in stop()
        self.dev_server = subprocess.Popen(  # noqa: S603
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            cwd=BASE_DIR,
            stdout=self.dev_log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    return port
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(
            "runserver did not come up: " + (self.root / "runserver.log").read_text()
        )

    def make_user(self, role: str, email: str, password: str) -> str:
        from django.conf import settings

        from tests.fixtures_auth import supabase_client

        admin = supabase_client(self.auth.url, settings.SUPABASE_SERVICE_ROLE_KEY).auth.admin
        user = admin.create_user({"email": email, "password": password, "email_confirm": True})
        self.sql("update public.profiles set role = %s where id = %s", [role, user.user.id])
        return str(user.user.id)

    def stop(self) -> None:
        if self.dev_server is not None:
            self.dev_server.terminate()
            try:
                self.dev_server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.dev_server.kill()
            self.dev_log.close()
        if self.gunicorn is not None:
            self.gunicorn.send_signal(signal.SIGTERM)
            try:
                self.gunicorn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.gunicorn.kill()
            self.log.close()
        if self.auth is not None:
            self.auth.stop()
        try:
            self.stop_database()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
