"""The lifecycle is the database's: refused for an admin writing SQL directly, not only in
the console (supabase/migrations/20261127010000_deployment_lifecycle.sql)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.deployments.helpers import (
    deployed,
    new_package,
    set_status,
    sql,
    sql_state,
    status_of,
)
from tests.factories import db_user

pytestmark = pytest.mark.django_db

MIGRATION = Path(settings.BASE_DIR) / "supabase/migrations/20261127010000_deployment_lifecycle.sql"


@pytest.fixture
def admin():
    return db_user("admin")


# ---------- Semantic versions ----------

VALID = [
    "0.0.0",
    "1.2.3",
    "10.20.30",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-0.3.7",
    "1.0.0-x.7.z.92",
    "1.0.0-alpha+001",
    "1.0.0+20130313144700",
    "1.0.0-beta+exp.sha.5114f85",
    "1.0.0-x-y-z.--",
]
INVALID = ["1.2", "1", "v1.2.3", "01.2.3", "1.02.3", "1.2.3-01", "1.2.3-", "1.2.3+", "a.b.c", ""]


@pytest.mark.parametrize("version", VALID)
def test_semantic_versions_are_accepted(admin, version):
    assert sql_state(admin, "select 1") is None
    new_package(admin, version=version)


@pytest.mark.parametrize("version", INVALID)
def test_other_versions_are_refused_with_our_sqlstate(admin, version):
    state = sql_state(
        admin,
        "insert into public.deployment_packages (name, package_type, version)"
        " values ('api', 'agent', %s)",
        [version],
    )
    assert state == "BG001"


def test_a_draft_cannot_change_its_version_to_a_bad_one(admin):
    package = new_package(admin)
    assert (
        sql_state(
            admin,
            "update public.deployment_packages set version = '1.2' where id = %s",
            [package],
        )
        == "BG001"
    )


def test_semver_key_sorts_by_precedence():
    # semver.org §11, plus numeric fields of different lengths.
    ordered = [
        "0.9.0",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.9.0",
        "1.10.0",
        "1.10.1",
        "2.0.0",
        "10.0.0",
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "select v from unnest(%s::text[]) v order by private.semver_key(v)",
            [list(reversed(ordered))],
        )
        assert [row[0] for row in cursor] == ordered
        cursor.execute(
            "select private.semver_key('1.0.0+build.1') = private.semver_key('1.0.0'),"
            " private.semver_key('2026.11') < private.semver_key('0.0.0-0')"  # legacy: lowest
        )
        assert cursor.fetchone() == (True, True)


def test_name_and_version_are_unique(admin):
    new_package(admin, version="1.0.0")
    state = sql_state(
        admin,
        "insert into public.deployment_packages (name, package_type, version)"
        " values ('api', 'agent', '1.0.0')",
    )
    assert state == "23505"


# ---------- The lifecycle ----------


def test_a_new_package_is_a_draft_and_cannot_start_later(admin):
    package = new_package(admin)
    assert status_of(package) == ("draft", None, False)
    state = sql_state(
        admin,
        "insert into public.deployment_packages (name, package_type, version, status)"
        " values ('api', 'agent', '2.0.0', 'deployed')",
    )
    assert state == "BG002"


def test_created_by_defaults_to_the_writer(admin):
    package = new_package(admin)
    with connection.cursor() as cursor:
        cursor.execute(
            "select created_by::text from public.deployment_packages where id = %s", [package]
        )
        assert cursor.fetchone()[0] == admin.id


def test_the_forward_steps_and_deployed_at_set_by_the_database(admin):
    package = new_package(admin)
    set_status(admin, package, "staging")
    assert status_of(package)[0] == "staging"
    # The writer's deployed_at is ignored: the database sets it when the row becomes deployed.
    sql(
        admin,
        "update public.deployment_packages set status = 'deployed',"
        " deployed_at = '2001-01-01' where id = %s",
        [package],
    )
    status, deployed_at, was_deployed = status_of(package)
    assert status == "deployed" and was_deployed
    assert deployed_at.year > 2001
    set_status(admin, package, "retired")
    assert status_of(package)[:2] == ("retired", deployed_at)


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        (["staging"], "draft"),  # back
        ([], "deployed"),  # skipping staging
        ([], "retired"),
        (["staging", "deployed"], "draft"),
        (["staging", "deployed"], "staging"),
        (["staging", "deployed", "retired"], "staging"),
        (["staging", "deployed", "retired"], "draft"),
        ([], "published"),  # not a status
    ],
)
def test_illegal_transitions_are_refused_for_an_admin_in_direct_sql(admin, path, illegal):
    package = new_package(admin)
    for status in path:
        set_status(admin, package, status)
    state = sql_state(
        admin,
        "update public.deployment_packages set status = %s where id = %s",
        [illegal, package],
    )
    assert state in ("BG002", "23514")  # our trigger; the check constraint for non-statuses
    if illegal in ("draft", "staging", "deployed", "retired"):
        assert state == "BG002"
    assert status_of(package)[0] == (path[-1] if path else "draft")


def test_deployed_and_retired_versions_are_read_only(admin):
    package = deployed(admin)
    for column, value in (
        ("configuration", '{"replicas": 9}'),
        ("version", "1.0.1"),
        ("name", "other"),
    ):
        state = sql_state(
            admin,
            f"update public.deployment_packages set {column} = %s where id = %s",
            [value, package],
        )
        assert state == "BG003", column


def test_deleting_is_for_drafts_and_retired_versions(admin):
    draft = new_package(admin, version="1.0.0")
    live = deployed(admin, version="2.0.0")
    delete = "delete from public.deployment_packages where id = %s"
    assert sql_state(admin, delete, [live]) == "BG005"
    assert sql_state(admin, delete, [draft]) is None
    set_status(admin, live, "retired")
    assert sql_state(admin, delete, [live]) is None


# ---------- One deployed version per name (and environment) ----------


def test_deploying_retires_the_version_deployed_before(admin):
    first = deployed(admin, version="1.0.0")
    second = deployed(admin, version="1.1.0")
    assert status_of(first)[0] == "retired"
    assert status_of(second)[0] == "deployed"
    with connection.cursor() as cursor:
        cursor.execute(
            "select status_reason from public.deployment_packages where id = %s", [first]
        )
        assert cursor.fetchone()[0] == "replaced by 1.1.0"


def test_each_environment_has_its_own_deployed_version(admin):
    prod = deployed(admin, version="1.0.0", data={"environment": "production"})
    staging_env = deployed(admin, version="1.1.0", data={"environment": "staging"})
    other_name = deployed(admin, name="web", version="1.0.0")
    assert {status_of(p)[0] for p in (prod, staging_env, other_name)} == {"deployed"}
    newer_prod = deployed(admin, version="1.2.0", data={"environment": "production"})
    assert status_of(prod)[0] == "retired"
    assert status_of(staging_env)[0] == "deployed"
    assert status_of(newer_prod)[0] == "deployed"


def test_the_unique_index_holds_even_without_the_trigger(admin):
    """The last line: with the lifecycle trigger off, a second deployed row cannot exist."""
    first = deployed(admin, version="1.0.0")
    second = new_package(admin, version="1.1.0")
    with connection.cursor() as cursor:
        cursor.execute(
            "alter table public.deployment_packages disable trigger deployment_lifecycle"
        )
    state = sql_state(
        admin, "update public.deployment_packages set status = 'deployed' where id = %s", [second]
    )
    assert state == "23505"
    assert status_of(first)[0] == "deployed"


# ---------- Rollback ----------


def test_rollback_deploys_a_retired_version_again_with_a_reason(admin):
    old = deployed(admin, version="1.0.0")
    new = deployed(admin, version="1.1.0")
    update = (
        "update public.deployment_packages set status = 'deployed', status_reason = %s"
        " where id = %s"
    )
    assert sql_state(admin, update, [None, old]) == "BG004"  # a reason is required
    assert sql_state(admin, update, ["  ", old]) == "BG004"
    sql(admin, update, ["1.1.0 leaks memory", old])
    assert status_of(old)[0] == "deployed"
    assert status_of(new)[0] == "retired"


def test_a_version_never_deployed_cannot_be_rolled_back_to(admin):
    with connection.cursor() as cursor:
        # A legacy row: retired without ever having been deployed.
        cursor.execute(
            "alter table public.deployment_packages disable trigger deployment_lifecycle"
        )
        cursor.execute(
            "insert into public.deployment_packages (name, package_type, version, status)"
            " values ('api', 'agent', '0.9.0', 'retired') returning id::text"
        )
        package = cursor.fetchone()[0]
        cursor.execute("alter table public.deployment_packages enable trigger deployment_lifecycle")
    state = sql_state(
        admin,
        "update public.deployment_packages set status = 'deployed', status_reason = 'x'"
        " where id = %s",
        [package],
    )
    assert state == "BG004"


# ---------- Who may write ----------


@pytest.mark.parametrize("role", ["editor", "auditor", "viewer"])
def test_rls_refuses_other_roles_writes(admin, role):
    user = db_user(role)
    package = deployed(admin)
    draft = new_package(admin, version="2.0.0")
    assert sql(user, "select count(*) from public.deployment_packages")[0][0] == 2  # reads
    insert = (
        "insert into public.deployment_packages (name, package_type, version)"
        " values ('x', 'agent', '1.0.0')"
    )
    assert sql_state(user, insert) == "42501"
    # Updates and deletes see no row to change.
    sql(user, "update public.deployment_packages set status = 'retired' where id = %s", [package])
    sql(user, "update public.deployment_packages set status = 'staging' where id = %s", [draft])
    sql(user, "delete from public.deployment_packages where id = %s", [draft])
    assert status_of(package)[0] == "deployed"
    assert status_of(draft)[0] == "draft"


# ---------- Legacy data and re-running the migration ----------


def test_the_migration_maps_legacy_rows_and_runs_again(admin):
    with connection.cursor() as cursor:
        cursor.execute(
            "alter table public.deployment_packages disable trigger deployment_lifecycle"
        )
        cursor.execute("drop index public.deployment_packages_one_deployed")
        cursor.execute("drop index public.deployment_packages_name_version_key")
        cursor.execute(
            "alter table public.deployment_packages drop constraint deployment_packages_status_check"
        )
        cursor.execute(
            "insert into public.deployment_packages"
            " (name, package_type, version, status, deployed_at, was_deployed, created_at)"
            " values"
            " ('platform', 'system', '2026.11', 'active', now() - interval '1 day', false, now()),"
            " ('platform', 'system', 'v2026.10.0', 'deployed', now() - interval '9 days', false,"
            "  now() - interval '10 days'),"
            " ('platform', 'system', '2026.9', 'testing', null, false, now()),"
            " ('platform', 'system', '2026.8.0', 'approval', null, false, now()),"
            " ('platform', 'system', '2026.8.0', null, null, false, now() + interval '1 second'),"
            " ('platform', 'system', 'nightly', 'whatever', null, false, now())"
        )
        cursor.execute(MIGRATION.read_text())
        cursor.execute(
            "select version, status, was_deployed from public.deployment_packages"
            " where name = 'platform' order by created_at, version"
        )
        rows = set(cursor.fetchall())
    assert rows == {
        ("2026.10.0", "retired", True),  # the older of two deployed
        ("2026.11.0", "deployed", True),
        ("2026.9.0", "draft", False),
        ("2026.8.0", "staging", False),
        ("2026.8.0+legacy.2", "draft", False),  # a duplicate keeps its row, made unique
        ("nightly", "draft", False),  # not fixable: stays, sorts last
    }
    # The triggers are back: the rules hold after a re-run.
    package = new_package(admin, name="platform", version="2026.12.0")
    assert (
        sql_state(
            admin,
            "update public.deployment_packages set status = 'retired' where id = %s",
            [package],
        )
        == "BG002"
    )
