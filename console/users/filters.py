import re

import django_filters
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now

from console.filtering import search_widget
from console.users.models import ROLE_CHOICES, UserAccount

STATE_CHOICES = [
    ("active", "Active"),
    ("banned", "Banned"),
    ("unconfirmed", "Unconfirmed"),
]
# One or two characters: the start of the email (idx_profiles_email_lower, through the
# `lower` lookup registered in UsersConfig.ready()) or of any word of the name, with the same
# expression as the GIN index idx_profiles_display_name_words, so the planner can use it.
NAME_WORDS_MATCH = "to_tsvector('simple', coalesce(display_name, '')) @@ to_tsquery('simple', %s)"
# Longer: each word anywhere in the email or the name, with the expression of the trigram
# index idx_profiles_search_trgm (supabase/migrations/20261127100000_users_trigram_search.sql).
SEARCH_TEXT = "lower(coalesce(email, '') || ' ' || coalesce(display_name, ''))"
MAX_WORDS = 8
TRIGRAM = 3  # pg_trgm finds nothing to look up in a shorter fragment


def name_words_query(text: str) -> str | None:
    """`ada love` -> `ada:* & love:*` (only word characters reach to_tsquery)."""
    words = re.findall(r"\w+", text.lower())[:MAX_WORDS]
    return " & ".join(f"{word}:*" for word in words) or None


def like_anywhere(word: str) -> str:
    """A LIKE pattern for `word` anywhere, its own `%`, `_` and `\\` taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _starts_with(value: str) -> Q:
    match = Q(email__lower__startswith=value.lower())
    words = name_words_query(value)
    if words:
        # Constant SQL (the index's own expression); the words are a parameter.
        by_name = RawSQL(NAME_WORDS_MATCH, [words], output_field=BooleanField())  # noqa: S611
        match |= Q(by_name)
    return match


def _contains_every_word(words: list[str]) -> Q:
    sql = " and ".join([f"{SEARCH_TEXT} like %s"] * len(words))
    patterns = [like_anywhere(word.lower()) for word in words]
    # Constant SQL (the index's own expression); the patterns are parameters.
    return Q(RawSQL(sql, patterns, output_field=BooleanField()))  # noqa: S611


class UserAccountFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="filter_search",
        widget=search_widget("Email or name"),
        help_text=(
            "Every word you type, anywhere in the email or the name (one or two letters: "
            "the start of the email or of a name word)."
        ),
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
        words = value.split()[:MAX_WORDS]
        if not words:
            return queryset
        if max(len(word) for word in words) < TRIGRAM:
            return queryset.filter(_starts_with(value))
        return queryset.filter(_contains_every_word(words))

    def filter_role(self, queryset, name, value):
        return queryset.filter(role=value)

    def filter_state(self, queryset, name, value):
        banned = Q(banned_until__gt=Now())
        if value == "banned":
            return queryset.filter(banned)
        if value == "unconfirmed":
            return queryset.filter(email_confirmed_at__isnull=True).exclude(banned)
        return queryset.filter(email_confirmed_at__isnull=False).exclude(banned)
