"""Soak: the server `make run` starts (`manage.py runlocal`: the schema, the demo, the local
auth server, then Django's threaded development server connecting as billygoat_console to the
embedded PostgreSQL) through 1,000 sign-ins and 5,000 signed-in page views from a few clients
at once, with the console's open connections sampled all along.

Every request goes on a new HTTP connection, so the development server starts a thread for
each (as it does for a browser over a day): whatever a request thread leaves open adds up.
The run uses a throwaway data directory (LOCAL_DATA_DIR: its own cluster, keys and outbox)
and its own ports; the checkout's `.data/` is neither read nor written. It serves a copy of the
code taken at the start: the development server's autoreloader restarts on any change to a
Python file of the tree it runs from, and a restart mid-soak (an edit made meanwhile) would end
the run's requests and close every connection, hiding the very growth measured here.

Select it with `-m soak`; it runs in the default `make test` too (a few minutes on two cores).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from agents.models import Agent
from console import embedded_db
from console.demo import DEMO_ACCOUNTS, demo_password
from console.preflight import CONSOLE_ROLE

pytestmark = pytest.mark.soak

BASE_DIR = Path(__file__).resolve().parent.parent
SIGN_INS = 1000
PAGES_PER_SIGN_IN = 5  # 5,000 signed-in page views
# Concurrent clients, one per demo account: signing out is global at Supabase Auth (every
# session of the account ends), so two clients sharing an account would sign each other out.
CLIENTS = len(DEMO_ACCOUNTS)
# The console's connections (its requests' and its side connections) at any moment: a few per
# request in flight and a handful kept idle, nowhere near one per request served.
CONNECTION_BOUND = 20
START_TIMEOUT = 300  # a new cluster, the schema and the demo data
SOAK_DEADLINE = 900  # the loops stop by count; this only ends a run that hangs
SAMPLE_EVERY = 0.2
TRACE_EVERY = 25  # sign-ins between the connection counts printed

# The sign-in throttle counts attempts per email+IP pair, per IP and per account (all from
# 127.0.0.1 here) in the database: lifted out of the way so the soak measures connections, not
# throttling, and so is the local auth server's per-IP /token limit.
THROTTLE_LIFTED = {
    "LOGIN_THROTTLE_EMAIL_LIMIT": "1000000",
    "LOGIN_THROTTLE_IP_LIMIT": "1000000",
    "LOGIN_THROTTLE_ACCOUNT_LIMIT": "1000000",
    # The local auth server's per-IP /token limit (GoTrue's 150 per 5 minutes): off.
    "LOCAL_AUTH_RATE_LIMIT_TOKEN_REFRESH": "0",
}
# Settings of the pytest process that would point the server elsewhere than its own cluster.
NOT_INHERITED = (
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "SUPABASE_URL",
    "EMBEDDED_DATABASE_ROLE",
    "RUN_MAIN",
    "PORT",
)

NOT_COPIED = (".git", ".venv", ".data", "__pycache__", "*.egg-info", "*_cache", "staticfiles")

CONNECTIONS_SQL = (
    "select coalesce(application_name, ''), count(*) from pg_stat_activity"
    " where usename = %s group by 1"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalRun:
    url: str
    owner_dsn: str
    log: Path
    process: subprocess.Popen

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def local_run():
    """`manage.py runlocal` on a throwaway data directory; stopped, cluster and all, after."""
    data_dir = Path(tempfile.mkdtemp(prefix="billygoat-soak-"))
    pgdata = data_dir / "postgres"
    code = data_dir / "code"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(THROTTLE_LIFTED)
    env.update(
        LOCAL_DATA_DIR=str(data_dir),
        LOCAL_AUTH_PORT=str(_free_port()),
        PYTHONUNBUFFERED="1",
    )
    log = data_dir / "runlocal.log"
    process = None
    try:
        shutil.copytree(BASE_DIR, code, ignore=shutil.ignore_patterns(*NOT_COPIED))
        with open(log, "wb") as out:
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "manage.py", "runlocal", "--port", str(port)],
                cwd=code,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Its own process group: runlocal, the reloader's child serving, the auth server.
                start_new_session=True,
            )
        run = LocalRun(f"http://127.0.0.1:{port}", "", log, process)
        _wait_until_serving(run)
        run.owner_dsn = embedded_db.url(pgdata)  # its socket, from the running server's pid file
        yield run
    finally:
        if process is not None:
            _stop(process)
        try:
            embedded_db.stop(pgdata)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


def _wait_until_serving(run: LocalRun) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if run.process.poll() is not None:
            pytest.fail(f"runlocal exited ({run.process.returncode}):\n{run.log_tail()}")
        try:
            if httpx.get(f"{run.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"runlocal did not serve within {START_TIMEOUT} s:\n{run.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    """The whole process group, which runlocal started nothing outside of. (Not Ctrl-C: a
    process started in the background may ignore SIGINT.)"""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class Tally:
    sign_ins: int = 0
    page_views: int = 0
    requests: int = 0
    failures: list = field(default_factory=list)
    peak: int = 0
    peak_by_application: dict = field(default_factory=dict)
    samples: int = 0
    trace: list = field(default_factory=list)  # (sign-ins so far, connections) now and then
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)
        self.stop.set()  # a server that fails once is not soaked further


def _sample(owner_dsn: str, tally: Tally) -> None:
    """The console's connections, from the cluster owner's own connection (a superuser slot,
    so it still answers when the console's role has used up the rest)."""
    last_traced = -1
    try:
        conn = psycopg.connect(owner_dsn, autocommit=True)
    except psycopg.Error as exc:
        tally.fail(f"cannot sample the connections: {exc}")
        return
    with conn:
        while not tally.stop.is_set():
            try:
                rows = conn.execute(CONNECTIONS_SQL, [CONSOLE_ROLE]).fetchall()
            except psycopg.Error as exc:
                tally.fail(f"cannot sample the connections: {exc}")
                return
            by_application = dict(rows)
            total = sum(by_application.values())
            with tally.lock:
                tally.samples += 1
                if total > tally.peak:
                    tally.peak, tally.peak_by_application = total, by_application
                if tally.sign_ins // TRACE_EVERY != last_traced:
                    last_traced = tally.sign_ins // TRACE_EVERY
                    tally.trace.append((tally.sign_ins, total))
            tally.stop.wait(SAMPLE_EVERY)


def _pages(run: LocalRun) -> list[str]:
    """Signed-in pages of several areas (every demo role may read them), an item page, and
    /healthz."""
    table = Agent._meta.db_table
    with psycopg.connect(run.owner_dsn) as conn:
        (agent,) = conn.execute(f"select id from public.{table} order by name limit 1").fetchone()
    return [
        "/",
        "/agents/",
        "/crews/",
        "/crews/runs/",
        "/knowledge/",
        f"/agents/{agent}/",
        "/healthz",
    ]


def _csrf(client: httpx.Client) -> str:
    token = client.cookies.get("csrftoken")
    if not token:
        raise AssertionError("no csrftoken cookie")
    return token


def _expect(tally: Tally, response: httpx.Response, status: int, location: str | None = None):
    with tally.lock:
        tally.requests += 1
    where = f"{response.request.method} {response.request.url.path}"
    if response.status_code != status:
        raise AssertionError(
            f"{where}: {response.status_code} (location {response.headers.get('location')!r}),"
            f" expected {status}"
        )
    if location is not None and response.headers.get("location") != location:
        raise AssertionError(f"{where}: redirected to {response.headers.get('location')!r}")


def _session(run: LocalRun, tally: Tally, email: str, number: int, pages: list[str]) -> None:
    """One visit on a fresh client: sign in, read a few pages, sign out."""
    # Connection: close: a new connection, so a new server thread, for every request.
    with httpx.Client(base_url=run.url, headers={"Connection": "close"}, timeout=60) as client:
        _expect(tally, client.get("/login/"), 200)
        signed_in = client.post(
            "/login/",
            data={
                "email": email,
                "password": demo_password(),
                "csrfmiddlewaretoken": _csrf(client),
            },
        )
        _expect(tally, signed_in, 302, "/")
        with tally.lock:
            tally.sign_ins += 1
        for step in range(PAGES_PER_SIGN_IN):
            page = pages[(number * PAGES_PER_SIGN_IN + step) % len(pages)]
            _expect(tally, client.get(page), 200)
            with tally.lock:
                tally.page_views += 1
        signed_out = client.post("/logout/", headers={"X-CSRFToken": _csrf(client)})
        _expect(tally, signed_out, 302, "/login/")


def _client(run: LocalRun, tally: Tally, email: str, numbers: range, pages: list[str], deadline):
    for number in numbers:
        if tally.stop.is_set():
            return
        if time.monotonic() > deadline:
            tally.fail(f"the soak did not finish within {SOAK_DEADLINE} s")
            return
        try:
            _session(run, tally, email, number, pages)
        except (AssertionError, httpx.HTTPError) as exc:
            tally.fail(f"sign-in {number}: {type(exc).__name__}: {exc}")
            return


def test_make_run_serves_a_thousand_sign_ins_on_bounded_connections(local_run, capsys):
    tally = Tally()
    pages = _pages(local_run)
    sampler = threading.Thread(target=_sample, args=(local_run.owner_dsn, tally), daemon=True)
    sampler.start()
    started = time.monotonic()
    deadline = started + SOAK_DEADLINE
    clients = [
        threading.Thread(
            target=_client,
            args=(local_run, tally, email, range(i, SIGN_INS, CLIENTS), pages, deadline),
            daemon=True,
        )
        for i, (email, _role, _name) in enumerate(DEMO_ACCOUNTS)
    ]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(SOAK_DEADLINE + 120)
    tally.stop.set()
    sampler.join(10)
    seconds = time.monotonic() - started

    trace = ", ".join(f"{signed}: {count}" for signed, count in tally.trace)
    with capsys.disabled():
        print(
            f"\nsoak: {tally.requests} requests ({tally.sign_ins} sign-ins,"
            f" {tally.page_views} page views, {CLIENTS} clients) in {seconds:.0f} s;"
            f" billygoat_console connections at most {tally.peak}"
            f" ({tally.peak_by_application}) over {tally.samples} samples (bound {CONNECTION_BOUND});"
            f" by sign-ins: {trace}"
        )
        for failure in tally.failures[:5]:
            print(f"soak failure: {failure}")
    if tally.failures:  # the server's side of it, shown with the failure
        server_errors = re.findall(
            r"^.*(?:[A-Z]\w*Error\b|remaining connection slots).*$", local_run.log_tail(400), re.M
        )
        print("\n".join(server_errors[-10:]))

    problems = [] if tally.samples else ["the connections were never sampled"]
    if tally.peak > CONNECTION_BOUND:
        problems.append(
            f"{tally.peak} connections of {CONSOLE_ROLE} at once (bound {CONNECTION_BOUND}):"
            f" {tally.peak_by_application}"
        )
    problems += tally.failures[:5]
    if (tally.sign_ins, tally.page_views) != (SIGN_INS, SIGN_INS * PAGES_PER_SIGN_IN):
        problems.append(f"only {tally.sign_ins} sign-ins and {tally.page_views} page views")
    assert not problems, "\n".join(problems)
