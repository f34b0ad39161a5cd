from console.details import detail_view
from console.lists import ObjectListView
from knowledge.filters import EntryFilterSet
from knowledge.models import Entry
from knowledge.tables import EntryTable


class EntryListView(ObjectListView):
    area = "knowledge"
    title = "Knowledge base"
    queryset = Entry.objects.all()
    table_class = EntryTable
    filterset_class = EntryFilterSet


entry_detail = detail_view("knowledge", Entry)
