"""The audit trail's dashboard panel: the latest changes."""

from console.audit_log import AuditLog


def latest_changes(request) -> dict:
    rows = AuditLog.objects.with_actor_email().order_by("-created_at", "-id")[:10]
    return {"latest_audit": list(rows)}
