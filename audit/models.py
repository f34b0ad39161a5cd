"""Unmanaged model of `public.audit_logs`. Rows are written only by the database's audit
functions (console/audit.py calls them); this model is for reading."""

import uuid

from django.db import models


class AuditLog(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user_id = models.UUIDField(null=True)
    action = models.TextField()
    table_name = models.TextField(null=True)
    record_id = models.TextField(null=True)
    old_values = models.JSONField(null=True)
    new_values = models.JSONField(null=True)
    ip_address = models.GenericIPAddressField(null=True)
    user_agent = models.TextField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "audit_logs"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.table_name or ''} {self.record_id or ''}"
