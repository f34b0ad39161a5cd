"""A user's recent activity: the audit rows written by them and those about them (their
profile), newest first, in keyset pages: console.history's one history mechanism, over two
index reads (audit_logs (user_id, created_at) and (table_name, record_id, created_at, id)).
Read as the signed-in user, so audit_logs' RLS applies (admins and auditors)."""

import uuid

from console.audit_log import AuditLog
from console.history import PAGE_SIZE, History, merged_history


def user_activity(user_id, *, before: str | None = None, limit: int = PAGE_SIZE) -> History:
    """Each entry also says whether the user did it (`by_user`) and whether it is about their
    profile (`about_user`). Raises ValueError for a cursor that is not one of ours."""
    user_id = str(uuid.UUID(str(user_id)))
    by_user = AuditLog.objects.filter(user_id=user_id)
    about_user = AuditLog.objects.filter(table_name="profiles", record_id=user_id).exclude(
        user_id=user_id
    )
    activity = merged_history((by_user, about_user), before=before, per_page=limit)
    for entry in activity.entries:
        entry.by_user = str(entry.user_id) == user_id
        entry.about_user = entry.table_name == "profiles" and entry.record_id == user_id
    return activity
