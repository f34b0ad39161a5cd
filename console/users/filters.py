import re

import django_filters
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now

from console.filtering import search_widget
from console.roles import Role
from console.users.models import ROLE_CHOICES, UserAccount

STATE_CHOICES = [
    ("active", "Active"),
    ("banned", "Banned"),
    ("unconfirmed", "Unconfirmed"),
]
# Any word of the name starting with the words typed; the same expression as the GIN index
# idx_profiles_display_name_words, so the planner can use it.
NAME_WORDS_MATCH = "to_tsvector('simple', coalesce(display_name, '')) @@ to_tsquery('simple', %s)"


def name_words_query(text: str) -> str | None:
    """`ada love` -> `ada:* & love:*` (only word characters reach to_tsquery)."""
    words = re.findall(r"\w+", text.lower())[:8]
    return " & ".join(f"{word}:*" for word in words) or None


class UserAccountFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="filter_search",
        widget=search_widget("Email or name"),
        help_text="Email starting with, or a word of the name starting with, what you type.",
    )
    role = django_filters.ChoiceFilter(
        label="Role", choices=ROLE_CHOICES, empty_label="Any role", method="filter_role"
    )
    state = django_filters.ChoiceFilter(
        label="State", choices=STATE_CHOICES, empty_label="Any state", method="filter_state"
    )

    class Meta:
        model = UserAccount
        fields = ["q", "role", "state"]

    def filter_search(self, queryset, name, value):
        value = value.strip()[:255]
        if not value:
            return queryset
        match = Q(email__lower__startswith=value.lower())
        words = name_words_query(value)
        if words:
            # Constant SQL (the index's own expression); the words are a parameter.
            by_name = RawSQL(NAME_WORDS_MATCH, [words], output_field=BooleanField())  # noqa: S611
            match |= Q(by_name)
        return queryset.filter(match)

    def filter_role(self, queryset, name, value):
        if value == Role.VIEWER:  # the legacy 'user' counts as viewer
            return queryset.filter(role__in=[Role.VIEWER.value, "user"])
        return queryset.filter(role=value)

    def filter_state(self, queryset, name, value):
        banned = Q(banned_until__gt=Now())
        if value == "banned":
            return queryset.filter(banned)
        if value == "unconfirmed":
            return queryset.filter(email_confirmed_at__isnull=True).exclude(banned)
        return queryset.filter(email_confirmed_at__isnull=False).exclude(banned)
