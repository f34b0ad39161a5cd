"""Applies the database schema: the local bootstrap (embedded or test database only), then
`supabase/migrations/*.sql` in name order, each once.

One migration history, the Supabase CLI's: `supabase_migrations.schema_migrations` (version,
name, statements), created as the CLI creates it when absent, so `supabase db push` and
`db_migrate` see the same applied versions. Versions an older console recorded in
`console.schema_migrations` are carried over once.

Each migration runs in its own transaction with a `lock_timeout`, so a step that would wait
behind a long transaction fails fast instead of queueing every sign-in behind it. A file
starting with `-- db_migrate: no-transaction` (concurrent index builds on big tables) runs
statement by statement outside any transaction.

`console/preflight.py` reads the live catalog and says, before anything changes, what
applying would do.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

SUPABASE_DIR = Path(settings.BASE_DIR) / "supabase"
LOCAL_BOOTSTRAP_DIR = SUPABASE_DIR / "local"
MIGRATIONS_DIR = SUPABASE_DIR / "migrations"
HISTORY_TABLE = "supabase_migrations.schema_migrations"
LEGACY_HISTORY_TABLE = "console.schema_migrations"
NO_TRANSACTION_MARK = "-- db_migrate: no-transaction"
DEFAULT_LOCK_TIMEOUT = "5s"


@dataclass
class SchemaReport:
    bootstrap_applied: bool
    applied: list[str]
    already_applied: list[str]


@dataclass(frozen=True)
class Migration:
    path: Path

    @property
    def version(self) -> str:
        return self.path.stem.partition("_")[0]

    @property
    def name(self) -> str:
        return self.path.stem.partition("_")[2]

    @property
    def sql(self) -> str:
        return self.path.read_text()

    @property
    def in_transaction(self) -> bool:
        return not self.sql.startswith(NO_TRANSACTION_MARK)


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("*.sql"))


def migrations() -> list[Migration]:
    return [Migration(path) for path in migration_files()]


def raw_connection(connection):
    """The psycopg connection under a Django connection (or the psycopg one itself)."""
    if hasattr(connection, "ensure_connection"):
        connection.ensure_connection()
        return connection.connection
    return connection


def applied_versions(conn) -> set[str] | None:
    """Versions in the Supabase CLI's history; None when the table does not exist yet."""
    if conn.execute("select to_regclass(%s)", [HISTORY_TABLE]).fetchone()[0] is None:
        return None
    return {row[0] for row in conn.execute(f"select version from {HISTORY_TABLE}")}


def legacy_versions(conn) -> set[str]:
    """Versions an older console recorded in its own history (file stems)."""
    if conn.execute("select to_regclass(%s)", [LEGACY_HISTORY_TABLE]).fetchone()[0] is None:
        return set()
    return {
        row[0].partition("_")[0]
        for row in conn.execute(f"select version from {LEGACY_HISTORY_TABLE}")
    }


def _ensure_history(conn) -> set[str]:
    # The table as the Supabase CLI creates it (`supabase db push`, `migration repair`).
    conn.execute("create schema if not exists supabase_migrations")
    conn.execute(
        f"create table if not exists {HISTORY_TABLE}"
        " (version text not null primary key, statements text[], name text)"
    )
    by_version = {m.version: m for m in migrations()}
    for version in sorted(legacy_versions(conn)):
        migration = by_version.get(version)
        conn.execute(
            f"insert into {HISTORY_TABLE} (version, name, statements) values (%s, %s, %s)"
            " on conflict (version) do nothing",
            [
                version,
                migration.name if migration else None,
                [migration.sql] if migration else None,
            ],
        )
    return applied_versions(conn) or set()


def _record(conn, migration: Migration) -> None:
    conn.execute(
        f"insert into {HISTORY_TABLE} (version, name, statements) values (%s, %s, %s)",
        [migration.version, migration.name, [migration.sql]],
    )


def _statements(sql: str) -> list[str]:
    """The statements of a no-transaction file (plain statements, no bodies with `;`)."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


_CONCURRENT_INDEX = re.compile(
    r"create\s+(?:unique\s+)?index\s+concurrently\s+if\s+not\s+exists\s+(\w+)", re.I
)


def _apply_without_transaction(conn, migration: Migration, lock_timeout: str) -> None:
    # A concurrent build that failed leaves an INVALID index that `if not exists` would keep.
    for name in _CONCURRENT_INDEX.findall(migration.sql):
        invalid = conn.execute(
            "select 1 from pg_index i join pg_class c on c.oid = i.indexrelid"
            " where c.relname = %s and not i.indisvalid",
            [name],
        ).fetchone()
        if invalid:
            conn.execute(f"drop index concurrently if exists public.{name}")
    conn.execute("select set_config('lock_timeout', %s, false)", [lock_timeout])
    try:
        for statement in _statements(migration.sql):
            conn.execute(statement)
    finally:
        conn.execute("reset lock_timeout")
    with conn.transaction():
        _record(conn, migration)


def apply_schema(
    connection, *, local: bool, lock_timeout: str = DEFAULT_LOCK_TIMEOUT
) -> SchemaReport:
    """Bring the database up to date. `local` adds the bootstrap a real Supabase already has."""
    conn = raw_connection(connection)
    schema = settings.CONSOLE_SCHEMA
    with conn.transaction():
        conn.execute(f'create schema if not exists "{schema}"')
        if local:
            for path in sorted(LOCAL_BOOTSTRAP_DIR.glob("*.sql")):
                conn.execute(path.read_text())
        done = _ensure_history(conn)
    applied, skipped = [], []
    for migration in migrations():
        if migration.version in done:
            skipped.append(migration.path.stem)
            continue
        if migration.in_transaction:
            # Each migration with its record, all or nothing.
            with conn.transaction():
                conn.execute("select set_config('lock_timeout', %s, true)", [lock_timeout])
                conn.execute(migration.sql)
                _record(conn, migration)
        else:
            _apply_without_transaction(conn, migration, lock_timeout)
        applied.append(migration.path.stem)
    return SchemaReport(local, applied, skipped)
