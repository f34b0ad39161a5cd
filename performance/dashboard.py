"""The dashboard panel: p95 latency per system type over the last 24 hours, as sparklines,
each linking to the explorer filtered to that type."""

from django.urls import reverse
from django.utils.http import urlencode

from performance import series
from performance.charts import number, sparkline

HOURS = 24


def latency_metric(names: list[str]) -> str | None:
    """latency_ms when the data has it, else the first metric that names a latency."""
    if "latency_ms" in names:
        return "latency_ms"
    return next((name for name in names if "latency" in name), None)


def latency_sparklines(request) -> dict:
    metric = latency_metric(series.metrics())
    if metric is None:
        return {"latency_metric": None, "latency_lines": []}
    explorer = reverse("performance:explorer")
    lines = []
    for system_type, points in sorted(series.sparklines(metric, HOURS).items()):
        line = sparkline([value for _t, value in points])
        lines.append(
            {
                "system_type": system_type,
                "line": line,
                "last": number(line.last),
                "high": number(line.high),
                "hours": len(points),
                "url": explorer
                + "?"
                + urlencode({"system_type": system_type, "metric": metric, "range": "24h"}),
            }
        )
    return {"latency_metric": metric, "latency_lines": lines}
