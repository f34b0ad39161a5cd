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
ASCII_WORD = re.compile(r"[a-z0-9]+")  # word characters to pg_trgm in any locale


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


def rare_trigrams(word: str) -> list[str]:
    """The trigrams of `word` the index reads for it when every match is read (the count):
    the ones with the most digits. pg_trgm's GIN index reads the posting list of every
    trigram of a LIKE pattern, and in emails and names letter trigrams are in many rows
    (every bench email starts "user": `use` and `ser` are in all 100,000), while a number
    picks out a few: for "user12" only `r12` is read. Without a digit, every trigram. Only
    letters and digits, so that each is exactly one trigram to pg_trgm; [] when there are
    none (the whole word is looked up then)."""
    windows = {word[i : i + TRIGRAM] for i in range(len(word) - TRIGRAM + 1)}
    candidates = sorted(w for w in windows if ASCII_WORD.fullmatch(w))
    if not candidates:
        return []
    most = max(sum(c.isdigit() for c in w) for w in candidates)
    return [w for w in candidates if sum(c.isdigit() for c in w) == most]


def _contains_every_word_by_rare_trigrams(words: list[str]) -> Q:
    """The same rows as _contains_every_word, written for reading every match: the index
    looks up each word's rare trigrams (a row holding the word holds them), and strpos,
    which no index serves, checks the whole word on the rows it finds. Short words are
    checked by strpos alone. The planner guesses strpos keeps a third of the rows, so it
    joins user_auth_state by its primary key for up to about 1,500 matches instead of
    hashing all of it: that is why the estimate shown ("about N") comes from the plain
    search (UserAccountFilterSet.qs), not from this one."""
    conditions, params = [], []
    for word in (word.lower() for word in words):
        trigrams = rare_trigrams(word) if len(word) >= TRIGRAM else []
        if len(word) >= TRIGRAM and not trigrams:
            trigrams = [word]  # nothing rarer to look up: the whole word, as LIKE does
        for trigram in trigrams:
            conditions.append(f"{SEARCH_TEXT} like %s")
            params.append(like_anywhere(trigram))
        conditions.append(f"strpos({SEARCH_TEXT}, %s) > 0")
        params.append(word)
    # Constant SQL (the index's own expression); the words are parameters.
    return Q(RawSQL(" and ".join(conditions), params, output_field=BooleanField()))  # noqa: S611


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

    # Set while every_match_by_rare_trigrams() builds its queryset.
    reading_every_match = False

    def filter_search(self, queryset, name, value):
        value = value.strip()[:255]
        words = value.split()[:MAX_WORDS]
        if not words:
            return queryset
        if max(len(word) for word in words) < TRIGRAM:
            return queryset.filter(_starts_with(value))
        if self.reading_every_match:
            return queryset.filter(_contains_every_word_by_rare_trigrams(words))
        return queryset.filter(_contains_every_word(words))

    def searches_anywhere(self) -> bool:
        """A search for words anywhere (one of three characters or more), not for starts."""
        if not self.is_bound:
            return False
        self.errors  # noqa: B018 - validates the form: cleaned_data holds the valid filters
        value = (self.form.cleaned_data.get("q") or "").strip()[:255]
        return any(len(word) >= TRIGRAM for word in value.split()[:MAX_WORDS])

    def every_match_by_rare_trigrams(self):
        """The same rows as `qs`, with a search anywhere written for reading all of its
        matches (see _contains_every_word_by_rare_trigrams); None without such a search.
        `qs` keeps the plain LIKE: the planner estimates the matches from that (for
        "about N"), while this one reads fewer index pages."""
        if not self.searches_anywhere():
            return None
        self.reading_every_match = True
        try:
            return self.filter_queryset(self.queryset.all())
        finally:
            self.reading_every_match = False

    def filter_role(self, queryset, name, value):
        return queryset.filter(role=value)

    def filter_state(self, queryset, name, value):
        banned = Q(banned_until__gt=Now())
        if value == "banned":
            return queryset.filter(banned)
        if value == "unconfirmed":
            return queryset.filter(email_confirmed_at__isnull=True).exclude(banned)
        return queryset.filter(email_confirmed_at__isnull=False).exclude(banned)
