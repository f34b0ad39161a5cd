"""`make bench`: the benchmark, end to end, on a fresh clone.

1. A separate embedded PostgreSQL under `.data/bench/` (database `billygoat_bench`), schema
   applied, volume from `seed_demo --scale 1` (once: later runs reuse it, unless a migration
   it was made with has changed since).
2. Server time of each list page (bench/pages.py) three ways in one process: raw SQL floor,
   the console, the stock admin (console.settings_bench).
3. A load run: gunicorn with the production settings (DEBUG off, 2 workers) on 127.0.0.1 and
   a load generator (bench/load.py) as a signed-in auditor.
4. The table, printed and written to `.data/bench/latest.md`.

Settings (environment): BENCH_ONLY (row key prefixes, e.g. "audit,knowledge"), BENCH_SCALE
(1), BENCH_RESEED=1 (start the data over), BENCH_REPEAT (50 requests a page),
BENCH_ADMIN_SECONDS (20: time budget per admin page), BENCH_SKIP_LOAD=1,
BENCH_LOAD_SECONDS (20), BENCH_LOAD_CONNECTIONS (4), BENCH_KEEP_DB=1 (leave the bench
database running afterwards).
5. The mixed run with writes and the two-instance run (bench/mix.py; BENCH_ONLY=mix: only
   them, BENCH_SKIP_MIX=1: not them; BENCH_MIX_SECONDS, 60).
"""

import hashlib
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import db, load, report

