import django_filters

from console.filtering import active_filter
from knowledge.models import Entry


class EntryFilterSet(django_filters.FilterSet):
    category = django_filters.CharFilter(label="Category")
    is_active = active_filter()

    class Meta:
        model = Entry
        fields = ["category", "is_active"]
