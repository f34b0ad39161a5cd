"""Shared set-up for the deployment tests: packages written as an admin by direct SQL."""

from django.db import DatabaseError, connection, transaction

from console.rls import as_user


def sqlstate(fn) -> str | None:
    """Run fn in a savepoint; the SQLSTATE the database refused it with (None: it passed)."""
    try:
        with transaction.atomic():
            fn()
    except DatabaseError as exc:
        return getattr(exc.__cause__, "sqlstate", None)
    return None


def sql(user, statement: str, params=()):
    """One statement as `user` (role authenticated with their claims); its rows, if any."""
    with as_user(user.claims), connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return cursor.fetchall() if cursor.description else None


def sql_state(user, statement: str, params=()) -> str | None:
    return sqlstate(lambda: sql(user, statement, params))


def new_package(user, name="api", version="1.0.0", data=None, config=None) -> str:
    rows = sql(
        user,
        "insert into public.deployment_packages"
        " (name, package_type, version, configuration, deployment_data)"
        " values (%s, 'agent', %s, %s::jsonb, %s::jsonb) returning id::text",
        [name, version, _json(config or {}), _json(data or {})],
    )
    return rows[0][0]


def set_status(user, package_id: str, status: str, reason: str | None = None):
    sql(
        user,
        "update public.deployment_packages set status = %s, status_reason = %s where id = %s",
        [status, reason, package_id],
    )


def status_of(package_id: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "select status, deployed_at, was_deployed from public.deployment_packages"
            " where id = %s",
            [package_id],
        )
        return cursor.fetchone()


def deployed(user, name="api", version="1.0.0", **kwargs) -> str:
    """A version walked from draft to deployed."""
    package_id = new_package(user, name, version, **kwargs)
    set_status(user, package_id, "staging")
    set_status(user, package_id, "deployed")
    return package_id


def _json(value) -> str:
    import json

    return json.dumps(value)
