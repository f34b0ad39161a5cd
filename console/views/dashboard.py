"""The dashboard: a figure per area the user's role can list (what each area's declaration
counts, as RLS lets the user see it) and the panels the apps declare (console/registry.py)."""

from dataclasses import dataclass

from django.shortcuts import render
from django.urls import reverse

from console import registry
from console.pagination import estimated_count
from console.permissions import signed_in_required


@dataclass
class Figure:
    label: str
    value: int
    url: str | None
    approximate: bool


@signed_in_required
def dashboard(request):
    role = request.console_user.role
    counts = []
    for area in registry.all_areas():
        if not area.counted or not area.access_for(role).can_list:
            continue
        value, approximate = estimated_count(area.model_class.objects.all())
        counts.append(Figure(area.counted, value, reverse(area.list_url), approximate))
    panels = []
    for panel in registry.panels():
        if registry.access(role, panel.area).can_list:
            figures = panel.figures(request)
            if figures is not None:
                panels.append({"template": panel.template, **figures})
    return render(request, "console/dashboard.html", {"counts": counts, "panels": panels})
