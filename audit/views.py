from django.db.models import OuterRef, Subquery

from audit.filters import AuditLogFilterSet
from audit.models import AuditLog
from audit.tables import AuditLogTable
from console.details import detail_view
from console.lists import ObjectListView
from console.models import Profile


class AuditLogListView(ObjectListView):
    area = "audit"
    title = "Audit trail"
    table_class = AuditLogTable
    filterset_class = AuditLogFilterSet

    def get_queryset(self):
        actor_email = Profile.objects.filter(id=OuterRef("user_id")).values("email")[:1]
        return AuditLog.objects.annotate(actor_email=Subquery(actor_email))


log_detail = detail_view("audit", AuditLog)
