"""The knowledge list's table: django-tables2 columns and render methods, rendered by
console.rows like every list. With a search, the title shows its matches highlighted and a
snippet of the text (title_marked and snippet come from knowledge.search)."""

import uuid
from functools import lru_cache
from html import escape
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import SafeString

from console.display import display_datetime
from console.rows import cell_html
from knowledge.models import Entry
from knowledge.search import highlight


@lru_cache(maxsize=4096)
def tag_links(list_url: str, tags: tuple[str, ...]) -> SafeString:
    """A row's tags as links to the list filtered by each, built once per set of tags for
    good: they repeat from row to row and from page to page (a list cannot be a key of
    console.rows' per-page cache of a cell by value)."""
    return SafeString(
        " ".join(
            cell_html('<a class="badge" href="{}?{}">{}</a>', list_url, urlencode({"tags": t}), t)
            for t in tags
        )
    )


class EntryTable(tables.Table):
    title = tables.Column(order_by=("title",))
    category = tables.Column(orderable=False)
    tags = tables.Column(orderable=False)
    is_active = tables.Column(verbose_name="Status", orderable=False, empty_values=())
    updated_at = tables.Column(
        verbose_name="Updated", initial_sort_descending=True, attrs={"td": {"class": "nowrap"}}
    )

    class Meta:
        model = Entry
        fields = ("title", "category", "tags", "is_active", "updated_at")
        order_by = ("-updated_at",)
        attrs = {"class": "table kb-table"}
        empty_text = "No entries match this search and these filters."

    # Reversed (and escaped) once a page, not once a row.
    @cached_property
    def list_url(self) -> str:
        return reverse("knowledge:entry_list")

    @cached_property
    def entry_url(self) -> str:
        """The start of an entry's URL (its id and a slash follow), escaped."""
        placeholder = uuid.UUID(int=0)
        url = reverse("knowledge:entry_detail", args=[placeholder])
        return escape(url.removesuffix(f"{placeholder}/"))

    def render_title(self, value, record):
        # Built in one piece: it runs once a row. The id is a UUID (nothing to escape).
        marked = getattr(record, "title_marked", None)
        title = highlight(marked) if marked else escape(value)
        html = f'<a href="{self.entry_url}{record.pk}/">{title}</a>'
        snippet = getattr(record, "snippet", None)
        if snippet:
            html = f'{html}<p class="kb-snippet">{highlight(snippet)}</p>'
        return SafeString(html)

    def render_category(self, value):
        query = urlencode({"category": value})
        return cell_html('<a href="{}?{}">{}</a>', self.list_url, query, value)

    def render_tags(self, value):
        if not value:
            return "—"
        return tag_links(self.list_url, tuple(value))

    def render_is_active(self, value):
        if value:
            return cell_html('<span class="badge badge-ok">{}</span>', "Active")
        return cell_html('<span class="badge badge-warn">{}</span>', "Draft")

    def render_updated_at(self, value):
        return display_datetime(value)
