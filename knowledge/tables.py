"""The knowledge list's table. django-tables2 gives the columns, their headers and sorting,
and the pages; the rows are built here, every value escaped, because rendering 50–100 rows
cell by cell through the template engine and django-tables2 cost more than the search itself
(about 1 ms a row, against some 20 µs here)."""

import uuid
from html import escape
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from knowledge.models import Entry
from knowledge.search import highlight


class EntryTable(tables.Table):
    # linkify: only where a page renders this table the stock way (rows_html builds its own)
    title = tables.Column(
        order_by=("title",), linkify=("knowledge:entry_detail", {"pk": tables.A("pk")})
    )
    category = tables.Column(orderable=False)
    tags = tables.Column(orderable=False)
    is_active = tables.Column(verbose_name="Status", orderable=False)
    updated_at = tables.Column(verbose_name="Updated", initial_sort_descending=True)

    class Meta:
        model = Entry
        fields = ("title", "category", "tags", "is_active", "updated_at")
        order_by = ("-updated_at",)
        empty_text = "No entries match this search and these filters."

    def rows_html(self) -> SafeString:
        """The current page's rows. Every value is escaped (html.escape, quotes included);
        only the markup around the values is ours."""
        list_url = reverse("knowledge:entry_list")
        sentinel = uuid.UUID(int=0)
        detail_url = reverse("knowledge:entry_detail", args=[sentinel]).replace(str(sentinel), "{}")
        selectable = "select" in self.columns.names()
        rows = (
            self._row(row.record, list_url, detail_url, selectable) for row in self.page.object_list
        )
        return mark_safe("\n".join(rows))  # noqa: S308 - built from escaped values only

    @staticmethod
    def _row(entry, list_url: str, detail_url: str, selectable: bool) -> str:
        cells = []
        if selectable:  # as console.bulk.selection_column
            cells.append(
                f'<td><input type="checkbox" name="pk" value="{entry.pk}"'
                ' aria-label="Select row"></td>'
            )
        # title_marked and snippet come with a search (ts_headline, see knowledge.search).
        marked, snippet = getattr(entry, "title_marked", None), getattr(entry, "snippet", None)
        title = highlight(marked) if marked else escape(entry.title)
        cell = f'<a href="{detail_url.format(entry.pk)}">{title}</a>'
        if snippet:
            cell += f'<p class="kb-snippet">{highlight(snippet)}</p>'
        cells.append(f"<td>{cell}</td>")
        if entry.category:
            query = escape(urlencode({"category": entry.category}))
            cells.append(f'<td><a href="{list_url}?{query}">{escape(entry.category)}</a></td>')
        else:
            cells.append("<td>—</td>")
        tags = " ".join(
            f'<a class="badge" href="{list_url}?{escape(urlencode({"tags": t}))}">{escape(t)}</a>'
            for t in entry.tags or ()
        )
        cells.append(f"<td>{tags or '—'}</td>")
        cells.append(
            '<td><span class="badge badge-ok">Active</span></td>'
            if entry.is_active
            else '<td><span class="badge badge-warn">Draft</span></td>'
        )
        updated = (
            timezone.localtime(entry.updated_at).strftime("%Y-%m-%d %H:%M")
            if entry.updated_at
            else "—"
        )
        cells.append(f'<td class="nowrap">{updated}</td>')
        return f"<tr>{''.join(cells)}</tr>"
