"""Unmanaged models; the schema lives in supabase/migrations."""

import uuid

from django.db import models

from console.display import display_text


class PerformanceLog(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    system_id = models.TextField(null=True, blank=True)
    system_type = models.TextField()
    metrics = models.JSONField()
    timestamp = models.DateTimeField(null=True)
    created_by = models.UUIDField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = "system_performance_logs"
        ordering = ["-timestamp", "-id"]
        verbose_name = "performance sample"

    def __str__(self) -> str:
        return f"{self.system_type} {self.system_id or ''} @ {display_text(self.timestamp)}"


class RetentionPolicy(models.Model):
    """How long a table keeps its rows (20261127160100_retention.sql)."""

    table_name = models.TextField(primary_key=True)
    keep_days = models.IntegerField()
    enabled = models.BooleanField(default=False)
    last_run = models.DateTimeField(null=True, blank=True)
    last_counts = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = "retention_policies"
        ordering = ["table_name"]
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return self.table_name
