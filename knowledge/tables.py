import django_tables2 as tables

from knowledge.models import Entry


class EntryTable(tables.Table):
    title = tables.Column(linkify=("knowledge:entry_detail", {"pk": tables.A("pk")}))
    tags = tables.TemplateColumn(template_name="console/cells/tags.html", orderable=False)
    updated_at = tables.DateTimeColumn(verbose_name="Updated", format="Y-m-d H:i")

    is_active = tables.BooleanColumn(verbose_name="Active")

    class Meta:
        model = Entry
        fields = ("title", "category", "tags", "is_active", "updated_at")
        order_by = ("-updated_at",)
