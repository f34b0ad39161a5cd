"""Unmanaged model of `public.deployment_packages`; the schema lives in supabase/migrations
(the lifecycle: 20261127010000_deployment_lifecycle.sql)."""

import uuid

from django.db import models


class Status(models.TextChoices):
    """The lifecycle draft → staging → deployed → retired; a retired version that was deployed
    before may be deployed again (rollback). The database's trigger enforces it."""

    DRAFT = "draft", "Draft"
    STAGING = "staging", "Staging"
    DEPLOYED = "deployed", "Deployed"
    RETIRED = "retired", "Retired"


# Where "promote" takes a version.
NEXT_STATUS = {Status.DRAFT: Status.STAGING, Status.STAGING: Status.DEPLOYED}
# Whose content may still change (deployed and retired versions are what ran).
EDITABLE = (Status.DRAFT, Status.STAGING)

PACKAGE_TYPES = [(s, s.title()) for s in ("agent", "crew", "system", "update")]


class SemverKey(models.Func):
    """`private.semver_key(version)`: bytes in SemVer precedence order (indexed)."""

    function = "private.semver_key"
    output_field = models.BinaryField()


class Environment(models.Func):
    """`private.deployment_environment(deployment_data)`: '' when none is named."""

    function = "private.deployment_environment"
    output_field = models.TextField()


class PackageQuerySet(models.QuerySet):
    def by_version(self, descending: bool = True):
        """SemVer order (1.10.0 after 1.9.0, pre-releases before their release), the
        primary key breaking ties; the index deployment_packages_semver serves it."""
        key = SemverKey("version")
        if descending:
            return self.order_by(key.desc(), "-pk")
        return self.order_by(key.asc(), "pk")

    def in_slot(self, name: str, environment: str):
        """The versions of a name deployed to one environment ('' for none named)."""
        return self.annotate(environment_key=Environment("deployment_data")).filter(
            name=name, environment_key=environment
        )


class Package(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.TextField()
    package_type = models.TextField()
    version = models.TextField()
    status = models.TextField(null=True, blank=True, choices=Status.choices)
    configuration = models.JSONField(null=True, blank=True)
    deployment_data = models.JSONField(null=True, blank=True)
    created_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, auto_now_add=True)
    deployed_at = models.DateTimeField(null=True, blank=True)
    # Kept by the lifecycle trigger: last change, why the status last changed, and whether
    # the version was ever deployed (so it may be rolled back to).
    updated_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(null=True, blank=True)
    was_deployed = models.BooleanField(default=False)

    objects = PackageQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "deployment_packages"
        ordering = ["-created_at", "-id"]
        verbose_name = "deployment package"

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def environment(self) -> str:
        """As the database reads it (private.deployment_environment)."""
        data = self.deployment_data if isinstance(self.deployment_data, dict) else {}
        value = data.get("environment")
        return value.strip() if isinstance(value, str) else ""

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def next_status(self) -> Status | None:
        return NEXT_STATUS.get(self.status)
