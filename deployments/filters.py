import django_filters

from deployments.models import Package

PACKAGE_TYPES = [(s, s.title()) for s in ("agent", "crew", "system", "update")]
STATUSES = [(s, s.title()) for s in ("draft", "staging", "deployed", "retired")]


class PackageFilterSet(django_filters.FilterSet):
    package_type = django_filters.ChoiceFilter(choices=PACKAGE_TYPES, empty_label="Any type")
    status = django_filters.ChoiceFilter(choices=STATUSES, empty_label="Any status")

    class Meta:
        model = Package
        fields = ["package_type", "status"]
