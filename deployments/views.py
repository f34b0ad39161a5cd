"""The deployments area's pages for reading: the list (search, filters, semantic-version
sort, export), a version's page (configuration tables, diff against another version,
actions, history) and a name's release timeline. Writes live in deployments/actions.py."""

import uuid

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render

from console.diff import diff_values
from console.export import Column, filtered_export
from console.history import record_history
from console.lists import ObjectListView
from console.permissions import area_required
from console.registry import access
from console.users.models import Profile
from deployments import timeline
from deployments.filters import PackageFilterSet
from deployments.models import Package, Status
from deployments.tables import (
    PACKAGE_TABLE_FIELDS,
    PackageTable,
    status_badge,
    steps_html,
    versions_html,
)

AREA = "deployments"
TABLE = Package._meta.db_table

EXPORT_COLUMNS = [
    Column(name, lambda row, name=name: getattr(row, name))
    for name in (
        "id",
        "name",
        "package_type",
        "version",
        "status",
        "configuration",
        "deployment_data",
        "created_by",
        "created_at",
        "deployed_at",
        "updated_at",
        "status_reason",
    )
]


class PackageListView(ObjectListView):
    area = AREA
    title = "Deployment packages"
    queryset = Package.objects.only(*PACKAGE_TABLE_FIELDS)
    table_class = PackageTable
    filterset_class = PackageFilterSet
    template_name = "deployments/package_list.html"
    create_url_name = "deployments:package_create"
    export_url_name = "deployments:package_export"


@area_required(AREA)
def package_export(request):
    return filtered_export(
        request,
        PackageFilterSet,
        Package.objects.all(),
        columns=EXPORT_COLUMNS,
        filename="deployment-packages",
        table_name=TABLE,
        newest_first="created_at",
    )


def may_read_audit(request) -> bool:
    """Admins and auditors read the audit trail (RLS on audit_logs says the same)."""
    return access(request.console_user.role, "audit").can_list


def key_values(data) -> list[tuple[str, str]]:
    """A JSON object as (key, value) rows, nested keys as paths ("limits.cpu")."""
    # The diff of the value with itself walks nested objects key by key.
    return [(row.path, row.new_text) for row in diff_values(data, data)]


def _compared(versions: list[Package], wanted: str | None) -> Package | None:
    if not wanted:
        return None
    try:
        wanted_id = uuid.UUID(wanted)
    except ValueError as exc:
        raise BadInput("That is not a version to compare with.") from exc
    for other in versions:
        if other.pk == wanted_id:
            return other
    raise Http404("No such version of this package.")


class BadInput(Exception):
    pass


def version_diff(older: Package, newer: Package):
    """Configuration and deployment data of two versions, key by key."""
    return diff_values(_contents(older), _contents(newer))


def _contents(package: Package) -> dict:
    return {
        "configuration": package.configuration or {},
        "deployment_data": package.deployment_data or {},
    }


@area_required(AREA)
def package_detail(request, pk):
    package = get_object_or_404(Package, pk=pk)
    # Every other version of the name in one query: the compare menu, what is deployed
    # now, and the rollback targets all come from it.
    others = list(Package.objects.filter(name=package.name).exclude(pk=pk).by_version())
    try:
        compared = _compared(others, request.GET.get("compare"))
    except BadInput as exc:
        return HttpResponseBadRequest(str(exc))
    same_slot = [o for o in others if o.environment == package.environment]
    can_write = access(request.console_user.role, AREA).can_write
    creator = None
    if package.created_by:
        creator = Profile.objects.filter(pk=package.created_by).values_list("email", flat=True)
        creator = creator.first()
    return render(
        request,
        "deployments/package_detail.html",
        {
            "area": AREA,
            "package": package,
            "status_badge": status_badge(package.status),
            "configuration": key_values(package.configuration),
            "deployment_data": key_values(package.deployment_data),
            "others": others,
            "compared": compared,
            "diff": version_diff(compared, package) if compared else None,
            "deployed_now": next((o for o in same_slot if o.status == Status.DEPLOYED), None),
            "can_roll_back": any(o.status == Status.RETIRED and o.was_deployed for o in same_slot),
            "creator": creator,
            "history": record_history(TABLE, package.pk) if may_read_audit(request) else None,
            "can_write": can_write,
        },
    )


@area_required(AREA)
def package_timeline(request, name):
    line = timeline.build(name, with_audit=may_read_audit(request))
    if not line.versions:
        raise Http404("No package has this name.")
    return render(
        request,
        "deployments/timeline.html",
        {
            "area": AREA,
            "timeline": line,
            "statuses": [s.value for s in Status],
            "versions": versions_html(line),
            "steps": steps_html(line),
            "can_write": access(request.console_user.role, AREA).can_write,
        },
    )
