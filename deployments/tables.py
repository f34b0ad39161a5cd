import django_tables2 as tables

from console.columns import DateTimeColumn
from deployments.models import Package


class PackageTable(tables.Table):
    name = tables.Column(linkify=("deployments:package_detail", {"pk": tables.A("pk")}))
    created_at = DateTimeColumn(verbose_name="Created", format="Y-m-d H:i")
    deployed_at = DateTimeColumn(verbose_name="Deployed", format="Y-m-d H:i", default="—")

    class Meta:
        model = Package
        fields = ("name", "package_type", "version", "status", "created_at", "deployed_at")
        order_by = ("-created_at",)
