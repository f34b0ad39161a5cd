"""Unmanaged model of `public.knowledge_base_entries`; the schema lives in supabase/migrations."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models


class Entry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    title = models.TextField()
    content = models.TextField()
    category = models.TextField(null=True, blank=True)
    tags = ArrayField(models.TextField(), null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    is_active = models.BooleanField(null=True, default=True)
    created_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, auto_now_add=True)
    updated_at = models.DateTimeField(null=True, auto_now=True)

    class Meta:
        managed = False
        db_table = "knowledge_base_entries"
        ordering = ["-updated_at", "-id"]
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return self.title
