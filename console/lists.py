"""The list view every list in every app uses: a django-tables2 table, django-filter filters,
sorting, a page size, and pagination without a full COUNT(*). htmx refreshes the results in
place and pushes the URL, so reload, bookmarks and back/forward show the same view.

An app's list view only declares what it lists:

    class AgentListView(ObjectListView):
        area = "agents"
        queryset = Agent.objects.all()
        table_class = AgentTable
        filterset_class = AgentFilterSet

Big append-mostly tables (the audit trail) page by keyset instead: "newer"/"older" links with
a cursor in the URL and a jump to a date, no count at all, the same cost on every page:

    class AuditLogListView(KeysetListView):
        keyset = ("-created_at", "-id")  # an index on (created_at desc, id desc) serves it
        ...
"""

from datetime import datetime

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import models
from django.http import QueryDict
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.data import TableQuerysetData

from console.bulk import selection_column
from console.display import display_datetime
from console.pagination import (
    BadCursor,
    EstimatedCountPaginator,
    Keyset,
    estimated_count,
    is_small_table,
    page_and_count,
)
from console.permissions import AreaRequiredMixin
from console.registry import access

PAGE_SIZES = (25, 50, 100, 200)  # the only sizes a list shows, whatever the URL says
DEFAULT_PAGE_SIZE = 50
# Beyond any result counted exactly (EXACT_COUNT_LIMIT), and within PostgreSQL's OFFSET: a
# page past it is never read with its count (console.lists.ObjectListView.count_with_page).
MAX_OFFSET = 1_000_000


class StableOrderData(TableQuerysetData):
    """Every ordering ends with the primary key, or pages would repeat and skip rows.

    A list that read its page together with the count (console.pagination.ids_and_count)
    hands the page's rows over (`use_page`), so that the paginator's slice is not read again.
    """

    known_page: tuple[int, object] | None = None  # (first row's index, its rows)

    def use_page(self, bottom: int, rows) -> None:
        self.known_page = (bottom, rows)

    def __getitem__(self, key):
        known = self.known_page
        if known is not None and isinstance(key, slice) and (key.start or 0) == known[0]:
            return known[1]
        return super().__getitem__(key)

    def order_by(self, aliases):
        self.known_page = None
        super().order_by(aliases)
        ordering = list(self.data.query.order_by)
        if ordering and not any(str(o).lstrip("-") in ("pk", "id") for o in ordering):
            descending = str(ordering[0]).startswith("-")
            self.data = self.data.order_by(*ordering, "-pk" if descending else "pk")


