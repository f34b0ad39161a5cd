import django_tables2 as tables
from django.utils.safestring import SafeString

from console.columns import DateTimeColumn
from console.display import time_html
from console.rows import cell_html, url_of
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


# What PackageTable shows of a package: the columns the list reads, and nothing else.
PACKAGE_TABLE_FIELDS = (
    "id",
    "name",
    "version",
    "package_type",
    "status",
    "created_at",
    "deployed_at",
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


# ---------- A name's release timeline (deployments.timeline), written row by row here: a
# dozen versions with their steps, each shown twice, cost more as a template loop (a lookup
# and a filter per value) than the page's SQL.

STEP_TIME = "Y-m-d H:i:s"
_NOTHING = '<span class="muted">—</span>'


def _when(step) -> str:
    return time_html(step.at, STEP_TIME) if step.at else '<time datetime=""></time>'


def versions_html(timeline) -> SafeString:
    """The versions table's rows: a version, then when it entered each status, by whom, why."""
    version_url = url_of("deployments:package_detail")
    rows = []
    for line in timeline.versions:
        package = line.package
        deployed = package.status == Status.DEPLOYED
        head = cell_html(
            '<th scope="row"><a href="{}">{}</a> {}</th>',
            version_url(package.pk),
            package.version,
            SafeString('<span class="badge badge-ok">deployed now</span>')
            if deployed
            else cell_html('<span class="muted">{}</span>', package.status),
        )
        cells = []
        for _status, steps in line.entered():
            shown = "".join(
                cell_html(
                    '<div class="timeline-step">{}{}{}</div>',
                    SafeString(_when(step)),
                    f" by {step.actor_email}" if step.actor_email else "",
                    cell_html(' <span class="muted">— {}</span>', step.reason)
                    if step.reason
                    else "",
                )
                for step in steps
            )
            cells.append(f"<td>{shown or _NOTHING}</td>")
        current = ' class="deployed-now" aria-current="true"' if deployed else ""
        rows.append(f"<tr{current}>{head}{''.join(cells)}</tr>")
    return SafeString("\n".join(rows))


def steps_html(timeline) -> SafeString:
    """Every step, newest first, as list items."""
    version_url = url_of("deployments:package_detail")
    items = []
    for step in timeline.steps:
        who = (
            f" by {step.actor_email}"
            if step.actor_email
            else " by system"
            if step.from_audit
            else ""
        )
        items.append(
            cell_html(
                '<li>{}: <a href="{}">{}</a> became <strong>{}</strong>{}{}</li>',
                SafeString(_when(step)),
                version_url(step.package.pk),
                step.package.version,
                step.status,
                who,
                f" — {step.reason}" if step.reason else "",
            )
        )
    return SafeString("\n".join(items))
