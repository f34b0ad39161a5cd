"""Performance monitoring: the explorer over system_performance_logs (charts
downsampled in SQL, series.json, top systems, raw samples), the dashboard's sparklines, and
retention for the tables that grow for ever (performance logs and the audit trail).

- `models.py`: PerformanceLog, RetentionPolicy (unmanaged)
- `query.py`: what the explorer asks (range, metric, systems), parsed and checked
- `series.py`: the SQL: buckets with date_bin, avg/p95/max/n, top systems, choices
- `charts.py`: server-rendered SVG geometry (charts and sparklines)
- `retention.py`: dry run and batched deletion, shared by the page and `apply_retention`
"""
