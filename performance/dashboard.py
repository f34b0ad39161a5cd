"""The dashboard panel: p95 latency per system type over the last 24 hours, as sparklines,
each linking to the explorer filtered to that type."""

from django.urls import reverse
from django.utils.http import urlencode

from performance import series
from performance.charts import number, sparkline

HOURS = 24


def latency_sparklines(request) -> dict:
    metric, found = series.latency_sparklines(HOURS)
    if metric is None:
        return {"latency_metric": None, "latency_lines": []}
    explorer = reverse("performance:explorer")
    lines = []
    for system_type, points in sorted(found.items()):
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