class ObjectListView(AreaRequiredMixin, SingleTableMixin, FilterView):
    template_name = "console/list.html"
    paginator_class = EstimatedCountPaginator
    strict = False  # invalid filter input shows its errors and keeps the page usable
    title = ""
    create_url_name: str | None = None  # shown as "New …" to roles that may write
    bulk_view = None  # a console.bulk.BulkActionView subclass: adds row selection
    bulk_url_name: str | None = None
    export_url_name: str | None = None  # a view of console.export: "Export CSV / JSON Lines"

    def get_table_data(self):
        return StableOrderData(super().get_table_data())

    def bulk_enabled(self) -> bool:
        return (
            bool(self.bulk_view and self.bulk_url_name)
            and access(self.request.console_user.role, self.area).can_write
        )

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if self.bulk_enabled():
            kwargs["extra_columns"] = [("select", selection_column())]
            kwargs["sequence"] = ("select", "...")
        return kwargs

    def get_table(self, **kwargs):
        """SingleTableMixin's, but the page size is ours: django-tables2's RequestConfig
        would take `per_page` from the URL as it stands (per_page=-1 answered 500,
        per_page=1000000000 every row)."""
        table = self.get_table_class()(data=self.get_table_data(), **kwargs)
        RequestConfig(self.request, paginate=False).configure(table)  # the sort, from the URL
        pagination = self.get_table_pagination(table)
        if pagination:
            page = self.request.GET.get(table.prefixed_page_field, "1")
            try:
                table.paginate(page=page, **pagination)
            except PageNotAnInteger:
                table.page = table.paginator.page(1)
            except EmptyPage:
                table.page = table.paginator.page(table.paginator.num_pages)
        return table

    def get_table_pagination(self, table):
        # django-tables2 hands these to the paginator: the count comes from count_rows().
        self.paginated_table = table  # (whose page count_rows may read with the count)
        return {
            "per_page": self.page_size(),
            "paginator_class": self.paginator_class,
            "count": self.count_rows,
        }

    def count_rows(self) -> tuple[int, bool]:
        """(count, approximate) of the filtered rows; a list with its own count overrides it.
        A small table is counted with the page's rows, in one query."""
        table = getattr(self, "paginated_table", None)  # (a queryset's rows: see get_table_data)
        readable = isinstance(getattr(table, "data", None), StableOrderData)
        if readable and is_small_table(self.object_list):
            return self.count_with_page(), False
        return estimated_count(self.object_list)

    def requested_page_start(self) -> int | None:
        """The index of the first row of the page the URL asks for (an invalid number: the
        first page, as the paginator shows it); None for a page no count could reach (a
        number typed by hand: it is never sent to the database as an OFFSET)."""
        try:
            number = int(self.request.GET.get(self.paginated_table.prefixed_page_field, 1))
        except ValueError:
            number = 1
        start = (max(1, number) - 1) * self.page_size()
        return start if start <= MAX_OFFSET else None

    def count_with_page(self) -> int:
        """The exact count, read together with the requested page's rows, which the table
        then shows without reading them again (StableOrderData.use_page)."""
        data = self.paginated_table.data  # StableOrderData, ordered as the table shows it
        start = self.requested_page_start()
        if start is None:
            return self.object_list.count()
        rows, count = page_and_count(data.data, start, start + self.page_size())
        if count is None:  # nothing on that page: past the end (the paginator says so)
            return self.object_list.count() if start else 0
        data.use_page(start, rows)
        return count

    def page_size(self) -> int:
        try:
            size = int(self.request.GET.get("per_page", DEFAULT_PAGE_SIZE))
        except ValueError:
            return DEFAULT_PAGE_SIZE
        return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE

    # What htmx swaps in: the results partial of the generic list template, which an app's
    # list template extends (adding its navigation, suggestions, styles) without redefining.
    results_template = "console/list.html#results"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [self.results_template]
        return super().get_template_names()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title or self.model_label(),
            page_sizes=PAGE_SIZES,
            per_page=self.page_size(),
            create_url_name=self.create_url_name,
            bulk_url_name=self.bulk_url_name if self.bulk_enabled() else None,
            bulk_actions=self.bulk_view.actions if self.bulk_enabled() else (),
            query=self.request.GET.urlencode(),
            exports=self.exports(),
        )
        return context

    def filter_query(self) -> str:
        """The URL query of the current filter alone (no page, size or sort)."""
        filters = self.filterset.form.fields if getattr(self, "filterset", None) else {}
        query = QueryDict(mutable=True)
        for name in filters:
            for value in self.request.GET.getlist(name):
                if value.strip():
                    query.appendlist(name, value)
        return query.urlencode()

    def exports(self) -> list[tuple[str, str]]:
        """(label, URL) of the exports of the current filter, when the list has an export."""
        if not self.export_url_name:
            return []
        base = reverse(self.export_url_name)
        query = self.filter_query()
        return [
            (label, f"{base}?format={fmt}{'&' + query if query else ''}")
            for fmt, label in (("csv", "CSV"), ("jsonl", "JSON Lines"))
        ]

    def model_label(self) -> str:
        return str(self.get_queryset().model._meta.verbose_name_plural).capitalize()

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        # The same URL answers with a fragment for htmx and a page otherwise.
        patch_vary_headers(response, ["HX-Request"])
        return response


