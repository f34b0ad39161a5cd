"""A hosted-like Supabase database holding a legacy BillyGoat backend, in the test cluster.

Built once per run as a template (roles as a hosted project has them, the `auth` schema
owned by supabase_auth_admin, the legacy schema of legacy_backend.sql and its data); each
test gets a fresh copy (`create database … template …`, a file copy) and works on it as the
developer role `hosted_postgres`, which is not superuser. `new_project_db` is the same
project before anything was built on it (roles and `auth` only).
"""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

HERE = Path(__file__).parent
TEMPLATE = "hosted_legacy_template"
NEW_PROJECT_TEMPLATE = "hosted_new_template"
OWNER = "hosted_postgres"


@dataclass
class HostedDatabase:
    name: str
    superuser_url: str
    owner_url: str

    def connect(self, *, owner: bool = True, **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            self.owner_url if owner else self.superuser_url, autocommit=True, **kwargs
        )

    def url_as(self, role: str) -> str:
        return self.superuser_url.replace("postgres:@", f"{role}:@", 1)


def _url(database: str, user: str = "postgres") -> str:
    db = settings.DATABASES["default"]
    return f"postgresql://{user}:@/{database}?host={db['HOST']}" + (
        f"&port={db['PORT']}" if db["PORT"] else ""
    )


def _run(url: str, sql: str, *, role: str | None = None) -> None:
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        if role:
            conn.execute(f"set local role {role}")
        conn.execute(sql)


@contextmanager
def _template(name: str, django_db_blocker, *, legacy: bool):
    """A hosted-like project as a template database; with `legacy`, the old backend and its
    data in it. The test database is set up first, so the cluster's roles (authenticated,
    billygoat_console, …) exist as they would on a real project."""
    with django_db_blocker.unblock(), psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f"drop database if exists {name}")
        admin.execute(f"create database {name}")
    url = _url(name)
    _run(url, "drop schema if exists console")  # template1's, from tests/plugins/cluster.py
    roles_sql = (
        (HERE / "hosted_roles.sql").read_text().replace("current_database_placeholder", name)
    )
    _run(url, roles_sql)
    # GoTrue's tables (01_auth_schema.sql, 02_auth_mfa.sql, …), as its own role makes them.
    for auth_file in sorted((Path(settings.BASE_DIR) / "supabase/local").glob("*_auth_*.sql")):
        _run(url, auth_file.read_text(), role="supabase_auth_admin")
    _run(
        url,
        f"grant usage on schema auth to {OWNER};"
        f" grant select, insert, update, delete, references, trigger on all tables in schema auth"
        f" to {OWNER};"
        f" grant usage on all sequences in schema auth to {OWNER};",
    )
    if legacy:
        _run(_url(name, OWNER), (HERE / "legacy_backend.sql").read_text())
        _run(url, (HERE / "legacy_data.sql").read_text())
    yield name
    with django_db_blocker.unblock(), psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f"drop database if exists {name}")


@pytest.fixture(scope="session")
def hosted_template(django_db_setup, django_db_blocker):
    """The legacy project, built once."""
    with _template(TEMPLATE, django_db_blocker, legacy=True) as name:
        yield name


@pytest.fixture(scope="session")
def new_project_template(django_db_setup, django_db_blocker):
    """A new hosted project (roles and `auth` only, nothing of the console's yet), built once."""
    with _template(NEW_PROJECT_TEMPLATE, django_db_blocker, legacy=False) as name:
        yield name


@contextmanager
def _copy(template: str):
    name = f"hosted_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f"create database {name} template {template}")
        # Database privileges are not copied from a template.
        admin.execute(f"grant create, connect, temporary on database {name} to {OWNER}")
    try:
        yield HostedDatabase(name, _url(name), _url(name, OWNER))
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def hosted_db(hosted_template):
    """A fresh copy of the legacy project, for one test."""
    with _copy(hosted_template) as hosted:
        yield hosted


@pytest.fixture
def new_project_db(new_project_template):
    """A fresh copy of the new project, for one test."""
    with _copy(new_project_template) as hosted:
        yield hosted


@pytest.fixture(scope="module")
def adopted_db(hosted_template):
    """A copy adopted by `db_migrate`, shared by a module whose tests roll their work back."""
    with _copy(hosted_template) as hosted:
        migrate(hosted)
        yield hosted


def migrate(hosted: HostedDatabase):
    """`db_migrate`'s SQL part on the hosted database, as its developer role."""
    from console.schema import apply_schema

    with hosted.connect() as conn:
        return apply_schema(conn, local=False)


def check(hosted: HostedDatabase):
    from console.preflight import inspect

    with hosted.connect() as conn:
        return inspect(conn)


__all__ = ["check", "connection", "migrate"]
