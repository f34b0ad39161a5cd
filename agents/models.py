"""Unmanaged models of the operator tables; the schema lives in supabase/migrations."""

import uuid

from django.db import models


class Agent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.TextField()
    type = models.TextField()
    status = models.TextField(default="active")  # active, paused or error (a check constraint)
    is_active = models.BooleanField(null=True, default=True)
    configuration = models.JSONField(null=True, blank=True)
    performance_metrics = models.JSONField(null=True, blank=True)
    last_activity = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, auto_now_add=True)
    updated_at = models.DateTimeField(null=True, auto_now=True)

    class Meta:
        managed = False
        db_table = "ai_agents"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Crew(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    crew_name = models.TextField()
    crew_type = models.TextField()
    # pending → running → complete | failed: private.guard_crew_run_status refuses the rest
    status = models.TextField(default="pending")
    is_active = models.BooleanField(null=True, default=True)
    configuration = models.JSONField(null=True, blank=True)
    performance_data = models.JSONField(null=True, blank=True)
    last_execution = models.DateTimeField(null=True, blank=True)  # when it started running
    created_at = models.DateTimeField(null=True, auto_now_add=True)  # when it was recorded
    updated_at = models.DateTimeField(null=True, auto_now=True)

    class Meta:
        managed = False
        db_table = "crew_nuclear_system"
        ordering = ["-created_at", "-id"]
        verbose_name = "crew run"

    def __str__(self) -> str:
        return self.crew_name
