"""The demo's deployment packages: realistic histories (one rollback) that obey the lifecycle,
and bench volume for the benchmark's deployment rows."""

import pytest
from django.core.management import call_command
from django.db import connection

from console.audit_log import AuditLog
from deployments import timeline
from deployments.models import Package, Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(auth_server):
    call_command("seed_demo")


def test_the_demo_histories_obey_the_lifecycle(seeded):
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) filter (where not private.is_semver(version)),"
            " count(*) filter (where status = 'deployed' and not was_deployed)"
            " from public.deployment_packages"
        )
        assert cursor.fetchone() == (0, 0)
    crew = {p.version: p.status for p in Package.objects.filter(name="crew-runtime")}
    assert crew == {
        "2.0.0": Status.RETIRED,
        "2.0.1": Status.DEPLOYED,  # rolled back to
        "2.1.0": Status.RETIRED,
        "2.1.1-rc.1": Status.DRAFT,
    }
    # production and staging of `platform` each have their deployed version
    assert Package.objects.filter(name="platform", status=Status.DEPLOYED).count() == 2
    line = timeline.build("crew-runtime", with_audit=True)
    reasons = [step.reason for step in line.steps if step.reason]
    assert reasons[0] in (
        "rollback: 2.1.0 doubles queue latency",
        "rolled back to 2.0.1: 2.1.0 doubles queue latency",
    )
    call_command("seed_demo")  # idempotent: nothing added
    assert Package.objects.filter(name="crew-runtime").count() == 4


def bench_volume(names=4):
    """The deployments part of `seed_demo --scale` alone: the rest of the volume writes audit
    rows, which stay (append-only) and other tests count."""
    from console.demo import bench_releases

    with connection.cursor() as cursor:
        bench_releases(cursor, names)


def test_the_bench_volume_adds_names_with_twelve_versions():
    bench_volume()
    bench = Package.objects.filter(name__startswith="bench-pkg-")
    assert bench.count() == 4 * 12
    assert list(
        Package.objects.filter(name="bench-pkg-1").by_version().values_list("version", "status")
    )[:3] == [("1.11.0", "draft"), ("1.10.0", "deployed"), ("1.9.0", "retired")]
    ids = [str(pk) for pk in bench.filter(name="bench-pkg-1").values_list("pk", flat=True)]
    assert AuditLog.objects.filter(table_name="deployment_packages", record_id__in=ids).count() == (
        12 + 11 + 10
    )


def test_the_bench_rows_floor_and_pages_show_the_same_versions(client_as):
    from bench.measure import ids_in
    from bench.pages import selected
    from console.rls import as_user
    from tests.factories import db_user

    bench_volume()
    admin = client_as("admin")
    reader = db_user("auditor")
    params = {"package": "bench-pkg-1"}
    for row in selected("deployments"):
        with as_user(reader.claims), connection.cursor() as cursor:
            cursor.execute(row.floor, params)
            floor_ids = [str(r[0]) for r in cursor.fetchall()]
        html = admin.get(row.ours.format(**params)).content.decode()
        shown = ids_in(html, row.id_link)
        assert floor_ids, row.key
        if row.key == "deployments-version":
            assert shown == floor_ids, row.key
        else:  # the timeline links the deployed version first, then every version's row
            assert list(dict.fromkeys(shown[1:])) == floor_ids, row.key
