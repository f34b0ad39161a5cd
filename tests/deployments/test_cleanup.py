"""Cleanup: drafts untouched for N days and retired versions beyond the newest K per name,
listed by a dry run, deleted (audited) by an admin or `manage.py cleanup_deployments`."""

import pytest
from django.core.management import call_command
from django.db import connection

from console.audit_log import AuditLog
from deployments import cleanup
from deployments.models import Package

pytestmark = pytest.mark.django_db


def backdate(package, days):
    """updated_at in the past (the lifecycle trigger puts now() back on a plain update)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "alter table public.deployment_packages disable trigger deployment_lifecycle"
        )
        cursor.execute(
            "update public.deployment_packages set updated_at = now() - make_interval(days => %s)"
            " where id = %s",
            [days, package.pk],
        )
        cursor.execute("alter table public.deployment_packages enable trigger deployment_lifecycle")


@pytest.fixture
def old_versions(ops):
    """api: 1.0.0 … 1.11.0 deployed in turn (1.0.0–1.10.0 retired: 11), 2.0.0-rc.1 an old
    draft, 2.0.0 a fresh draft; web: 1 retired version."""
    for minor in range(12):
        ops.deploy(f"1.{minor}.0")
    stale = ops.create("2.0.0-rc.1")
    backdate(stale, 45)
    ops.create("2.0.0")
    ops.deploy("1.0.0", name="web")
    ops.deploy("1.1.0", name="web")
    return stale


def test_the_plan_lists_stale_drafts_and_retired_versions_beyond_the_newest_k(old_versions):
    found = cleanup.plan()
    assert [str(p) for p in found.stale_drafts] == ["api 2.0.0-rc.1"]
    # The 11 retired versions of api, newest 10 kept by semantic version (1.10.0 > 1.9.0).
    assert [str(p) for p in found.old_retired] == ["api 1.0.0"]
    assert [str(p) for p in cleanup.plan(days=60, keep=9).old_retired] == ["api 1.0.0", "api 1.1.0"]
    assert cleanup.plan(days=60).stale_drafts == []


def test_the_dry_run_page_lists_and_apply_deletes_with_audit_rows(client_as, old_versions):
    client = client_as("admin")
    page = client.get("/deployments/cleanup/")
    html = page.content.decode()
    assert "2 versions would be deleted" in html and "api 2.0.0-rc.1" in html
    assert Package.objects.count() == 16  # nothing deleted by looking
    assert client.get("/deployments/cleanup/", {"days": "0"}).status_code == 400
    confirmation = page.context["confirmation"]
    response = client.post(
        "/deployments/cleanup/", {"days": "30", "keep": "10", "confirmation": confirmation}
    )
    assert response.status_code == 302
    assert Package.objects.count() == 14
    assert not Package.objects.filter(version__in=["1.0.0", "2.0.0-rc.1"], name="api").exists()
    deletes = AuditLog.objects.filter(
        action="DELETE", table_name="deployment_packages", user_id=client.user.id
    )
    assert deletes.count() == 2
    summary = AuditLog.objects.get(action="CLEANUP", user_id=client.user.id)
    assert summary.new_values["deleted"] == ["api 2.0.0-rc.1", "api 1.0.0"]


def test_the_management_command(old_versions, capsys):
    call_command("cleanup_deployments", "--dry-run", "--keep", "0")
    out = capsys.readouterr().out
    assert "would delete 13 version(s)." in out  # 1 draft, 11 + 1 retired
    assert Package.objects.count() == 16
    call_command("cleanup_deployments", "--days", "30", "--keep", "10")
    assert "deleted 2 version(s)." in capsys.readouterr().out
    assert Package.objects.count() == 14
    assert (
        AuditLog.objects.filter(
            action="DELETE", table_name="deployment_packages", user_id=None
        ).count()
        >= 2
    )
