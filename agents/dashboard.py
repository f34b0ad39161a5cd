"""The agents' dashboard panel: how many agents are in each status."""

from django.db.models import Count

from agents.models import Agent


def agents_by_status(request) -> dict:
    rows = Agent.objects.values("status").annotate(n=Count("id")).order_by("status")
    return {"agents_by_status": [(row["status"] or "unknown", row["n"]) for row in rows]}
