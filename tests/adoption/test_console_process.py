"""The running console connects as its own least-privilege role, billygoat_console: started
in its own process (gunicorn, as in production) against the test database, directly and
through a real PgBouncer in transaction mode (Debian's `pgbouncer`, started here on a free
port), it signs in, lists, writes with its audit row and exports; pg_stat_activity shows its
sessions under that role, with no superuser or BYPASSRLS right.

The schema is applied by the owner role (the suite's own connection); the tests give
billygoat_console a password and point DATABASE_URL at it.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

from tests.fixtures_auth import DEFAULT_TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

CONSOLE_PASSWORD = "console-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited: {process.stdout.read()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(url)


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {process.stdout.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(port)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def console_role():
    """billygoat_console, as the migrations made it, with a password for this run."""
    with connection.cursor() as cursor:
        cursor.execute(f"alter role billygoat_console with password '{CONSOLE_PASSWORD}'")
    db = settings.DATABASES["default"]
    return db["NAME"], db["HOST"], db["PORT"]


@pytest.fixture
def pgbouncer(console_role):
    """A real PgBouncer, transaction mode, in front of the test cluster's socket. It refuses
    to run as root: then it runs as the cluster's own system user."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        pytest.fail("pgbouncer is not installed: `apt-get install pgbouncer` (make test does)")
    name, host, port = console_role
    run_as = Path(host).owner() if os.geteuid() == 0 else None
    tmp_path = Path(tempfile.mkdtemp(prefix="billygoat-pgbouncer-"))
    if run_as:
        shutil.chown(tmp_path, user=run_as)
    listen = _free_port()
    (tmp_path / "users.txt").write_text(f'"billygoat_console" "{CONSOLE_PASSWORD}"\n')
    (tmp_path / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{name} = host={host} port={port or 5432} dbname={name}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {listen}\n"
        f"unix_socket_dir = {tmp_path}\n"
        "auth_type = plain\n"
        f"auth_file = {tmp_path / 'users.txt'}\n"
        "pool_mode = transaction\n"
        "max_client_conn = 50\ndefault_pool_size = 5\n"
        f"logfile = {tmp_path / 'pgbouncer.log'}\n"
        f"pidfile = {tmp_path / 'pgbouncer.pid'}\n"
    )
    process = subprocess.Popen(
        [binary, str(tmp_path / "pgbouncer.ini")],
        user=run_as,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_port(listen, process)
        yield f"postgresql://billygoat_console:{CONSOLE_PASSWORD}@127.0.0.1:{listen}/{name}"
    finally:
        _stop(process)
        shutil.rmtree(tmp_path, ignore_errors=True)


def _direct_url(console_role) -> str:
    name, host, port = console_role
    return f"postgresql://billygoat_console:{CONSOLE_PASSWORD}@/{name}?host={host}" + (
        f"&port={port}" if port else ""
    )


def _run_console(database_url: str, auth_server, tmp_path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOCAL_AUTH_PORT": str(auth_server.url.rsplit(":", 1)[1]),
        "DATABASE_CONN_MAX_AGE": "60",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SUPABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "/dev/null",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
            "console.wsgi:application",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_for(base + "/login/", process)
    return process, base


def _csrf(response: httpx.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)


def _sign_in_list_write_export(base: str, user) -> str:
    with httpx.Client(base_url=base, follow_redirects=False, timeout=20) as browser:
        login = browser.get("/login/")
        signed_in = browser.post(
            "/login/",
            data={
                "email": user.email,
                "password": DEFAULT_TEST_PASSWORD,
                "csrfmiddlewaretoken": _csrf(login),
            },
            headers={"Referer": base + "/login/"},
        )
        assert signed_in.status_code == 302, signed_in.text[:500]
        listed = browser.get("/knowledge/")
        assert listed.status_code == 200
        form = browser.get("/knowledge/new/")
        created = browser.post(
            "/knowledge/new/",
            data={
                "title": "Through the console role",
                "content": "Written by billygoat_console.",
                "is_active": "on",
                "csrfmiddlewaretoken": _csrf(form),
            },
            headers={"Referer": base + "/knowledge/new/"},
        )
        assert created.status_code == 302, created.text[:800]
        exported = browser.get("/knowledge/export/", params={"format": "csv"})
        assert exported.status_code == 200
        body = exported.text
        assert "Through the console role" in body
        return body


def _console_sessions() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "select a.usename, r.rolsuper, r.rolbypassrls,"
            " pg_has_role(r.oid, 'service_role', 'member'),"
            " pg_has_role(r.oid, 'postgres', 'member')"
            " from pg_stat_activity a join pg_roles r on r.oid = a.usesysid"
            " where a.datname = current_database() and a.pid <> pg_backend_pid()"
            " and a.usename = 'billygoat_console'"
        )
        return cursor.fetchall()


def _audit_row_of_the_write():
    with connection.cursor() as cursor:
        cursor.execute(
            "select a.action, a.actor_email from public.audit_logs a"
            " join public.knowledge_base_entries e on a.record_id = e.id::text"
            " where e.title = 'Through the console role' and a.table_name = 'knowledge_base_entries'"
        )
        rows = cursor.fetchall()
        cursor.execute(
            "select count(*) from public.audit_logs where action = 'EXPORT'"
            " and table_name = 'knowledge_base_entries' and actor_email = %s",
            [rows[0][1] if rows else None],
        )
        return rows, cursor.fetchone()[0]


def test_the_running_console_uses_its_own_role_directly(
    console_role, auth_server, make_user, tmp_path
):
    editor = make_user("editor")
    process, base = _run_console(_direct_url(console_role), auth_server, tmp_path)
    try:
        _sign_in_list_write_export(base, editor)
        sessions = _console_sessions()
    finally:
        _stop(process)
    assert sessions, "the console's sessions are not in pg_stat_activity"
    assert set(sessions) == {("billygoat_console", False, False, False, False)}
    rows, exports = _audit_row_of_the_write()
    assert rows == [("CREATE", editor.email.lower())]
    assert exports == 1


def test_the_console_works_through_pgbouncer_in_transaction_mode(
    pgbouncer, auth_server, make_user, tmp_path
):
    editor = make_user("editor")
    process, base = _run_console(pgbouncer, auth_server, tmp_path)
    try:
        _sign_in_list_write_export(base, editor)
        sessions = _console_sessions()
    finally:
        _stop(process)
    # PgBouncer's server connections, as billygoat_console.
    assert sessions and {s[0] for s in sessions} == {"billygoat_console"}
    rows, exports = _audit_row_of_the_write()
    assert rows == [("CREATE", editor.email.lower())]
    assert exports == 1


def test_every_area_and_the_system_events_work_as_the_console_role(
    console_role, auth_server, make_user, tmp_path
):
    """An admin opens every area's list, the users list, My profile and the audit trail; a
    wrong password (LOGIN_FAILED) and a sign-out (LOGOUT) are recorded: all through the
    console's own role, outside and inside the user's transaction."""
    from django.urls import reverse

    from console.registry import all_areas

    admin = make_user("admin")
    stranger_email = admin.email.replace("@", "+nobody@")
    urls = [reverse(area.list_url) for area in all_areas()]
    process, base = _run_console(_direct_url(console_role), auth_server, tmp_path)
    try:
        with httpx.Client(base_url=base, follow_redirects=False, timeout=20) as browser:
            login = browser.get("/login/")
            refused = browser.post(
                "/login/",
                data={
                    "email": stranger_email,
                    "password": "Wrong-Password-1234",
                    "csrfmiddlewaretoken": _csrf(login),
                },
                headers={"Referer": base + "/login/"},
            )
            assert refused.status_code in (400, 200)
            login = browser.get("/login/")
            signed_in = browser.post(
                "/login/",
                data={
                    "email": admin.email,
                    "password": DEFAULT_TEST_PASSWORD,
                    "csrfmiddlewaretoken": _csrf(login),
                },
                headers={"Referer": base + "/login/"},
            )
            assert signed_in.status_code == 302
            for url in ["/", *urls, "/users/me/"]:
                assert browser.get(url).status_code == 200, url
            page = browser.get("/")
            out = browser.post(
                "/logout/",
                data={"csrfmiddlewaretoken": _csrf(page)},
                headers={"Referer": base + "/"},
            )
            assert out.status_code == 302
    finally:
        _stop(process)
    with connection.cursor() as cursor:
        cursor.execute(
            "select action from public.audit_logs where action in ('LOGIN_FAILED', 'LOGIN', 'LOGOUT')"
            " and (user_id = %s or new_values ->> 'email' = %s) order by created_at",
            [admin.id, stranger_email],
        )
        assert [row[0] for row in cursor.fetchall()] == ["LOGIN_FAILED", "LOGIN", "LOGOUT"]
