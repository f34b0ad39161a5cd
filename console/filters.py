import django_filters
from django.db.models import CharField, TextField
from django.db.models.functions import Lower

from console.filtering import search_widget
from console.models import ROLE_CHOICES, Profile

# `email__lower__startswith` is served by the index on lower(email) text_pattern_ops.
CharField.register_lookup(Lower)
TextField.register_lookup(Lower)


class ProfileFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Email starts with",
        method="filter_email",
        widget=search_widget("name@example.com"),
    )
    role = django_filters.ChoiceFilter(choices=ROLE_CHOICES, empty_label="Any role")

    class Meta:
        model = Profile
        fields = ["q", "role"]

    def filter_email(self, queryset, name, value):
        value = value.strip().lower()[:255]
        return queryset.filter(email__lower__startswith=value) if value else queryset
