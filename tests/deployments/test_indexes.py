"""The version sort, a name's versions and the filters are read through their indexes, as the
user (RLS on): the planner, with sorts and sequential scans off, still finds a plan only when
an index gives the rows in order."""

import json

import pytest
from django.db import connection, transaction

from console.rls import as_user
from deployments.models import Package
from tests.factories import db_user

pytestmark = pytest.mark.django_db


def plan(queryset, user) -> dict:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), as_user(user.claims), connection.cursor() as cursor:
        cursor.execute("set local enable_seqscan = off")
        cursor.execute("set local enable_sort = off")
        cursor.execute("set local enable_incremental_sort = off")
        cursor.execute(f"explain (format json) {sql}", params)
        result = cursor.fetchone()[0]
    return (json.loads(result) if isinstance(result, str) else result)[0]["Plan"]


def nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def used_indexes(queryset, user) -> set[str]:
    return {n["Index Name"] for n in nodes(plan(queryset, user)) if "Index Name" in n}


@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: Package.objects.by_version()[:50], "deployment_packages_semver"),
        (lambda: Package.objects.by_version(descending=False)[:50], "deployment_packages_semver"),
        (
            lambda: Package.objects.filter(name="api").by_version(),
            "deployment_packages_name_semver",
        ),
        (
            lambda: Package.objects.filter(status="deployed").order_by("-created_at", "-id")[:50],
            "deployment_packages_status_created",
        ),
        (
            lambda: Package.objects.filter(package_type="agent").order_by("-created_at", "-id")[
                :50
            ],
            "deployment_packages_type_created",
        ),
    ],
)
def test_each_order_and_filter_has_its_index(queryset, index):
    assert index in used_indexes(queryset(), db_user("viewer"))
