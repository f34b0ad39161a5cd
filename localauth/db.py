"""Database connections of the local auth server: one short psycopg 3 connection per request.

Rows come back as dicts. The session time zone is UTC, so the `timestamp without time zone`
columns GoTrue has (`sessions.refreshed_at`, `one_time_tokens.created_at`) hold UTC.
"""

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

__all__ = ["Jsonb", "connect", "conninfo_from_django"]


def connect(dsn: str) -> psycopg.Connection:
    """A connection in a transaction; use as `with connect(dsn) as conn:` (commit on success)."""
    conn = psycopg.connect(dsn, row_factory=dict_row, connect_timeout=10)
    conn.execute("set time zone 'UTC'")
    return conn


def conninfo_from_django(settings_dict: dict) -> str:
    """A libpq conninfo from a Django DATABASES entry (HOST may be a Unix socket directory)."""
    params = {
        "dbname": settings_dict.get("NAME") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": str(settings_dict["PORT"]) if settings_dict.get("PORT") else None,
    }
    sslmode = (settings_dict.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        params["sslmode"] = sslmode
    return make_conninfo(**{key: value for key, value in params.items() if value is not None})
