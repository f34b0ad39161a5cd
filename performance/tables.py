import django_tables2 as tables

from agents.tables import system_url
from console.columns import DateTimeColumn
from console.rows import cell_html
from performance.charts import number
from performance.models import PerformanceLog


class MetricColumn(tables.Column):
    """One key of `metrics` as a column of its own (numbers right-aligned)."""

    def __init__(self, metric: str, **kwargs):
        super().__init__(
            verbose_name=metric,
            accessor=tables.A("metrics"),
            orderable=False,
            empty_values=(),
            attrs={"td": {"class": "num"}, "th": {"class": "num"}},
            **kwargs,
        )
        self.metric = metric

    def render(self, value):
        found = value.get(self.metric) if isinstance(value, dict) else None
        if found is None:
            return "—"
        if isinstance(found, bool) or not isinstance(found, int | float):
            return str(found)
        return number(found)


class OtherMetricsColumn(tables.Column):
    """Keys that have no column of their own, as key=value pairs."""

    def __init__(self, shown: list[str], **kwargs):
        super().__init__(
            verbose_name="Other", accessor=tables.A("metrics"), orderable=False, **kwargs
        )
        self.shown = set(shown)

    def render(self, value):
        rest = sorted((k, v) for k, v in value.items() if k not in self.shown)
        if not rest:
            return "—"
        return cell_html('<span class="mono">{}</span>', ", ".join(f"{k}={v}" for k, v in rest))


class SampleTable(tables.Table):
    timestamp = DateTimeColumn(
        format="Y-m-d H:i:s", linkify=("performance:sample_detail", {"pk": tables.A("pk")})
    )
    system_id = tables.Column(verbose_name="System", default="—")

    class Meta:
        model = PerformanceLog
        fields = ("timestamp", "system_type", "system_id")
        attrs = {"class": "table"}

    def render_system_id(self, value, record):
        # The agent's, the run's or the crew's page, when the sample names one.
        url = system_url(record.system_type, value)
        return cell_html('<a href="{}">{}</a>', url, value) if url else value

    def __init__(self, *args, metrics=(), **kwargs):
        extra = [(f"metric_{i}", MetricColumn(m)) for i, m in enumerate(metrics)]
        extra.append(("other_metrics", OtherMetricsColumn(list(metrics))))
        super().__init__(*args, extra_columns=extra, **kwargs)
