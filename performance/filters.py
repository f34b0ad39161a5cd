import django_filters
from django import forms

from performance.models import PerformanceLog
from performance.query import SYSTEM_TYPES

TYPE_CHOICES = [(s, s.title()) for s in SYSTEM_TYPES]


class SampleFilterSet(django_filters.FilterSet):
    """Every filter has an index: 20261127160000_performance_explorer.sql."""

    system_type = django_filters.ChoiceFilter(choices=TYPE_CHOICES, empty_label="Any type")
    system_id = django_filters.CharFilter(label="System id", max_length=200)
    since = django_filters.IsoDateTimeFilter(
        field_name="timestamp",
        lookup_expr="gte",
        label="From",
        widget=forms.DateTimeInput(attrs={"placeholder": "2026-11-27T14:00"}),
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="timestamp",
        lookup_expr="lt",
        label="Until",
        widget=forms.DateTimeInput(attrs={"placeholder": "2026-11-27T15:00"}),
    )

    class Meta:
        model = PerformanceLog
        fields = ["system_type", "system_id", "since", "until"]
