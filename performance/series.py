"""The explorer's SQL. PostgreSQL does the downsampling: buckets with date_bin, and per bucket
avg, p95 (percentile_cont), max and n of one metric; Python never sees raw rows here.

Every query runs as the signed-in user (RLS): its WHERE holds only plain comparisons on
system_type, system_id and timestamp, which are leakproof, so the indexes of
20261127160000_performance_explorer.sql serve it (tests/performance/test_plans.py checks the
plans as a signed-in user). The JSON operators are in the select list, applied to the rows the
index found."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection

from performance.query import BadQuery, Query

ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # buckets are aligned: a refresh keeps them
TOP_SYSTEMS = 10
TOP_SPAN = timedelta(hours=24)

# The metric as a number, or null when a row's value is missing or not a number.
VALUE = (
    "case when jsonb_typeof(l.metrics -> %(metric)s) = 'number'"
    " then (l.metrics ->> %(metric)s)::double precision end"
)


@dataclass
class Point:
    t: datetime
    avg: float
    p95: float
    max: float
    n: int

    def as_json(self) -> dict:
        return {
            "t": self.t.isoformat(),
            "avg": self.avg,
            "p95": self.p95,
            "max": self.max,
            "n": self.n,
        }


@dataclass
class Series:
    key: str  # the system id or the system type
    points: list[Point]
    name: str | None = None  # the agent's or crew's name


def _where(query: Query) -> tuple[str, dict]:
    conditions = ['l."timestamp" >= %(start)s', 'l."timestamp" < %(end)s']
    params = {"metric": query.metric, "start": query.start, "end": query.end}
    if query.system_type:
        conditions.append("l.system_type = %(system_type)s")
        params["system_type"] = query.system_type
    if query.system_ids:
        conditions.append("l.system_id = any(%(system_ids)s)")
        params["system_ids"] = list(query.system_ids)
    return " and ".join(conditions), params


def series_sql(query: Query) -> tuple[str, dict]:
    where, params = _where(query)
    params.update(bucket=timedelta(seconds=query.bucket_seconds), origin=ORIGIN)
    key = "l.system_id" if query.system_ids else "l.system_type"
    sql = (
        f"select s.key, s.t, avg(s.v), percentile_cont(0.95) within group (order by s.v),"
        f" max(s.v), count(s.v)"
        f' from (select {key} as key, date_bin(%(bucket)s, l."timestamp", %(origin)s) as t,'
        f" {VALUE} as v from public.system_performance_logs l where {where}) s"
        f" group by s.key, s.t having count(s.v) > 0 order by s.key, s.t"
    )
    return sql, params


# Buckets of at least this many seconds, per type, come from the closed buckets the database
# keeps (private.performance_type_series, 20261127160200_performance_rollup.sql).
ROLLUP_FROM_SECONDS = 300  # 24 hours and more


def uses_rollup(query: Query) -> bool:
    return not query.system_ids and query.bucket_seconds >= ROLLUP_FROM_SECONDS


def series(query: Query) -> list[Series]:
    """One series per system (systems chosen) or per system type, points in time order."""
    if uses_rollup(query):
        sql = (
            "select s.system_type, s.t, s.avg, s.p95, s.max, s.n"
            " from private.performance_type_series(%(metric)s, %(bucket)s, %(start)s, %(end)s,"
            " %(system_type)s) s order by 1, 2"
        )
        params = {
            "metric": query.metric,
            "bucket": query.bucket_seconds,
            "start": query.start,
            "end": query.end,
            "system_type": query.system_type,
        }
    else:
        sql, params = series_sql(query)
    found: dict[str, Series] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for key_value, t, avg, p95, high, n in cursor.fetchall():
            found.setdefault(key_value, Series(key_value, [])).points.append(
                Point(t, avg, p95, high, n)
            )
    order = list(query.system_ids) or sorted(found)
    result = [found.get(k) or Series(k, []) for k in order]
    return [s for s in result if s.points or query.system_ids]


@dataclass
class TopSystem:
    system_type: str
    system_id: str
    p95: float
    max: float
    avg: float
    n: int
    name: str | None = None


def top_systems(query: Query, limit: int = TOP_SYSTEMS) -> list[TopSystem]:
    """The systems with the highest p95 of the metric over the last TOP_SPAN of the range
    (a p95 per system over 30 days would read every sample of the month), within the type,
    not only the systems on the chart: these are the candidates to add.

    Exact (percentile_cont, max, avg, count over the raw rows) but not read from them each
    time: private.performance_top_systems (20261127190000_performance_top_systems.sql) sums up
    the window's closed part once per 10 minutes and reads only its edges raw."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select * from private.performance_top_systems(%s, %s, %s, %s, %s)",
            [
                query.metric,
                max(query.start, query.end - TOP_SPAN),
                query.end,
                query.system_type,
                limit,
            ],
        )
        return [TopSystem(*row) for row in cursor.fetchall()]


