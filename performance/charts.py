"""Server-rendered SVG: the geometry of a time-series chart and of a sparkline, for the
templates to draw (templates/performance/_chart.html, _sparkline.html).

Why SVG from the server rather than a charting library: the chart is drawn with the page (no
script needed to see it, nothing to vendor or keep up to date, no inline style for the CSP),
htmx's live refresh swaps it like any other HTML, its colours are CSS variables (light and
dark themes), and each point is a link to its raw samples. At most 5 series of 300 points,
the SVG stays small."""

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from console.rows import html_of

WIDTH, HEIGHT = 800, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28
SPARK_WIDTH, SPARK_HEIGHT = 120, 28


def nice_ceiling(value: float) -> float:
    """A round number at or above value (1, 2, 2.5, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


@dataclass
class ChartPoint:
    x: float
    y: float
    value: float
    t: datetime
    href: str
    bucket: object  # the series' Point: avg, p95, max, n


@dataclass
class ChartLine:
    index: int  # colour: series-0 … series-4
    label: str
    path: str
    points: list[ChartPoint] = field(default_factory=list)
    marks: SafeString = mark_safe("")  # the points as SVG links (see point_marks)
    rows: SafeString = mark_safe("")  # the values table's rows (see value_rows)


# A chart has up to 5 × 300 points, each drawn twice (a point, a row of the values table):
# built here in one pass, with the strings escaped and the numbers formatted, as the
# template engine took 40 ms a chart node by node.
def _minute(t: datetime, zone) -> str:
    return t.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _decimal(value) -> str:
    return "" if value is None else f"{value:.2f}"


def point_marks(line: ChartLine, stat: str) -> SafeString:
    """Each point a circle linking to its raw samples, with its value as a tooltip. Not tab
    stops: keyboards reach the samples through the values table."""
    zone = timezone.get_current_timezone()
    # Escaped once: the label and the statistic; per point only its link. Coordinates,
    # minutes and values are numbers written here, with nothing to escape.
    label, stat = html_of(line.label), html_of(stat)
    return SafeString(
        "".join(
            f'<a href="{html_of(p.href)}" tabindex="-1"><circle class="chart-point"'
            f' cx="{p.x}" cy="{p.y}" r="3"><title>{label}, {_minute(p.t, zone)}: {stat}'
            f" {_decimal(p.value)} (raw samples)</title></circle></a>"
            for p in line.points
        )
    )


def value_rows(line: ChartLine) -> SafeString:
    zone = timezone.get_current_timezone()
    return SafeString(
        "\n".join(
            f'<tr><td><a href="{html_of(p.href)}">{_minute(p.t, zone)}</a></td>'
            f'<td class="num">{_decimal(p.bucket.avg)}</td>'
            f'<td class="num">{_decimal(p.bucket.p95)}</td>'
            f'<td class="num">{_decimal(p.bucket.max)}</td>'
            f'<td class="num">{p.bucket.n:,}</td></tr>'
            for p in line.points
        )
    )


@dataclass
class Chart:
    width: int
    height: int
    lines: list[ChartLine]
    y_ticks: list[tuple[float, str]]  # (y, label)
    x_ticks: list[tuple[float, str]]
    plot: tuple[float, float, float, float]  # left, top, right, bottom

    @property
    def empty(self) -> bool:
        return not any(line.points for line in self.lines)


def _time_format(span_seconds: float) -> str:
    if span_seconds <= 86400:
        return "%H:%M"
    if span_seconds <= 7 * 86400:
        return "%a %H:%M"
    return "%b %d"


def time_chart(series_list, start: datetime, end: datetime, stat: str, link) -> Chart:
    """series_list: performance.series.Series; link(series, point) → URL of its samples."""
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    span = max((end - start).total_seconds(), 1)
    values = [getattr(p, stat) for s in series_list for p in s.points]
    top_value = nice_ceiling(max(values)) if values else 1.0

    def x_of(t: datetime) -> float:
        offset = min(max((t - start).total_seconds(), 0), span)
        return round(LEFT + (right - LEFT) * offset / span, 1)

    def y_of(value: float) -> float:
        return round(bottom - (bottom - TOP) * max(value, 0) / top_value, 1)

    lines = []
    for index, s in enumerate(series_list):
        points = [
            ChartPoint(x_of(p.t), y_of(getattr(p, stat)), getattr(p, stat), p.t, link(s, p), p)
            for p in s.points
        ]
        path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
        line = ChartLine(index, s.name or s.key, path, points)
        line.marks, line.rows = point_marks(line, stat), value_rows(line)
        lines.append(line)
    y_ticks = [(y_of(top_value * i / 4), number(top_value * i / 4)) for i in range(5)]
    fmt = _time_format(span)
    x_ticks = []
    for i in range(6):
        moment = start + (end - start) * i / 5
        x_ticks.append((x_of(moment), moment.strftime(fmt)))
    return Chart(WIDTH, HEIGHT, lines, y_ticks, x_ticks, (LEFT, TOP, right, bottom))


@dataclass
class Sparkline:
    width: int
    height: int
    path: str
    last: float | None
    high: float | None


def sparkline(values: list[float]) -> Sparkline:
    if not values:
        return Sparkline(SPARK_WIDTH, SPARK_HEIGHT, "", None, None)
    high = max(values) or 1.0
    step = (SPARK_WIDTH - 2) / max(len(values) - 1, 1)
    points = [
        (round(1 + i * step, 1), round(SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * v / high, 1))
        for i, v in enumerate(values)
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(points))
    return Sparkline(SPARK_WIDTH, SPARK_HEIGHT, path, values[-1], max(values))
