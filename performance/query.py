"""What the explorer and series.json are asked: systems, a metric and a time range, all in
the URL, parsed once and checked. A bad parameter is a `BadQuery` with a message for the
user (the explorer shows it, series.json answers 400 with it)."""

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

RANGES = {  # key: (label, length)
    "1h": ("Last hour", timedelta(hours=1)),
    "6h": ("Last 6 hours", timedelta(hours=6)),
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
}
DEFAULT_RANGE = "24h"
CUSTOM = "custom"
MAX_SPAN = timedelta(days=400)
MAX_SYSTEMS = 5  # series overlaid on one chart
MAX_POINTS = 300  # per series, whatever the range
# Bucket lengths (seconds) a chart may use: the smallest that keeps it under MAX_POINTS.
STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
SYSTEM_TYPES = ("agent", "crew", "network", "api")
STATS = ("p95", "avg", "max")
METRIC_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SYSTEM_ID = re.compile(r"^[^\x00-\x1f]{1,200}$")


class BadQuery(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    metric: str
    start: datetime
    end: datetime
    range_key: str  # a key of RANGES, or CUSTOM
    system_type: str | None = None
    system_ids: tuple[str, ...] = field(default=())
    stat: str = "p95"

    @property
    def bucket_seconds(self) -> int:
        return bucket_seconds(self.end - self.start)

    @property
    def grouped_by(self) -> str:
        """What one series is: a system when systems are chosen, else a system type."""
        return "system_id" if self.system_ids else "system_type"

    def params(self, **changes) -> QueryDict:
        """This query as URL parameters (with changes: None drops a parameter)."""
        values = {
            "metric": self.metric,
            "range": self.range_key,
            "system_type": self.system_type,
            "system_id": list(self.system_ids),
            "stat": None if self.stat == "p95" else self.stat,
        }
        if self.range_key == CUSTOM:
            values["from"] = self.start.isoformat()
            values["until"] = self.end.isoformat()
        values.update(changes)
        query = QueryDict(mutable=True)
        for name, value in values.items():
            if isinstance(value, list):
                query.setlist(name, value)
            elif value:
                query[name] = value
        return query


def bucket_seconds(span: timedelta) -> int:
    """The smallest step with at most MAX_POINTS buckets over the span (date_bin buckets are
    aligned, so a span can touch one more bucket than it covers)."""
    seconds = max(span.total_seconds(), 1)
    for step in STEPS:
        if math.ceil(seconds / step) + 1 <= MAX_POINTS:
            return step
    days = math.ceil(seconds / (MAX_POINTS - 1) / 86400)
    return days * 86400


def _moment(text: str, name: str, *, end: bool) -> datetime:
    text = text.strip()
    # A bare date is a whole day: from its start, until its end.
    day = parse_date(text) if len(text) == 10 else None
    value = None if day else parse_datetime(text)
    if value is None:
        if day is None:
            raise BadQuery(
                f"{name}: give a date (2026-11-27) or a date and time (2026-11-27T14:00)."
            )
        value = datetime(day.year, day.month, day.day) + (timedelta(days=1) if end else timedelta())
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


def parse(get: QueryDict, *, metric_required: bool = True, default_metric: str = "") -> Query:
    """The query in these GET parameters, or BadQuery saying what is wrong."""
    try:
        metric = get.get("metric", "").strip() or default_metric
        if not metric:
            if metric_required:
                raise BadQuery("metric: choose a metric, e.g. metric=latency_ms.")
        elif not METRIC_NAME.match(metric):
            raise BadQuery("metric: letters, digits, _ . : - only, at most 64 characters.")

        range_key = get.get("range", "").strip() or (
            CUSTOM if get.get("from") or get.get("until") else DEFAULT_RANGE
        )
        now = timezone.now()
        if range_key in RANGES:
            start, end = now - RANGES[range_key][1], now
        elif range_key == CUSTOM:
            if not get.get("from"):
                raise BadQuery("from: a custom range needs a start (from=2026-11-20).")
            start = _moment(get["from"], "from", end=False)
            end = _moment(get["until"], "until", end=True) if get.get("until") else now
            if end <= start:
                raise BadQuery("until must be after from.")
            if end - start > MAX_SPAN:
                raise BadQuery(f"The range may cover at most {MAX_SPAN.days} days.")
        else:
            raise BadQuery(f"range: one of {', '.join(RANGES)} or custom (with from and until).")

        system_type = get.get("system_type", "").strip() or None
        if system_type and system_type not in SYSTEM_TYPES:
            raise BadQuery(f"system_type: one of {', '.join(SYSTEM_TYPES)}.")

        ids = []
        for value in get.getlist("system_id"):
            value = value.strip()
            if not value:
                continue
            if not SYSTEM_ID.match(value):
                raise BadQuery("system_id: at most 200 characters, no control characters.")
            if value not in ids:
                ids.append(value)
        if len(ids) > MAX_SYSTEMS:
            raise BadQuery(f"system_id: at most {MAX_SYSTEMS} systems on one chart.")

        stat = get.get("stat", "").strip() or "p95"
        if stat not in STATS:
            raise BadQuery(f"stat: one of {', '.join(STATS)}.")
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, BadQuery):
            raise
        raise BadQuery(f"A date or time is out of range: {exc}") from exc
    return Query(metric, start, end, range_key, system_type, tuple(ids), stat)
