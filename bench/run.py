"""`make bench`: the benchmark, end to end, on a fresh clone.

1. A separate embedded PostgreSQL under `.data/bench/` (database `billygoat_bench`), schema
   applied, volume from `seed_demo --scale 1` (once: later runs reuse it, unless a migration
   it was made with has changed since).
2. Server time of each list page (bench/pages.py) three ways in one process: raw SQL floor,
   the console, the stock admin (console.settings_bench).
3. The same rows on a tenth of the data (database `billygoat_bench_small`, in the same
   cluster, seeded with `seed_demo --scale <BENCH_SCALE / 10>` once), for the growth table:
   how each row's p50 grows with the data.
4. A load run: gunicorn with the production settings (DEBUG off, 2 workers) on 127.0.0.1 and
   a load generator (bench/load.py) on each target of LOAD_TARGETS, signed in as its account;
   then each worker's resident memory.
5. The tables, printed and written to `.data/bench/latest.md`.
6. The mixed run with writes and the two-instance run (bench/mix.py).

Settings (environment): BENCH_ONLY (row key prefixes, e.g. "audit,knowledge"; "mix": only
the mixed and two-instance runs), BENCH_SCALE (1), BENCH_RESEED=1 (start the data over, both
databases), BENCH_REPEAT (50 requests a page), BENCH_ADMIN_SECONDS (20: time budget per admin
page), BENCH_SKIP_GROWTH=1 (no small-scale pass, no growth table), BENCH_SMALL_ADMIN_SECONDS
(a quarter of BENCH_ADMIN_SECONDS, at least 1: the admin's budget in the small pass),
BENCH_SKIP_LOAD=1, BENCH_LOAD_SECONDS (20), BENCH_LOAD_CONNECTIONS (4), BENCH_SKIP_MIX=1 (no
mixed and two-instance runs), BENCH_MIX_SECONDS (60), BENCH_KEEP_DB=1 (leave the bench
cluster running afterwards).
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import db, load, pages, report

BASE_DIR = db.BASE_DIR
PYTHON = sys.executable
WORKERS = 2
AUDITOR = "auditor@example.com"  # reads every list (console/roles.py, the areas' access)
SMALL_SCALE_DIVISOR = 10


@dataclass
class LoadTarget:
    url: str  # `{email_fragment}`: the users-search row's fragment (bench/pages.py)
    goal_rps: float  # at least this many successful requests a second, no errors
    account: str = AUDITOR  # signed in as
    expect: bytes = b'id="results"'  # in every good answer (the list's results section)


LOAD_TARGETS = [
    LoadTarget("/audit/", 300),
    LoadTarget("/knowledge/?q=agent", 200),
    LoadTarget("/users/?q={email_fragment}", 200),
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


def reset_database(name: str = db.DATABASE_NAME) -> None:
    import psycopg

    url = db.start(name)
    admin_url = url.replace(f"/{name}?", "/postgres?")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


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


def email_fragment(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(pages.EMAIL_FRAGMENT_SQL, [pages.EMAIL_FRAGMENT_LIKE]).fetchone()[0]


def worker_memory(master_pid: int) -> list[tuple[int, float]]:
    """(pid, resident MiB) of each child of the gunicorn master, from /proc (VmRSS)."""
    children = []
    for task in Path(f"/proc/{master_pid}/task").glob("*/children"):
        children.extend(int(pid) for pid in task.read_text().split())
    memory = []
    for pid in sorted(children):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:  # gone in the meantime
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                memory.append((pid, int(line.split()[1]) / 1024))
    return memory


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(child) for child in task.read_text().split())
        except OSError:  # gone in the meantime
            continue
    return found


def _cpu_seconds(pid: int, *, waited_children: bool = False) -> float:
    """A process's CPU time (user + system) from /proc/<pid>/stat; with `waited_children`,
    also that of its children that have exited (cutime, cstime: a PostgreSQL backend that
    ended during the run)."""
    try:
        # the fields after the command's closing parenthesis: state is field 3, utime 14
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if waited_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(gunicorn_pid: int) -> dict[str, float]:
    """CPU seconds so far of the gunicorn workers, of PostgreSQL (the postmaster, its live
    processes and the ones that ended) and of this process (the load generator's threads)."""
    postmaster = int((db.PGDATA / "postmaster.pid").read_text().split()[0])
    return {
        "workers": sum(_cpu_seconds(pid) for pid in _children(gunicorn_pid)),
        "postgres": _cpu_seconds(postmaster, waited_children=True)
        + sum(_cpu_seconds(pid) for pid in _children(postmaster)),
        "generator": time.process_time(),
    }


def cpu_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request, by whose."""
    return {k: (after[k] - before[k]) * 1000 / max(requests, 1) for k in before}


def load_run(env: dict, url: str) -> tuple[list[dict], int, list[tuple[int, float]]]:
    """gunicorn with console.settings (production: DEBUG off), then the load generator on each
    target; returns the runs, the connections and the workers' memory after them."""
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "20"))
    connections = int(os.environ.get("BENCH_LOAD_CONNECTIONS", "4"))
    prod = dict(env, DJANGO_SETTINGS_MODULE="console.settings")
    sessions = {}
    for account in dict.fromkeys(target.account for target in LOAD_TARGETS):
        sessions[account] = step(
            f"signing in {account} for the load run",
            [PYTHON, "-m", "bench.session", account],
            prod,
            capture_output=True,
            text=True,
        ).stdout.strip()
    fragment = email_fragment(url)
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

    def headers(account: str) -> dict:
        return {
            "Host": "127.0.0.1",
            "Cookie": f"billygoat_session={sessions[account]}",
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
    runs, memory = [], []
    try:
        wait_for(port, headers(AUDITOR))
        for target in LOAD_TARGETS:
            target_url = target.url.format(email_fragment=fragment)
            print(f"bench: load on {target_url} for {seconds:g} s", flush=True)
            options = dict(connections=connections, expect=target.expect)
            load.run(  # warm-up, not counted
                port, target_url, headers(target.account), seconds=2, max_requests=200, **options
            )
            before = cpu_snapshot(server.pid)
            result = load.run(
                port,
                target_url,
                headers(target.account),
                seconds=seconds,
                max_requests=int(seconds * 1000),
                **options,
            )
            cpu = cpu_per_request(before, cpu_snapshot(server.pid), result.requests)
            runs.append(
                dict(
                    result.as_dict(),
                    goal_rps=target.goal_rps,
                    account=target.account,
                    cpu_ms=cpu,
                    cores=os.cpu_count(),
                )
            )
        memory = worker_memory(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    return runs, connections, memory


def volumes(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        counts = conn.execute(
            "select (select count(*) from public.audit_logs),"
            " (select count(*) from public.knowledge_base_entries),"
            " (select count(*) from public.profiles),"
            " (select count(*) from public.system_performance_logs)"
        ).fetchone()
    return (
        f"{counts[0]:,} audit rows, {counts[1]:,} knowledge entries, {counts[2]:,} users, "
        f"{counts[3]:,} performance logs"
    )


def environment(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        version = conn.execute("show server_version").fetchone()[0]
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
        f"· Python {platform.python_version()} · {volumes(url)} · "
        f"load average {load1:.2f} at the end"
    )


def database(name: str, scale: float) -> tuple[str, dict]:
    """The bench database `name` with the volume of `scale`, made once and reused (made again
    when a migration it was made with has changed): its URL and the children's environment."""
    url = db.start(name)
    changed = stale_migrations(url)
    if changed:
        print(f"bench: {', '.join(changed)} changed since {name} was made; starting over")
        reset_database(name)
        url = db.start(name)
    env = child_env(url, BENCH_SCALE=f"{scale:g}")
    step(f"schema and data ({name}, scale {scale:g})", [PYTHON, "-m", "bench.seed"], env)
    record_migration_sums(url)
    return url, env


def measure(env: dict, file_name: str, **extra) -> list[dict]:
    path = db.BENCH_DIR / file_name
    # Imported and called, not run with -m: run as __main__ the same code timed the knowledge
    # pages about 30% slower (12-15 ms where an imported main(), the same code in a test
    # process and gunicorn's workers measure 9-10), for a reason not found yet.
    call = "import sys; from bench.measure import main; main(sys.argv[1])"
    step("server time per page", [PYTHON, "-c", call, str(path)], dict(env, **extra))
    return json.loads(path.read_text())


def main() -> None:
    started = time.monotonic()
    db.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    small_scale = scale / SMALL_SCALE_DIVISOR
    only_mix = os.environ.get("BENCH_ONLY") == "mix"
    growth = not only_mix and os.environ.get("BENCH_SKIP_GROWTH") != "1"
    if os.environ.get("BENCH_RESEED") == "1":
        reset_database(db.DATABASE_NAME)
        reset_database(db.SMALL_DATABASE_NAME)
    try:
        url = db.start()
        step(
            "static files (the production storage needs them)",
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            child_env(url),
        )
        url, env = database(db.DATABASE_NAME, scale)
        results, small_results, loads, connections, memory = [], [], [], 0, []
        small_volumes = ""
        if not only_mix:
            results = measure(env, "results.json")
        if growth:
            admin_seconds = float(os.environ.get("BENCH_ADMIN_SECONDS", "20"))
            small_admin = os.environ.get("BENCH_SMALL_ADMIN_SECONDS") or max(1, admin_seconds / 4)
            small_url, small_env = database(db.SMALL_DATABASE_NAME, small_scale)
            print(f"bench: the same rows at scale {small_scale:g}, for the growth table")
            small_results = measure(
                small_env, "results_small.json", BENCH_ADMIN_SECONDS=f"{small_admin}"
            )
            small_volumes = volumes(small_url)
        if not only_mix and os.environ.get("BENCH_SKIP_LOAD") != "1":
            loads, connections, memory = load_run(env, url)
        mixed = ""
        if only_mix or os.environ.get("BENCH_SKIP_MIX") != "1":
            from bench import mix

            mixed = mix.run_all(env, url)
        growth_text = ""
        if small_results:
            growth_text = (
                report.growth_table(
                    small_results, results, small_scale=small_scale, big_scale=scale
                )
                + f"\nScale {small_scale:g}: {small_volumes}."
            )
        load_text = ""
        if loads:
            load_text = report.load_table(
                loads, workers=WORKERS, connections=connections, memory=memory
            )
        text = "\n\n".join(
            part
            for part in (
                environment(url),
                report.page_table(results) if results else "",
                growth_text,
                load_text,
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
