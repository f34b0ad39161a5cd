import django_filters

from agents.models import Agent, Crew
from console.filtering import active_filter

AGENT_STATUSES = [(s, s.title()) for s in ("active", "paused", "error")]
CREW_STATUSES = [(s, s.title()) for s in ("pending", "running", "complete", "failed")]


class AgentFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AGENT_STATUSES, empty_label="Any status")
    is_active = active_filter()

    class Meta:
        model = Agent
        fields = ["status", "is_active"]


class CrewFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CREW_STATUSES, empty_label="Any status")
    is_active = active_filter()

    class Meta:
        model = Crew
        fields = ["status", "is_active"]
