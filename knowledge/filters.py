import django_filters

from knowledge.models import Entry


class EntryFilterSet(django_filters.FilterSet):
    category = django_filters.CharFilter(label="Category")
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = Entry
        fields = ["category", "is_active"]
