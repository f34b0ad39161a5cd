"""Unmanaged model of `public.profiles`; the schema lives in supabase/migrations."""

import uuid

from django.db import models

from console.audit_log import AuditLog  # noqa: F401 - the core's model of audit_logs
from console.roles import Role

ROLE_CHOICES = [(role.value, role.value.title()) for role in Role]


class Profile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    email = models.TextField()
    display_name = models.TextField(null=True, blank=True)
    role = models.TextField(null=True, choices=ROLE_CHOICES + [("user", "User (legacy)")])
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "profiles"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def console_role(self) -> Role | None:
        return Role.from_profile(self.role)