BASE_DIR = db.BASE_DIR
PYTHON = sys.executable
WORKERS = 2
AUDITOR = "auditor@example.com"
LOAD_TARGETS = [
    ("/audit/", b'id="results"'),
    ("/knowledge/?q=agent", b'id="results"'),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(database_url: str, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SUPABASE_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="console.settings_bench",
        DEBUG="false",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOCAL_AUTH_PORT=str(free_port()),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(BASE_DIR),
    )
    env.update(extra)
    return env


def step(title: str, args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    print(f"bench: {title}", flush=True)
    return subprocess.run(args, env=env, cwd=BASE_DIR, check=True, **kwargs)  # noqa: S603


def reset_database() -> None:
    import psycopg

    url = db.start()
    admin_url = url.replace(f"/{db.DATABASE_NAME}?", "/postgres?")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{db.DATABASE_NAME}" with (force)')


MIGRATIONS_DIR = BASE_DIR / "supabase" / "migrations"
SUMS_TABLE = "console.bench_migration_sums"


def migration_sums() -> dict[str, str]:
    return {
        path.stem: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(MIGRATIONS_DIR.glob("*.sql"))
    }


def stale_migrations(url: str) -> list[str]:
    """Migrations that were applied to the bench data and have changed since (unreleased
    migrations get edited in place): then the data must be made again from scratch."""
    import psycopg

    with psycopg.connect(url) as conn:
        if conn.execute("select to_regclass(%s)", [SUMS_TABLE]).fetchone()[0] is None:
            return []
        recorded = dict(conn.execute(f"select version, sha256 from {SUMS_TABLE}").fetchall())
    current = migration_sums()
    return [v for v, digest in recorded.items() if current.get(v) != digest]


def record_migration_sums(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(
            f"create table if not exists {SUMS_TABLE} (version text primary key, sha256 text)"
        )
        conn.execute(f"delete from {SUMS_TABLE}")
        for version, digest in migration_sums().items():
            conn.execute(f"insert into {SUMS_TABLE} values (%s, %s)", [version, digest])


def wait_for(port: int, headers: dict, timeout: float = 60) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/", headers=headers)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on 127.0.0.1:{port}")


def load_run(env: dict) -> tuple[list[dict], int]:
    """gunicorn with console.settings (production: DEBUG off), then the load generator."""
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "20"))
    connections = int(os.environ.get("BENCH_LOAD_CONNECTIONS", "4"))
    prod = dict(env, DJANGO_SETTINGS_MODULE="console.settings")
    session = step(
        "signing in the auditor for the load run",
        [PYTHON, "-m", "bench.session", AUDITOR],
        prod,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    log = open(db.BENCH_DIR / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    # As behind the TLS-terminating proxy of a deployment: one trusted proxy that says https,
    # so the production settings (SSL redirect, secure cookies) stay as they are.
    gunicorn_env = dict(
        prod,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=str(WORKERS),
        GUNICORN_THREADS="1",
        TRUSTED_PROXY_COUNT="1",
    )
    headers = {
        "Host": "127.0.0.1",
        "Cookie": f"billygoat_session={session}",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "127.0.0.1",
        "User-Agent": "billygoat-bench",
    }
    print(f"bench: gunicorn ({WORKERS} workers) on 127.0.0.1:{port}", flush=True)
    server = subprocess.Popen(  # noqa: S603
        [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        env=gunicorn_env,
        cwd=BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    runs = []
    try:
        wait_for(port, headers)
        for url, expect in LOAD_TARGETS:
            print(f"bench: load on {url} for {seconds:g} s", flush=True)
            load.run(
                port,
                url,
                headers,
                seconds=2,
                max_requests=200,
                connections=connections,
                expect=expect,
            )  # warm-up, not counted
            result = load.run(
                port,
                url,
                headers,
                seconds=seconds,
                max_requests=int(seconds * 500),
                connections=connections,
                expect=expect,
            )
            runs.append(result.as_dict())
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    return runs, connections


def environment(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        version = conn.execute("show server_version").fetchone()[0]
        counts = conn.execute(
            "select (select count(*) from public.audit_logs),"
            " (select count(*) from public.knowledge_base_entries),"
            " (select count(*) from public.profiles),"
            " (select count(*) from public.system_performance_logs)"
        ).fetchone()
    try:
        commit = subprocess.run(  # noqa: S603
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        commit = "?"
    load1, _load5, _load15 = os.getloadavg()
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · commit {commit or '?'} (plus uncommitted "
        f"changes, if any) · {platform.machine()} {os.cpu_count()} CPUs · PostgreSQL {version} "
        f"· Python {platform.python_version()} · {counts[0]:,} audit rows, {counts[1]:,} "
        f"knowledge entries, {counts[2]:,} users, {counts[3]:,} performance logs · "
        f"load average {load1:.2f} at the end"
    )


def main() -> None:
    started = time.monotonic()
    db.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if os.environ.get("BENCH_RESEED") == "1":
        reset_database()
    url = db.start()
    changed = stale_migrations(url)
    if changed:
        print(f"bench: {', '.join(changed)} changed since the data was made; starting over")
        reset_database()
        url = db.start()
    env = child_env(url)
    try:
        step(
            "static files (the production storage needs them)",
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            env,
        )
        step("schema and data", [PYTHON, "-m", "bench.seed"], env)
        record_migration_sums(url)
        only_mix = os.environ.get("BENCH_ONLY") == "mix"
        results, loads, connections = [], [], 0
        if not only_mix:
            results_path = db.BENCH_DIR / "results.json"
            step("server time per page", [PYTHON, "-m", "bench.measure", str(results_path)], env)
            results = json.loads(results_path.read_text())
            if os.environ.get("BENCH_SKIP_LOAD") != "1":
                loads, connections = load_run(env)
        mixed = ""
        if only_mix or os.environ.get("BENCH_SKIP_MIX") != "1":
            from bench import mix

            mixed = mix.run_all(env, url)
        text = "\n\n".join(
            part
            for part in (
                environment(url),
                report.page_table(results) if results else "",
                report.load_table(loads, workers=WORKERS, connections=connections) if loads else "",
                mixed,
            )
            if part
        )
    finally:
        if os.environ.get("BENCH_KEEP_DB") != "1":
            db.stop()
    (db.BENCH_DIR / "latest.md").write_text(text + "\n")
    print("\n" + text + "\n")
    print(f"bench: done in {time.monotonic() - started:.0f} s (.data/bench/latest.md)")


if __name__ == "__main__":
    main()
