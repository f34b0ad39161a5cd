import django_tables2 as tables

from console.columns import DateTimeColumn
from console.rows import cell_html
from deployments.models import Package, Status

STATUS_BADGES = {
    Status.DRAFT: "badge",
    Status.STAGING: "badge badge-info",
    Status.DEPLOYED: "badge badge-ok",
    Status.RETIRED: "badge badge-warn",
}


def status_badge(status) -> str:
    return cell_html(
        '<span class="{}">{}</span>', STATUS_BADGES.get(status, "badge"), status or "—"
    )


class PackageTable(tables.Table):
    name = tables.Column(linkify=("deployments:timeline", {"name": tables.A("name")}))
    version = tables.Column(linkify=("deployments:package_detail", {"pk": tables.A("pk")}))
    package_type = tables.Column(verbose_name="Type")
    status = tables.Column()
    created_at = DateTimeColumn(verbose_name="Created", format="Y-m-d H:i")
    deployed_at = DateTimeColumn(verbose_name="Deployed", format="Y-m-d H:i", default="—")

    class Meta:
        model = Package
        fields = ("name", "version", "package_type", "status", "created_at", "deployed_at")
        order_by = ("-created_at",)
        empty_text = "No deployment packages match these filters."

    def render_status(self, record):
        # `value` would be the choice's label; the badge follows the stored status.
        return status_badge(record.status)

    def order_version(self, queryset, is_descending):
        """Semantic version order (private.semver_key), not text order."""
        return queryset.by_version(descending=is_descending), True
