import django_tables2 as tables

from audit.models import AuditLog


class AuditLogTable(tables.Table):
    created_at = tables.DateTimeColumn(
        verbose_name="When",
        format="Y-m-d H:i:s",
        linkify=("audit:log_detail", {"pk": tables.A("pk")}),
    )
    actor_email = tables.Column(verbose_name="Who", default="system", orderable=False)

    class Meta:
        model = AuditLog
        fields = ("created_at", "actor_email", "action", "table_name", "record_id", "ip_address")
        order_by = ("-created_at",)
