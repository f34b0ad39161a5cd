"""The chart's points and values table, written in one pass (performance/charts.py): the
label, the statistic and each link escaped, the numbers and minutes as they are."""

from datetime import UTC, datetime
from types import SimpleNamespace

from django.utils import timezone

from performance.charts import ChartLine, ChartPoint, point_marks, value_rows


def line():
    bucket = SimpleNamespace(avg=1.5, p95=None, max=12345.678, n=1234)
    points = [
        ChartPoint(
            56.0, 126.1, 1.5, datetime(2026, 11, 27, 1, 0, tzinfo=UTC), "/s/?a=1&b=<2>", bucket
        ),
        ChartPoint(57.8, 71.4, None, datetime(2026, 11, 27, 1, 5, tzinfo=UTC), "/s/?c='3'", bucket),
    ]
    return ChartLine(0, '<b>{0}</b> & "x"', "M56.0,126.1", points)


def test_points_escape_the_label_statistic_and_links_once_and_keep_the_numbers():
    with timezone.override("UTC"):
        marks = point_marks(line(), "p95<")
    assert marks == (
        '<a href="/s/?a=1&amp;b=&lt;2&gt;" tabindex="-1"><circle class="chart-point" cx="56.0"'
        ' cy="126.1" r="3"><title>&lt;b&gt;{0}&lt;/b&gt; &amp; &quot;x&quot;, 2026-11-27 01:00:'
        " p95&lt; 1.50 (raw samples)</title></circle></a>"
        '<a href="/s/?c=&#x27;3&#x27;" tabindex="-1"><circle class="chart-point" cx="57.8"'
        ' cy="71.4" r="3"><title>&lt;b&gt;{0}&lt;/b&gt; &amp; &quot;x&quot;, 2026-11-27 01:05:'
        " p95&lt;  (raw samples)</title></circle></a>"
    )


def test_the_values_table_escapes_each_link_and_formats_the_numbers():
    with timezone.override("Europe/Paris"):
        rows = value_rows(line())
    assert rows == (
        '<tr><td><a href="/s/?a=1&amp;b=&lt;2&gt;">2026-11-27 02:00</a></td>'
        '<td class="num">1.50</td><td class="num"></td><td class="num">12345.68</td>'
        '<td class="num">1,234</td></tr>\n'
        '<tr><td><a href="/s/?c=&#x27;3&#x27;">2026-11-27 02:05</a></td>'
        '<td class="num">1.50</td><td class="num"></td><td class="num">12345.68</td>'
        '<td class="num">1,234</td></tr>'
    )
