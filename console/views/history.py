"""More of one record's history (the "Older changes" link of console/_history.html)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import render

from console.history import HistoryRefused, record_history
from console.permissions import signed_in_required


@signed_in_required
def history_fragment(request):
    table = request.GET.get("table", "")[:100]
    record = request.GET.get("record", "")[:200]
    if not table or not record:
        return HttpResponseBadRequest("table and record are required")
    try:
        history = record_history(table, record, before=request.GET.get("before"))
    except HistoryRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValueError:
        return HttpResponseBadRequest("That page of history does not exist.")
    return render(request, "console/_history.html", {"history": history, "history_more": True})
