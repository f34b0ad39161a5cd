"""The console's lifecycle steps (deployments.lifecycle): each is an audited write whose
audit row carries the status and the reason; refusals come back as words, by SQLSTATE."""

import pytest

from console import audited
from console.audit_log import AuditLog
from console.rls import as_user
from deployments import lifecycle
from deployments.models import Package, Status
from tests.factories import db_user

pytestmark = pytest.mark.django_db


def audit_rows(package):
    return list(
        AuditLog.objects.filter(table_name="deployment_packages", record_id=str(package.pk))
        .order_by("created_at", "id")
        .values_list("action", "user_id", "new_values")
    )


def test_create_makes_a_draft_created_by_the_admin(ops, admin):
    package = ops.create("1.0.0")
    assert package.status == Status.DRAFT and str(package.created_by) == admin.id
    [(action, user_id, values)] = audit_rows(package)
    assert action == "CREATE" and str(user_id) == admin.id and values["status"] == "draft"


def test_deploying_retires_the_previous_version_as_two_audited_changes(ops, admin):
    first = ops.deploy("1.0.0")
    second = ops.promote(ops.promote(ops.create("1.1.0")), reason="ship it")
    first.refresh_from_db()
    assert (first.status, second.status) == (Status.RETIRED, Status.DEPLOYED)
    assert second.deployed_at is not None
    retired = audit_rows(first)[-1]
    assert {k: retired[2][k] for k in ("status", "status_reason")} == {
        "status": "retired",
        "status_reason": "replaced by 1.1.0",
    }
    assert str(retired[1]) == admin.id
    deployed = audit_rows(second)[-1][2]
    assert deployed["status"] == "deployed" and deployed["status_reason"] == "ship it"


def test_rollback_needs_a_reason_and_a_version_deployed_before(ops):
    old = ops.deploy("1.0.0")
    new = ops.deploy("1.1.0")
    old.refresh_from_db()
    with pytest.raises(lifecycle.LifecycleRefused) as refused:
        ops.rollback(old, "  ")
    assert refused.value.field == "reason"
    never = ops.create("0.9.0")
    with pytest.raises(lifecycle.LifecycleRefused):
        ops.rollback(never, "why not")
    ops.rollback(old, "1.1.0 leaks memory")
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (Status.DEPLOYED, Status.RETIRED)
    assert audit_rows(old)[-1][2]["status_reason"] == "rollback: 1.1.0 leaks memory"
    assert audit_rows(new)[-1][2]["status_reason"] == "rolled back to 1.0.0: 1.1.0 leaks memory"


def test_rollback_targets_are_the_retired_versions_deployed_before_in_the_same_slot(ops):
    ops.deploy("1.0.0")
    ops.deploy("1.1.0")
    current = ops.deploy("1.2.0")
    ops.create("1.3.0")  # a draft: never deployed
    ops.deploy("2.0.0", data={"environment": "eu"})  # another environment
    assert [p.version for p in lifecycle.rollback_targets(current)] == ["1.1.0", "1.0.0"]
    assert lifecycle.deployed_now(current).pk == current.pk


def test_the_databases_refusals_become_words_by_sqlstate(ops, admin):
    actor = audited.Actor(admin.id, None, "pytest")
    package = ops.deploy("1.0.0")
    with as_user(admin.claims):
        # Straight at the audited write, past the console's own checks: the database refuses.
        context = lifecycle._context(package, to="draft")
        with pytest.raises(lifecycle.LifecycleRefused) as refused, lifecycle._refusals(**context):
            audited.update(actor, package, status="draft")
        assert "cannot go from deployed to draft" in refused.value.message
        with pytest.raises(lifecycle.LifecycleRefused) as refused:
            lifecycle.create(actor, name="api", package_type="agent", version="1.2")
        assert refused.value.field == "version"
        assert "not a semantic version" in refused.value.message
        with pytest.raises(lifecycle.LifecycleRefused) as refused:
            lifecycle.create(actor, name="api", package_type="agent", version="1.0.0")
        assert refused.value.message == "api 1.0.0 already exists."
        with pytest.raises(lifecycle.LifecycleRefused):
            lifecycle.edit(actor, package, configuration={"x": 1})


def test_only_drafts_are_deleted_from_the_console(ops, admin):
    actor = audited.Actor(admin.id, None, "pytest")
    live = ops.deploy("1.0.0")
    draft = ops.create("1.1.0")
    with as_user(admin.claims):
        with pytest.raises(lifecycle.LifecycleRefused):
            lifecycle.delete(actor, live)
        lifecycle.delete(actor, draft)
    assert not Package.objects.filter(pk=draft.pk).exists()
    assert audit_rows(draft)[-1][0] == "DELETE"


@pytest.mark.parametrize("role", ["editor", "auditor", "viewer"])
def test_other_roles_cannot_write_through_the_console_either(ops, role):
    user = db_user(role)
    actor = audited.Actor(user.id, None, "pytest")
    package = ops.create("1.0.0")
    with as_user(user.claims):
        with pytest.raises(audited.WriteFailed):
            lifecycle.create(actor, name="x", package_type="agent", version="1.0.0")
        with pytest.raises(audited.WriteFailed):
            lifecycle.promote(actor, package)
    package.refresh_from_db()
    assert package.status == Status.DRAFT
