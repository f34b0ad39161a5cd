"""Errors from the database, recognised by SQLSTATE and the fields our own SQL sets (the
constraint name), never by message text, which PostgreSQL or a migration may reword.

Django wraps psycopg's errors: the psycopg error (with `.sqlstate` and `.diag`) is the
wrapper's `__cause__`.
"""

INSUFFICIENT_PRIVILEGE = "42501"
CHECK_VIOLATION = "23514"
NO_DATA_FOUND = "P0002"
INVALID_PARAMETER_VALUE = "22023"
# A statement or lock timeout cancelled the query: the request took too long.
QUERY_CANCELED = "57014"
LOCK_NOT_AVAILABLE = "55P03"
TIMED_OUT = (QUERY_CANCELED, LOCK_NOT_AVAILABLE)

# Constraint names our own functions raise with (supabase/migrations/*_error_codes.sql).
KEEP_AN_ACTIVE_ADMIN = "keep_an_active_admin"


def database_error(exc: BaseException | None):
    """The psycopg error behind `exc` (itself, or down its chain of causes)."""
    seen = 0
    while exc is not None and seen < 10:
        if getattr(exc, "sqlstate", None):
            return exc
        exc, seen = exc.__cause__, seen + 1
    return None


def sqlstate(exc: BaseException | None) -> str | None:
    error = database_error(exc)
    return error.sqlstate if error is not None else None


def constraint(exc: BaseException | None) -> str | None:
    """The constraint an integrity error names (a table's, or one our SQL raises with)."""
    error = database_error(exc)
    diag = getattr(error, "diag", None)
    return getattr(diag, "constraint_name", None)


def is_last_active_admin(exc: BaseException | None) -> bool:
    """The database refused to leave the console without an active admin."""
    return sqlstate(exc) == CHECK_VIOLATION and constraint(exc) == KEEP_AN_ACTIVE_ADMIN
