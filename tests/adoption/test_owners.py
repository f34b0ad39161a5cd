"""Tables and functions an older dashboard or a generated app left owned by supabase_admin:
the project's postgres is not a member of it, so no migration can alter them. The check
blocks, naming the owner and the statement that hands the object on; `db_migrate` applies
nothing; once the owner has run it, adoption goes through."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.adoption.conftest import OWNER, check, migrate

pytestmark = pytest.mark.django_db

AUDIT = "public.log_audit_event(text, text, text, jsonb, jsonb)"


def _as_supabase_admin(hosted, *statements):
    """What the project's supabase_admin (superuser on a hosted project) does."""
    with hosted.connect(owner=False) as conn:
        conn.execute(
            "do $$ begin if not exists (select 1 from pg_roles where rolname = 'supabase_admin')"
            " then create role supabase_admin nologin; end if; end $$"
        )
        for statement in statements:
            conn.execute(statement)


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


def test_a_table_of_supabase_admin_blocks_with_the_statement_its_owner_runs(hosted_db):
    _as_supabase_admin(hosted_db, "alter table public.ai_agents owner to supabase_admin")
    fix = f"alter table public.ai_agents owner to {OWNER};"

    result = _manage(hosted_db, "--check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"! table ai_agents belongs to supabase_admin, so the migration, as {OWNER}, cannot "
        f'alter it (it would stop with "must be owner"): as supabase_admin (on a hosted '
        f"project, Supabase support), run `{fix}`, then check again"
    ) in result.stdout
    refused = _manage(hosted_db)
    assert refused.returncode != 0 and "nothing applied" in refused.stderr
    with hosted_db.connect(owner=False) as conn:
        assert conn.execute("select to_regnamespace('supabase_migrations')").fetchone()[0] is None

    _as_supabase_admin(hosted_db, fix)
    assert not check(hosted_db).blocked
    assert migrate(hosted_db).applied


def test_an_audit_function_of_supabase_admin_blocks_too(hosted_db):
    _as_supabase_admin(hosted_db, f"alter function {AUDIT} owner to supabase_admin")

    blockers = check(hosted_db).blockers
    assert (
        "function public.log_audit_event(p_action text, p_table_name text, p_record_id text,"
        f" p_old_values jsonb, p_new_values jsonb) belongs to supabase_admin, so the migration,"
        f" as {OWNER}, cannot alter it: as supabase_admin (on a hosted project, Supabase"
        " support), run `alter function"
        " public.log_audit_event(p_action text, p_table_name text, p_record_id text,"
        f" p_old_values jsonb, p_new_values jsonb) owner to {OWNER};`"
    ) in blockers
    with pytest.raises(Exception, match="must be owner"):
        migrate(hosted_db)


def test_tables_the_migrating_role_owns_are_said_to_be_fine(hosted_db):
    report = check(hosted_db)
    assert (
        "owners of the tables: the migrating role or a role it is a member of, so the migrations"
        " can alter them"
    ) in report.ok
    assert not report.blocked
