import django_tables2 as tables

from console.audit_log import AuditLog


class AuditLogTable(tables.Table):
    """The audit list's columns. The rows themselves are written by audit.rows (see there why),
    through templates/audit/_table.html; this gives the headers and the empty text."""

    created_at = tables.Column(verbose_name="When")
    actor_email = tables.Column(verbose_name="Who")
    action = tables.Column(verbose_name="Action")
    table_name = tables.Column(verbose_name="Table")
    record_id = tables.Column(verbose_name="Record")
    ip_address = tables.Column(verbose_name="From")

    class Meta:
        model = AuditLog
        fields = ("created_at", "actor_email", "action", "table_name", "record_id", "ip_address")
        orderable = False  # the keyset order (newest first) is the only order
        empty_text = "No audit entries match these filters."
