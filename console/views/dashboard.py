from dataclasses import dataclass

from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import render
from django.urls import reverse

from agents.models import Agent, Crew, PerformanceLog
from audit.models import AuditLog
from console.models import Profile
from console.pagination import estimated_count
from console.permissions import signed_in_required
from console.roles import AREAS_BY_KEY
from deployments.models import Package
from knowledge.models import Entry

# What the dashboard counts, per area: the rows the user's role can read (RLS decides).
COUNTED = [
    ("users", "Users", Profile),
    ("knowledge", "Knowledge entries", Entry),
    ("agents", "Agents", Agent),
    ("crews", "Crews", Crew),
    ("performance", "Performance logs", PerformanceLog),
    ("deployments", "Deployment packages", Package),
    ("audit", "Audit events", AuditLog),
]


@dataclass
class Figure:
    label: str
    value: int
    url: str | None
    approximate: bool


def _readable(role, key: str) -> bool:
    return AREAS_BY_KEY[key].access_for(role).can_list


@signed_in_required
def dashboard(request):
    role = request.console_user.role
    counts = []
    for key, label, model in COUNTED:
        if not _readable(role, key):
            continue
        value, approximate = estimated_count(model.objects.all())
        counts.append(Figure(label, value, reverse(AREAS_BY_KEY[key].url_name), approximate))
    agents_by_status = []
    if _readable(role, "agents"):
        agents_by_status = [
            (row["status"] or "unknown", row["n"])
            for row in Agent.objects.values("status").annotate(n=Count("id")).order_by("status")
        ]
    latest_audit = None
    if _readable(role, "audit"):
        actor_email = Profile.objects.filter(id=OuterRef("user_id")).values("email")[:1]
        latest_audit = list(
            AuditLog.objects.annotate(actor_email=Subquery(actor_email)).order_by(
                "-created_at", "-id"
            )[:10]
        )
    return render(
        request,
        "console/dashboard.html",
        {
            "counts": counts,
            "agents_by_status": agents_by_status,
            "latest_audit": latest_audit,
        },
    )
