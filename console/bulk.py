"""Bulk actions on the selected rows of a list, or on every row matching its filters.

"All matching" is recomputed on the server from the filter (never trusted from posted ids),
a confirmation page lists what will change, and the work runs in one transaction, one row at
a time through the audited write: one audit row per changed row, or nothing at all. The
confirmation page carries a one-time token (console.confirmations) issued for the user, the
list, the action and the rows it shows: a post without it, or with one made elsewhere, is
refused (400), and posting it again (a replay, a double click) applies nothing (409).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseBadRequest, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from console import audited, confirmations
from console.columns import SelectionColumn
from console.permissions import AreaRequiredMixin

MAX_BULK = 10_000


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: str
    # The changes for one row: {field: new value}; the audited write applies them.
    changes: Callable[[object, dict], dict] | None = None
    # Or the whole job for one row, for work beyond a column update (e.g. Supabase Auth).
    run: Callable[[audited.Actor, object, dict], None] | None = None
    form_class: type[forms.Form] | None = None
    danger: bool = False

    def apply(self, actor: audited.Actor, obj, data: dict) -> None:
        if self.run is not None:
            self.run(actor, obj, data)
        else:
            audited.update(actor, obj, **self.changes(obj, data))


def selection_column() -> SelectionColumn:
    """The checkbox column of a list with bulk actions; its header selects the whole page."""
    return SelectionColumn(
        accessor="pk",
        orderable=False,
        attrs={
            "th__input": {"data-select-all": "", "aria-label": "Select all rows on this page"},
            "td__input": {"name": "pk", "aria-label": "Select row"},
        },
    )


class BulkActionView(AreaRequiredMixin, View):
    """POST only. Declare `area`, `queryset`, `filterset_class`, `actions`, `list_url_name`."""

    write = True
    queryset = None
    filterset_class = None
    actions: tuple[BulkAction, ...] = ()
    list_url_name = ""
    template_name = "console/bulk_confirm.html"
    http_method_names = ["post"]

    def post(self, request):
        action = next((a for a in self.actions if a.key == request.POST.get("action")), None)
        if action is None:
            return HttpResponseBadRequest("Choose one of the bulk actions.")
        filters = request.POST.get("filters", "")
        back = self._list_url(filters)
        objects, error = self._selected(request, filters)
        if error:
            messages.error(request, error)
            return HttpResponseRedirect(back)
        # The action's own inputs are asked for on the confirmation page: bind them only once
        # that page has been posted back, or the first visit would greet the user with errors.
        confirming = request.POST.get("confirm") == "yes"
        # What the token is issued for: this list's action on exactly these rows.
        purpose = f"bulk:{self.list_url_name}:{action.key}"
        user_id = request.console_user.id
        selection = [str(o.pk) for o in objects]
        form = None
        if action.form_class:
            form = action.form_class(request.POST if confirming else None)
        if not confirming or (form is not None and not form.is_valid()):
            return render(
                request,
                self.template_name,
                {
                    "action": action,
                    "form": form,
                    "objects": objects[:50],
                    "count": len(objects),
                    "pks": [str(o.pk) for o in objects] if request.POST.get("_all") != "1" else [],
                    "all_matching": request.POST.get("_all") == "1",
                    "filters": filters,
                    "back": back,
                    "area": self.area,
                    "confirmation": confirmations.new_token(user_id, purpose, *selection),
                },
                status=400 if form is not None and form.is_bound and form.errors else 200,
            )
        data = form.cleaned_data if form is not None else {}
        actor = audited.Actor.from_request(request)
        token = request.POST.get("confirmation")
        try:
            with transaction.atomic():
                confirmations.claim(token, user_id, purpose, *selection)
                for obj in objects:
                    action.apply(actor, obj, data)
        except confirmations.Refused as exc:
            return confirmations.refused_response(request, exc, back, title=action.label)
        except audited.WriteFailed as exc:
            messages.error(request, f"{exc.message} Nothing was changed.")
        else:
            messages.success(request, f"{action.label}: {len(objects)} done.")
        return HttpResponseRedirect(back)

    def _list_url(self, filters: str) -> str:
        url = reverse(self.list_url_name)
        return f"{url}?{filters}" if filters else url

    def _selected(self, request, filters: str):
        """The rows to act on, as the user may see them (RLS applies), and an error."""
        queryset = self.queryset.all()
        if request.POST.get("_all") == "1":
            filterset = self.filterset_class(QueryDict(filters), queryset=queryset, request=request)
            if not filterset.is_valid():
                return [], "The filter is not valid any more; apply it again."
            queryset = filterset.qs
        else:
            try:
                pks = [uuid.UUID(pk) for pk in request.POST.getlist("pk")]
            except ValueError:
                return [], "The selection is not valid; select the rows again."
            if not pks:
                return [], "Select at least one row first."
            queryset = queryset.filter(pk__in=pks)
        objects = list(queryset.order_by("pk")[: MAX_BULK + 1])
        if len(objects) > MAX_BULK:
            return [], f"That is more than {MAX_BULK:,} rows; narrow the filter first."
        if not objects:
            return [], "None of the selected rows exists any more."
        return objects, None
