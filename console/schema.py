"""Applies the database schema: the local bootstrap (embedded or test database only), then
`supabase/migrations/*.sql` in name order, each once, recorded in `console.schema_migrations`.

The same files are what `supabase db push` applies to a real project.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

SUPABASE_DIR = Path(settings.BASE_DIR) / "supabase"
LOCAL_BOOTSTRAP_DIR = SUPABASE_DIR / "local"
MIGRATIONS_DIR = SUPABASE_DIR / "migrations"


@dataclass
class SchemaReport:
    bootstrap_applied: bool
    applied: list[str]
    already_applied: list[str]


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("*.sql"))


def apply_schema(connection, *, local: bool) -> SchemaReport:
    """Bring the database up to date. `local` adds the bootstrap a real Supabase already has."""
    schema = settings.CONSOLE_SCHEMA
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f'create schema if not exists "{schema}"')
        if local:
            for path in sorted(LOCAL_BOOTSTRAP_DIR.glob("*.sql")):
                cursor.execute(path.read_text())
        cursor.execute(
            f'create table if not exists "{schema}".schema_migrations ('
            " version text primary key, applied_at timestamptz not null default now())"
        )
        cursor.execute(f'select version from "{schema}".schema_migrations')
        done = {row[0] for row in cursor.fetchall()}
    applied, skipped = [], []
    for path in migration_files():
        version = path.stem
        if version in done:
            skipped.append(version)
            continue
        # Each migration with its record, all or nothing.
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(path.read_text())
            cursor.execute(
                f'insert into "{schema}".schema_migrations (version) values (%s)', [version]
            )
        applied.append(version)
    return SchemaReport(local, applied, skipped)
