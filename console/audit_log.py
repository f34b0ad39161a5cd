"""Unmanaged model of `public.audit_logs`, in the core: the record history and a user's
activity (console/history.py), exports and the audit trail app all read it. Rows are written
only by the database's audit functions (console/audited.py calls them); this is for reading."""

import uuid

from django.db import models
from django.db.models.expressions import RawSQL


class InetContainedOrEqual(models.Lookup):
    """`ip_address__net_in="10.0.0.0/8"`: the address is in the network (PostgreSQL's
    `<<=`, which a GiST inet_ops index serves). Registered in ConsoleConfig.ready()."""

    lookup_name = "net_in"
    prepare_rhs = False  # a network, not an address: passed as text and cast to inet

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} <<= {rhs}::inet", [*lhs_params, *rhs_params]


# The actor's email: the one it had when the row was written (kept after they change it or are
# deleted), or for older rows without that snapshot their profile's, one primary-key probe.
# Written as SQL so that the core does not import the users app's Profile model.
_ACTOR_EMAIL = (
    "coalesce(audit_logs.actor_email,"
    " (select p.email from public.profiles p where p.id = audit_logs.user_id limit 1))"
)


class AuditLogQuerySet(models.QuerySet):
    def with_actor_email(self):
        """Each row with `actor_email`, the email of its actor (None for system rows)."""
        return self.annotate(actor_email=RawSQL(_ACTOR_EMAIL, []))  # noqa: S611 - constant SQL


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
    # The actor's email when the row was written (lower-case; set by the database).
    recorded_actor_email = models.TextField(null=True, db_column="actor_email")

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        app_label = "console"
        managed = False
        db_table = "audit_logs"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.table_name or ''} {self.record_id or ''}".strip()
