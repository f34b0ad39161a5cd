"""`python manage.py db_migrate --check` and `db_migrate` as a separate process against the
hosted-like project, as its developer role: the report, the exit codes, and blockers with
counts and example ids."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def _manage(hosted, *args):
    env = {**os.environ, "DATABASE_URL": hosted.owner_url}
    return subprocess.run(
        [sys.executable, "manage.py", "db_migrate", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_prints_the_three_parts_and_exits_zero_then_db_migrate_applies(hosted_db):
    result = _manage(hosted_db, "--check")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Already as the console expects" in out
    assert "~ drops policy 'Enable read access for all users' on ai_agents" in out
    assert "~ creates 3 missing profiles" in out
    assert "Blocks (0):" in out

    applied = _manage(hosted_db)
    assert applied.returncode == 0, applied.stderr
    assert "Schema up to date" in applied.stdout
    again = _manage(hosted_db, "--check")
    assert again.returncode == 0
    assert "Applying will change (0):" in again.stdout and "Nothing to do." in again.stdout
    with hosted_db.connect(owner=False) as conn:
        owner = conn.execute(
            "select tableowner from pg_tables where schemaname = 'console' and tablename = 'django_session'"
        ).fetchone()
        assert owner == ("hosted_postgres",)


def test_blockers_name_counts_and_example_ids_and_stop_db_migrate(hosted_db):
    with hosted_db.connect(owner=False) as conn:
        conn.execute("alter table public.profiles drop constraint profiles_role_check")
        conn.execute(
            "update public.profiles set role = 'owner' where email = 'carol@legacy.example'"
        )
        conn.execute("alter table public.deployment_packages alter column configuration type text")
        conn.execute("update public.deployment_packages set configuration = 'not json'")
        bad_package = conn.execute("select id from public.deployment_packages").fetchone()[0]
        conn.execute(
            "alter table public.ai_agents alter column last_activity type point using null"
        )
        carol = conn.execute(
            "select id from public.profiles where email = 'carol@legacy.example'"
        ).fetchone()[0]

    result = _manage(hosted_db, "--check")
    assert result.returncode == 1
    out = result.stdout
    assert (
        f"! profiles.role: 1 profile with a role the console does not know (owner; ids {carol})"
        in out
    )
    assert (
        f"! deployment_packages.configuration (text → jsonb): 1 row cannot be converted (ids {bad_package})"
        in out
    )
    assert "! ai_agents.last_activity is point; the console needs timestamp with time zone" in out

    refused = _manage(hosted_db)
    assert refused.returncode != 0
    assert "nothing applied" in refused.stderr
    with hosted_db.connect(owner=False) as conn:
        assert conn.execute("select to_regnamespace('supabase_migrations')").fetchone()[0] is None