def metrics(system_type: str | None = None) -> list[str]:
    """The metric names found in the data (kept by a trigger, not a scan)."""
    with connection.cursor() as cursor:
        cursor.execute("select metric from private.performance_metrics(%s)", [system_type])
        return [row[0] for row in cursor.fetchall()]


def check_known(query: Query, known_metrics: list[str] | None = None) -> None:
    """BadQuery for a metric or system id the data does not hold. A chart of a made-up name
    is no chart at all, yet the database would compute and keep a closed bucket per name and
    range asked for (private.performance_rollup_done): so nothing is asked for it.
    `known_metrics`: series.metrics(), when the caller has it already."""
    names = metrics() if known_metrics is None else known_metrics
    if query.metric and query.metric not in names:
        raise BadQuery(f"metric: no samples have a metric named {query.metric}.")
    if query.system_ids:
        # One probe of (system_id, timestamp, id) per id, as the user (= is leakproof).
        type_rule = "and l.system_type = %(type)s" if query.system_type else ""
        with connection.cursor() as cursor:
            cursor.execute(
                "select s.id from unnest(%(ids)s::text[]) with ordinality s(id, n)"
                " where not exists (select 1 from public.system_performance_logs l"
                f" where l.system_id = s.id {type_rule}) order by s.n",
                {"ids": list(query.system_ids), "type": query.system_type},
            )
            missing = [row[0] for row in cursor.fetchall()]
        if missing:
            where = f" of type {query.system_type}" if query.system_type else ""
            raise BadQuery(f"system_id: no system{where} has reported as {missing[0]}.")


@dataclass
class SystemChoice:
    system_type: str
    system_id: str
    name: str | None
    last_seen: datetime | None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.system_type})" if self.name else self.system_id


def systems(system_type: str | None = None, prefix: str = "", limit: int = 50):
    with connection.cursor() as cursor:
        cursor.execute(
            "select * from private.performance_system_choices(%s, %s, %s)",
            [system_type, prefix[:100], limit],
        )
        return [SystemChoice(*row) for row in cursor.fetchall()]


def names_of(ids) -> dict[str, str]:
    """The agent's or crew's name for each of these system ids that is one (as the user)."""
    uuids = []
    for value in ids:
        try:
            uuids.append(uuid.UUID(value))
        except (TypeError, ValueError):
            continue  # not an agent or a crew
    if not uuids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "select a.id::text, a.name from public.ai_agents a where a.id = any(%(ids)s)"
            " union all select c.id::text, c.crew_name from public.crew_nuclear_system c"
            " where c.id = any(%(ids)s)",
            {"ids": uuids},
        )
        return dict(cursor.fetchall())


# The dashboard's latency metric: latency_ms when the data has it, else the first metric
# whose name says latency.
LATENCY_METRIC = (
    "(select m.metric from private.performance_metrics() m where m.metric like '%%latency%%'"
    " order by m.metric <> 'latency_ms', m.metric limit 1)"
)


def latency_sparklines(hours: int = 24) -> tuple[str | None, dict[str, list]]:
    """p95 of the latency metric per system type and hour over the last hours (the
    dashboard), in one query: (metric, {system type: [(hour, p95)]})."""
    end = datetime.now(UTC)
    value = VALUE.replace("%(metric)s", "k.metric")
    sql = (
        f"with k as (select {LATENCY_METRIC} as metric)"
        f" select k.metric, s.system_type, s.t, percentile_cont(0.95) within group (order by s.v)"
        f" from k left join lateral (select l.system_type,"
        f" date_bin('1 hour', l.\"timestamp\", %(origin)s) as t, {value} as v"
        f" from public.system_performance_logs l"
        f' where k.metric is not null and l."timestamp" >= %(start)s'
        f' and l."timestamp" < %(end)s) s on true'
        # no samples: one row with the metric alone, so nothing else need be asked
        f" group by 1, 2, 3 having count(s.v) > 0 or bool_and(s.system_type is null)"
        f" order by 2, 3"
    )
    lines: dict[str, list] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"origin": ORIGIN, "start": end - timedelta(hours=hours), "end": end})
        rows = cursor.fetchall()
    for _metric, system_type, t, p95 in rows:
        if system_type is not None:
            lines.setdefault(system_type, []).append((t, p95))
    return (rows[0][0] if rows else None), lines
