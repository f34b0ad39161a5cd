"""The deployments list's filters; each has an index behind it
(supabase/migrations/20261127010000_deployment_lifecycle.sql)."""

import django_filters

from console.filtering import DateRangeForm, between, date_input, search_widget
from deployments.models import PACKAGE_TYPES, Package, Status


class PackageFilterForm(DateRangeForm):
    range_prefix = "deployed"


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
        label="Deployed from", method="filter_nothing", widget=date_input()
    )
    deployed_until = django_filters.DateFilter(
        label="Deployed until", method="filter_nothing", widget=date_input()
    )

    class Meta:
        model = Package
        fields = ["q", "package_type", "status"]
        form = PackageFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["q"].widget.attrs["maxlength"] = 120

    def filter_nothing(self, queryset, name, value):
        return queryset  # both ends are applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return between(
            queryset, "deployed_at", data.get("deployed_from"), data.get("deployed_until")
        )
