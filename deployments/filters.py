"""The deployments list's filters; each has an index behind it
(supabase/migrations/20261127010000_deployment_lifecycle.sql)."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone

from console.filtering import search_widget
from deployments.models import PACKAGE_TYPES, Package, Status


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class PackageFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name",
        widget=search_widget("package name"),
    )
    package_type = django_filters.ChoiceFilter(
        label="Type", choices=PACKAGE_TYPES, empty_label="Any type"
    )
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label="Any status")
    deployed_from = django_filters.DateFilter(
        label="Deployed from", method="filter_deployed_from", widget=_date_input()
    )
    deployed_until = django_filters.DateFilter(
        label="Deployed until", method="filter_deployed_until", widget=_date_input()
    )

    class Meta:
        model = Package
        fields = ["q", "package_type", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["q"].widget.attrs["maxlength"] = 120

    def filter_deployed_from(self, queryset, name, value):
        return queryset.filter(deployed_at__gte=_start_of(value))

    def filter_deployed_until(self, queryset, name, value):
        # Inclusive: the whole of that day.
        return queryset.filter(deployed_at__lt=_start_of(value + timedelta(days=1)))
