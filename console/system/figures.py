"""What the system page shows, read as the signed-in admin or auditor through the
security-definer readers (private.system_*), each checking the role inside.

The expensive parts (statistics views, sizes, pg_stat_statements, Supabase Auth's health) are
cached per worker for SYSTEM_CACHE_SECONDS in a local-memory cache: the request runs as the
user and cannot reach the database cache in the `console` schema, and a few seconds of
staleness per worker is what the page promises. Query text is cached apart for admins.
"""

import json
import time
from dataclasses import dataclass, field

import httpx
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connection

from console import registry, sideband
from console.auth import breaker
from console.auth.client import http_client
from console.system import latency

_cache = LocMemCache("console-system", {"TIMEOUT": 5, "OPTIONS": {"MAX_ENTRIES": 50}})

BIG_TABLE_ROWS = 10_000  # sequential scans on tables above this are worth a look
AUTH_HEALTH_TIMEOUT = 2.0


def cached(key: str, compute):
    value = _cache.get(key)
    if value is None:
        value = compute()
        _cache.set(key, value, timeout=settings.SYSTEM_CACHE_SECONDS)
    return value


def clear_cache() -> None:
    _cache.clear()


def _rows(sql: str, params=()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def overview() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("select private.system_overview()")
        value = cursor.fetchone()[0]
    return json.loads(value) if isinstance(value, str) else value


def activity(admin: bool) -> list[dict]:
    return cached(f"activity:{admin}", lambda: _rows("select * from private.system_activity(10)"))


@dataclass
class TableFigure:
    name: str
    estimated_rows: int
    table_bytes: int
    index_bytes: int
    total_bytes: int
    seq_scan: int | None
    seq_tup_read: int | None
    idx_scan: int | None
    dead_rows: int | None
    last_vacuum: object = None
    last_analyze: object = None
    unused_indexes: list = field(default_factory=list)

    @property
    def seq_scans_on_big_table(self) -> bool:
        return bool(self.seq_scan) and self.estimated_rows >= BIG_TABLE_ROWS


def tables() -> list[TableFigure]:
    """The tables the console's areas show (the registry), with their unused indexes."""

    def compute():
        shown = set(registry.tables())
        figures = {
            row["table_name"]: TableFigure(name=row.pop("table_name"), **row)
            for row in _rows("select * from private.system_tables()")
            if row["table_name"] in shown
        }
        for index in _rows("select * from private.system_indexes()"):
            table = figures.get(index["table_name"])
            if table and not index["idx_scan"] and not index["is_primary"]:
                table.unused_indexes.append(index)
        return sorted(figures.values(), key=lambda t: t.total_bytes, reverse=True)

    return cached("tables", compute)


def statements(admin: bool) -> list[dict]:
    return cached(
        f"statements:{admin}", lambda: _rows("select * from private.system_statements(10)")
    )


def migrations() -> list[dict]:
    return cached("migrations", lambda: _rows("select * from private.system_migrations()"))


def auth_health() -> dict:
    """GET /auth/v1/health through the breaker, with a short timeout."""

    def compute():
        started = time.perf_counter()
        try:
            response = http_client().get(
                f"{settings.SUPABASE_URL}/auth/v1/health",
                headers={"apikey": settings.SUPABASE_ANON_KEY},
                timeout=AUTH_HEALTH_TIMEOUT,
            )
        except breaker.CircuitOpen:
            return {"ok": False, "ms": None, "detail": "not asked: the circuit breaker is open"}
        except httpx.HTTPError as exc:
            return {"ok": False, "ms": None, "detail": f"{type(exc).__name__}: {exc}"[:200]}
        ms = (time.perf_counter() - started) * 1000
        detail = f"HTTP {response.status_code}"
        if response.status_code == 200:
            try:
                body = response.json()
                detail = " ".join(str(body.get(k, "")) for k in ("name", "version")).strip()
            except ValueError:
                pass
        return {"ok": response.status_code == 200, "ms": ms, "detail": detail}

    return cached("auth_health", compute)


def breaker_state() -> breaker.BreakerState | None:
    try:
        return breaker.current()
    except DatabaseError:
        return None


def pool() -> dict:
    """This worker's connections: Django keeps one persistent connection per worker thread
    (CONN_MAX_AGE), plus the idle side connections; the database's view of all of them is in the
    overview (by application)."""
    db = connection.settings_dict
    return {
        "conn_max_age": db.get("CONN_MAX_AGE"),
        "health_checks": db.get("CONN_HEALTH_CHECKS"),
        "connect_timeout": db.get("OPTIONS", {}).get("connect_timeout"),
        "side_connections_idle": sideband.open_count(),
    }


def latency_now() -> float | None:
    try:
        return latency.measure()
    except DatabaseError:
        return None
