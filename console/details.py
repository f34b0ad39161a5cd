"""The generic item page: every field of one row, for areas without a page of their own yet.
Values are shown as everywhere else (console.display: one date format, Yes/No)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import get_object_or_404, render

from console.permissions import area_required


def detail_view(area: str, model):
    @area_required(area)
    def view(request, pk):
        obj = get_object_or_404(model, pk=pk)
        fields = [
            _display(f.verbose_name, getattr(obj, f.attname)) for f in model._meta.concrete_fields
        ]
        return render(
            request,
            "console/object_detail.html",
            {
                "object": obj,
                "fields": fields,
                "area": area,
                "title": f"{model._meta.verbose_name.capitalize()}: {obj}",
            },
        )

    view.__name__ = f"{model.__name__.lower()}_detail"
    return view


def _display(label: str, value) -> tuple[str, object, bool]:
    """(label, value, is_json): JSON columns are shown pretty-printed."""
    if isinstance(value, dict | list):
        return label, json.dumps(value, indent=2, sort_keys=True, cls=DjangoJSONEncoder), True
    return label, value, False
