"""The knowledge list's table: django-tables2 columns and render methods, rendered by
console.rows like every list. With a search, the title shows its matches highlighted and a
snippet of the text (title_marked and snippet come from knowledge.search)."""

import uuid
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe

from console.display import display_datetime
from console.rows import cell_html
from knowledge.models import Entry
from knowledge.search import highlight


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
        placeholder = uuid.UUID(int=0)
        return reverse("knowledge:entry_detail", args=[placeholder]).removesuffix(f"{placeholder}/")

    def render_title(self, value, record):
        marked = getattr(record, "title_marked", None)
        snippet = getattr(record, "snippet", None)
        title = cell_html(
            '<a href="{}{}/">{}</a>',
            self.entry_url,
            record.pk,
            highlight(marked) if marked else value,
        )
        if snippet:
            return cell_html('{}<p class="kb-snippet">{}</p>', title, highlight(snippet))
        return title

    def render_category(self, value):
        query = urlencode({"category": value})
        return cell_html('<a href="{}?{}">{}</a>', self.list_url, query, value)

    def render_tags(self, value):
        if not value:
            return "—"
        return mark_safe(" ".join(self.tag_link(tag) for tag in value))  # noqa: S308 - escaped

    def tag_link(self, tag: str) -> str:
        """One tag's link, built once per tag on a page: tags repeat from row to row, and a
        row's list of tags cannot be cached by value as a whole."""
        links = self.__dict__.setdefault("_tag_links", {})
        if tag not in links:
            links[tag] = cell_html(
                '<a class="badge" href="{}?{}">{}</a>', self.list_url, urlencode({"tags": tag}), tag
            )
        return links[tag]

    def render_is_active(self, value):
        if value:
            return cell_html('<span class="badge badge-ok">{}</span>', "Active")
        return cell_html('<span class="badge badge-warn">{}</span>', "Draft")

    def render_updated_at(self, value):
        return display_datetime(value)
