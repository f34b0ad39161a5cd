"""The knowledge list's filters. Every one of them is in the URL and has an index behind it
(supabase/migrations/20261122020000_knowledge_search.sql)."""

import uuid

import django_filters
from django import forms

from console.filtering import active_filter, date_input, end_of, search_widget, start_of
from knowledge.forms import normalise_tags
from knowledge.models import Entry
from knowledge.search import CONTROL_CHARACTERS, MAX_QUERY_LENGTH, EntryIdIn, Search

TAG_MATCH = [("any", "Any of them"), ("all", "All of them")]
SORTS = [
    ("title", "Title, A to Z"),
    ("-title", "Title, Z to A"),
    ("-updated_at", "Updated, newest first"),
    ("updated_at", "Updated, oldest first"),
]


class SearchField(forms.CharField):
    """Any text is a valid search, never refused: NUL bytes and control characters are
    dropped here, and knowledge.search cuts it at MAX_QUERY_LENGTH (and says so)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators = []  # no "null characters are not allowed": they are dropped

    def to_python(self, value):
        return CONTROL_CHARACTERS.sub(" ", value).strip() if isinstance(value, str) else ""


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


class AuthorSelect(forms.Select):
    """Anyone / Me, plus the author in the URL (from an entry's "more by this author")."""

    def get_context(self, name, value, attrs):
        if value and value not in dict(self.choices):
            self.choices = [*self.choices, (value, "This author")]
        return super().get_context(name, value, attrs)


class AuthorField(forms.CharField):
    default_error_messages = {"invalid": "Choose “Me”, or follow an author link from an entry."}

    def to_python(self, value):
        value = super().to_python(value).strip()
        if value in ("", "me"):
            return value
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class AuthorFilter(django_filters.CharFilter):
    field_class = AuthorField


class EntryFilterSet(django_filters.FilterSet):
    q = SearchFilter(
        label="Search",
        widget=search_widget('words, "a phrase", -exclude, or'),
    )
    category = django_filters.CharFilter(
        label="Category",
        widget=forms.TextInput(attrs={"list": "kb-categories", "autocomplete": "off"}),
    )
    tags = django_filters.CharFilter(label="Tags", widget=search_widget("e.g. security, rls"))
    tags_match = django_filters.ChoiceFilter(
        label="Tags match", choices=TAG_MATCH, empty_label=None
    )
    is_active = active_filter()
    author = AuthorFilter(
        label="Author",
        widget=AuthorSelect(choices=[("", "Anyone"), ("me", "Me")]),
    )
    updated_from = django_filters.DateFilter(label="Updated from", widget=date_input())
    updated_until = django_filters.DateFilter(label="Updated until", widget=date_input())
    sort = django_filters.ChoiceFilter(
        label="Sort", choices=SORTS, empty_label="Relevance, then newest"
    )

    class Meta:
        model = Entry
        fields = []

    def __init__(self, *args, window: tuple[int, int] | None = None, **kwargs):
        """`window`: the positions of the page a ranked list will show (Search.window)."""
        super().__init__(*args, **kwargs)
        self.window = window
        self.search: Search | None = None
        self.criteria: dict = {}
        self.unsearched = None  # the entries the other filters leave, which the search ranks
        self.form.fields["q"].widget.attrs["maxlength"] = MAX_QUERY_LENGTH

    def filter_queryset(self, queryset):
        """The filters as `criteria`, then the search within them: the search ranks what the
        rest leaves, and the database's search function applies the same criteria."""
        data = self.form.cleaned_data
        self.criteria = criteria(data, self.request)
        queryset = apply_criteria(queryset, self.criteria)
        self.unsearched = queryset
        self.search = Search.parse(data.get("q"), self.criteria, self.window)
        return self.search.matching(queryset) if self.search else queryset


def criteria(data: dict, request) -> dict:
    """The filters' values, canonical (as private.kb_search_pool reads them too)."""
    found = {}
    category = " ".join((data.get("category") or "").split())
    if category:
        found["category"] = category
    tags = normalise_tags(data.get("tags") or "", strict=False)
    if tags:
        found["tags"] = tags
        found["all_tags"] = data.get("tags_match") == "all"
    if data.get("is_active") is not None:
        found["is_active"] = data["is_active"]
    author = data.get("author")
    if author:
        found["author"] = str(request.console_user.id) if author == "me" else author
    if data.get("updated_from"):
        found["updated_from"] = start_of(data["updated_from"])
    end = end_of(data["updated_until"]) if data.get("updated_until") else None
    if end:
        found["updated_before"] = end
    return found


def apply_criteria(queryset, found: dict):
    if "category" in found:
        queryset = queryset.filter(category=found["category"])
    if "tags" in found:
        # Through the tags' GIN index (`&&` and `@>` cannot use it under RLS).
        queryset = queryset.filter(
            EntryIdIn(
                "private.kb_entry_ids('', '', '', %s::text[], %s)",
                [found["tags"], found["all_tags"]],
            )
        )
    if "is_active" in found:
        queryset = queryset.filter(is_active=found["is_active"])
    if "author" in found:
        queryset = queryset.filter(created_by=found["author"])
    if "updated_from" in found:
        queryset = queryset.filter(updated_at__gte=found["updated_from"])
    if "updated_before" in found:
        queryset = queryset.filter(updated_at__lt=found["updated_before"])
    return queryset
