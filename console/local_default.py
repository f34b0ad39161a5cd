"""The local default's services, made ready before the settings load.

Settings only read the environment (and files that exist). With no DATABASE_URL or no
SUPABASE_URL, something has to start the embedded PostgreSQL and make the local auth
server's keys first: `manage.py` calls `prepare()` (so `make run`, `runlocal`, `localauth`,
`db_migrate`… all find them), and the test plugin does its own with a throwaway cluster and
fresh keys. (`make bench` gets its keys from its first step, `manage.py collectstatic`.)
"""

import os
from collections.abc import MutableMapping
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# The local default's state: the embedded cluster, the local auth keys, the outbox, the auth
# server's pid. LOCAL_DATA_DIR puts all of it elsewhere (a throwaway run: tests/test_soak.py).
DATA_DIR = Path(os.environ.get("LOCAL_DATA_DIR") or BASE_DIR / ".data")

KEY_VARIABLES = ("SUPABASE_JWT_SECRET", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY")


def put_keys(environ: MutableMapping[str, str], keys) -> None:
    """Hand the local auth server's keys to settings (and child processes) by environment;
    a key already set there wins."""
    environ.setdefault("SUPABASE_JWT_SECRET", keys.jwt_secret)
    environ.setdefault("SUPABASE_ANON_KEY", keys.anon_key)
    environ.setdefault("SUPABASE_SERVICE_ROLE_KEY", keys.service_role_key)


def ensure_keys(environ: MutableMapping[str, str] = os.environ, data_dir: Path = DATA_DIR):
    """Local auth (no SUPABASE_URL): the checkout's keys, made on first use, unless the
    environment already holds all three (the test run's own, or a parent's)."""
    if environ.get("SUPABASE_URL") or all(environ.get(name) for name in KEY_VARIABLES):
        return
    from localauth.config import ensure_local_keys

    put_keys(environ, ensure_local_keys(data_dir))


def ensure_database(environ: MutableMapping[str, str] = os.environ) -> None:
    """Embedded default (no DATABASE_URL): start the cluster under .data/postgres. Settings
    find it through its postmaster.pid."""
    if environ.get("DATABASE_URL"):
        return
    from console.embedded_db import start

    start()


def prepare(environ: MutableMapping[str, str] = os.environ) -> None:
    ensure_keys(environ)
    ensure_database(environ)


# `make run` notes the local auth server it started here, so `make stop` can end it if the
# run itself was killed before it could.
AUTH_PID_FILE = DATA_DIR / "localauth.pid"


def note_auth_server(pid: int, pid_file: Path = AUTH_PID_FILE) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(pid))


def forget_auth_server(pid_file: Path = AUTH_PID_FILE) -> None:
    pid_file.unlink(missing_ok=True)


def stop_auth_server(pid_file: Path = AUTH_PID_FILE) -> bool:
    """End the local auth server a run left behind, if it still runs. True if one was."""
    import signal

    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    pid_file.unlink(missing_ok=True)
    if not _is_our_auth_server(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    return True


def _is_our_auth_server(pid: int) -> bool:
    """The pid still names `manage.py localauth` (a pid can be reused by anything else)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"localauth" in cmdline and any(part.endswith(b"manage.py") for part in cmdline)


def stop() -> None:
    """`make stop`: the local auth server and the embedded PostgreSQL stop; data stays."""
    from console.embedded_db import stop as stop_database

    print("Local auth server stopped." if stop_auth_server() else "No local auth server left.")
    print("Embedded PostgreSQL stopped." if stop_database() else "Embedded PostgreSQL not running.")
