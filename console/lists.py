"""The list view every list in every app uses: a django-tables2 table, django-filter filters,
sorting, a page size, and pagination without a full COUNT(*). htmx refreshes the results in
place and pushes the URL, so reload, bookmarks and back/forward show the same view.

An app's list view only declares what it lists:

    class AgentListView(ObjectListView):
        area = "agents"
        queryset = Agent.objects.all()
        table_class = AgentTable
        filterset_class = AgentFilterSet
"""

from django.utils.cache import patch_vary_headers
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.data import TableQuerysetData

from console.bulk import selection_column
from console.pagination import EstimatedCountPaginator
from console.permissions import AreaRequiredMixin
from console.roles import access

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50


class StableOrderData(TableQuerysetData):
    """Every ordering ends with the primary key, or pages would repeat and skip rows."""

    def order_by(self, aliases):
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

    def get_table_pagination(self, table):
        return {"per_page": self.page_size(), "paginator_class": self.paginator_class}

    def page_size(self) -> int:
        try:
            size = int(self.request.GET.get("per_page", DEFAULT_PAGE_SIZE))
        except ValueError:
            return DEFAULT_PAGE_SIZE
        return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE

    def get_template_names(self):
        names = super().get_template_names()
        if self.request.htmx and not self.request.htmx.boosted:
            return [f"{names[0]}#results"]
        return names

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
        )
        return context

    def model_label(self) -> str:
        return str(self.get_queryset().model._meta.verbose_name_plural).capitalize()

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        # The same URL answers with a fragment for htmx and a page otherwise.
        patch_vary_headers(response, ["HX-Request"])
        return response
