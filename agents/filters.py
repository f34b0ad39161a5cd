"""The filters of the agents list and the crew runs list. Each is in the
URL and has an index behind it (supabase/migrations/*_agents_and_crews.sql); the agents'
name/type search is a plain ILIKE: under RLS it gets no index, and at the seed's six agents
it needs none."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from agents.models import Agent, Crew
from console.filtering import DateRangeForm, active_filter, between, date_input, search_widget

AGENT_STATUSES = [(s, s.title()) for s in ("active", "paused", "error")]
CREW_STATUSES = [(s, s.title()) for s in ("pending", "running", "complete", "failed")]
SYSTEM_TYPES = [(s, s.title()) for s in ("agent", "crew", "network", "api")]
MAX_SILENT_HOURS = 24 * 365


class AgentFilterForm(DateRangeForm):
    range_prefix = "active"


def agent_types() -> list[str]:
    """The types in use (idx_ai_agents_type)."""
    return list(Agent.objects.order_by("type").values_list("type", flat=True).distinct()[:500])


class AgentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search", method="filter_search", widget=search_widget("Name or type")
    )
    type = django_filters.CharFilter(  # its suggestions: agents.views.agent_type_options
        label="Type", widget=forms.TextInput(attrs={"list": "agent-types", "autocomplete": "off"})
    )
    status = django_filters.ChoiceFilter(choices=AGENT_STATUSES, empty_label="Any status")
    is_active = active_filter()
    active_from = django_filters.DateFilter(
        label="Last activity from", method="filter_nothing", widget=date_input()
    )
    active_until = django_filters.DateFilter(
        label="Last activity until", method="filter_nothing", widget=date_input()
    )
    silent_hours = django_filters.NumberFilter(
        label="Silent for more than (hours)",
        method="filter_silent",
        min_value=1,
        max_value=MAX_SILENT_HOURS,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_SILENT_HOURS, "step": 1}),
    )

    class Meta:
        model = Agent
        fields = ["q", "type", "status", "is_active"]
        form = AgentFilterForm

    def filter_search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(type__icontains=value))

    def filter_nothing(self, queryset, name, value):
        return queryset  # both ends are applied together in filter_queryset

    def filter_silent(self, queryset, name, value):
        if value is None:
            return queryset
        cutoff = timezone.now() - timedelta(hours=float(value))
        # Never active counts as silent too.
        return queryset.filter(Q(last_activity__lt=cutoff) | Q(last_activity__isnull=True))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return between(queryset, "last_activity", data.get("active_from"), data.get("active_until"))


class RunFilterForm(DateRangeForm):
    range_prefix = "started"


class RunFilterSet(django_filters.FilterSet):
    crew_name = django_filters.CharFilter(
        label="Crew", widget=forms.TextInput(attrs={"list": "crew-names", "autocomplete": "off"})
    )
    status = django_filters.ChoiceFilter(choices=CREW_STATUSES, empty_label="Any status")
    crew_type = django_filters.CharFilter(
        label="Type", widget=forms.TextInput(attrs={"list": "crew-types", "autocomplete": "off"})
    )
    started_from = django_filters.DateFilter(
        label="Started from", method="filter_nothing", widget=date_input()
    )
    started_until = django_filters.DateFilter(
        label="Started until", method="filter_nothing", widget=date_input()
    )

    class Meta:
        model = Crew
        fields = ["crew_name", "status", "crew_type"]
        form = RunFilterForm

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return between(queryset, "created_at", data.get("started_from"), data.get("started_until"))
