"""Unmanaged model of `public.deployment_packages`; the schema lives in supabase/migrations."""

import uuid

from django.db import models


class Package(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.TextField()
    package_type = models.TextField()
    version = models.TextField()
    status = models.TextField(null=True, blank=True)
    configuration = models.JSONField(null=True, blank=True)
    deployment_data = models.JSONField(null=True, blank=True)
    created_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, auto_now_add=True)
    deployed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = "deployment_packages"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"