class KeysetListView(ObjectListView):
    """A list paged by keyset (console.pagination.Keyset) instead of page numbers: "newer" and
    "older" links carry a cursor in the URL, `jump=<date>` starts at a day, nothing is counted,
    and the millionth row costs what the first does. The order is fixed (`keyset`, which an
    index must serve); columns are not sortable. Same hooks and template as ObjectListView.
    """

    keyset: tuple[str, ...] = ("-created_at", "-id")
    # Links towards the head and the tail of the list; newest first that is newer and older.
    keyset_labels: tuple[str, str] = ("Newer", "Older")
    CURSOR_PARAMS = ("before", "after", "jump")

    def get_keyset(self) -> Keyset:
        return Keyset(tuple(self.keyset))

    def get_table_pagination(self, table):
        return False  # the keyset page is already one page

    def get_table_kwargs(self):
        return {**super().get_table_kwargs(), "orderable": False}

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)  # reads the page (get_table_data)
        message = self.nothing_beyond_jump()
        if message:
            table.empty_text = message
        return table

    def nothing_beyond_jump(self) -> str | None:
        """A jump past the end of the list (newest first: to a date before the oldest row)
        is not "no entries match": it says so."""
        jump = self.request.GET.get("jump", "").strip()[:40]
        page = getattr(self, "keyset_page", None)
        if not jump or page is None or page.rows or getattr(self, "keyset_error", None):
            return None
        if self.get_keyset().descending:
            return f"There is nothing older: no entries on or before {jump}."
        return f"There is nothing newer: no entries on or after {jump}."

    def get_table_data(self):
        keyset = self.get_keyset()
        get = self.request.GET
        self.keyset_error = None
        try:
            self.keyset_page = keyset.page(
                self.object_list,
                per_page=self.page_size(),
                before=get.get("before"),
                after=get.get("after"),
                jump=get.get("jump"),
            )
        except BadCursor as exc:
            self.keyset_error = str(exc)
            self.keyset_page = keyset.page(self.object_list, per_page=self.page_size())
        return self.keyset_page.rows

    def query_without_position(self) -> QueryDict:
        """The request's query (filters, page size) without where in the list it is."""
        query = self.request.GET.copy()
        for name in (*self.CURSOR_PARAMS, "page", "sort"):
            query.pop(name, None)
        return query

    def keyset_url(self, **params) -> str:
        query = self.query_without_position()
        for name, value in params.items():
            query[name] = value
        encoded = query.urlencode()
        return f"{self.request.path}?{encoded}" if encoded else self.request.path

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page, keyset = self.keyset_page, self.get_keyset()
        first_name = keyset.names[0]
        rows = page.rows
        kept = self.query_without_position()
        context["keyset"] = {
            "page": page,
            "rows": len(rows),
            "error": self.keyset_error,
            "nothing_beyond_jump": self.nothing_beyond_jump(),
            "newest_first": keyset.descending,
            "labels": self.keyset_labels,
            "previous_url": self.keyset_url(**{keyset.previous_param: page.previous_cursor})
            if page.previous_cursor
            else None,
            "next_url": self.keyset_url(**{keyset.next_param: page.next_cursor})
            if page.next_cursor
            else None,
            "head_url": None if page.first else self.keyset_url(),
            "span": _span(rows, first_name),
            "jump": self.request.GET.get("jump", "")[:40],
            "can_jump": isinstance(
                self.object_list.model._meta.get_field(first_name), models.DateField
            ),
            "kept": [(name, value) for name in kept for value in kept.getlist(name)],
        }
        return context


def _span(rows, name: str) -> tuple[str, str] | None:
    """The page's first and last moment as its heading shows them; None when the keyset's
    first field is not a date and time."""
    ends = (getattr(rows[0], name), getattr(rows[-1], name)) if rows else ()
    if not ends or not all(isinstance(end, datetime) for end in ends):
        return None
    return display_datetime(ends[0], "Y-m-d H:i:s"), display_datetime(ends[1], "Y-m-d H:i:s")
