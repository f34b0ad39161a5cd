from django.db.models import OuterRef, Subquery
from django.http import HttpResponseBadRequest
from django.shortcuts import render

from audit.filters import AuditLogFilterSet
from audit.history import record_history
from audit.models import AuditLog
from audit.tables import AuditLogTable
from console.details import detail_view
from console.lists import ObjectListView
from console.models import Profile
from console.permissions import signed_in_required


class AuditLogListView(ObjectListView):
    area = "audit"
    title = "Audit trail"
    table_class = AuditLogTable
    filterset_class = AuditLogFilterSet

    def get_queryset(self):
        actor_email = Profile.objects.filter(id=OuterRef("user_id")).values("email")[:1]
        return AuditLog.objects.annotate(actor_email=Subquery(actor_email))


log_detail = detail_view("audit", AuditLog)


@signed_in_required
def history_fragment(request):
    """More of one record's history (the "Older changes" link), as a fragment."""
    table = request.GET.get("table", "")[:100]
    record = request.GET.get("record", "")[:200]
    if not table or not record:
        return HttpResponseBadRequest("table and record are required")
    try:
        history = record_history(table, record, before=request.GET.get("before"))
    except ValueError:
        return HttpResponseBadRequest("That page of history does not exist.")
    return render(request, "audit/_history.html", {"history": history, "history_more": True})
