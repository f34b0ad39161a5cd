"""The write pages: admins create, edit, promote, retire, roll back and delete; every other
role gets 403 on every one of them; bad input is a form error, 400 or 404, never a 500."""

import pytest

from console import versions
from console.audit_log import AuditLog
from deployments.models import Package, Status

pytestmark = pytest.mark.django_db

FORM = {
    "name": "api",
    "package_type": "agent",
    "version": "1.0.0",
    "configuration": '{"replicas": 2}',
    "deployment_data": '{"environment": "production"}',
}


def write_pages(package, target):
    """(method, url, data) of every write page."""
    pk = package.pk
    return [
        ("get", "/deployments/new/", None),
        ("post", "/deployments/new/", FORM),
        ("get", f"/deployments/{pk}/edit/", None),
        ("post", f"/deployments/{pk}/edit/", FORM),
        ("get", f"/deployments/{pk}/delete/", None),
        ("post", f"/deployments/{pk}/delete/", {}),
        ("post", f"/deployments/{pk}/promote/", {}),
        ("post", f"/deployments/{pk}/retire/", {}),
        ("get", f"/deployments/{pk}/rollback/", None),
        ("post", f"/deployments/{pk}/rollback/", {"target": str(target.pk), "reason": "x"}),
        ("get", "/deployments/cleanup/", None),
        ("post", "/deployments/cleanup/", {"days": "1", "keep": "0"}),
    ]


@pytest.mark.parametrize("role", ["editor", "auditor", "viewer"])
def test_other_roles_get_403_on_every_write_page(client_as, ops, role):
    client = client_as(role)
    target = ops.deploy("0.9.0")
    ops.deploy("0.9.1")
    target.refresh_from_db()
    draft = ops.create("1.0.0-rc.1")
    before = sorted(Package.objects.values_list("version", "status"))
    for method, url, data in write_pages(draft, target):
        response = getattr(client, method)(url, data) if data is not None else client.get(url)
        assert response.status_code == 403, (method, url)
    assert sorted(Package.objects.values_list("version", "status")) == before


def test_create_makes_a_draft_and_a_bad_version_is_a_form_error(client_as, admin):
    client = client_as("admin")
    response = client.post("/deployments/new/", {**FORM, "version": "1.2"})
    assert response.status_code == 400
    assert "“1.2” is not a semantic version" in response.content.decode()
    response = client.post("/deployments/new/", {**FORM, "configuration": "[1"})
    assert response.status_code == 400
    response = client.post("/deployments/new/", FORM)
    assert response.status_code == 302
    package = Package.objects.get(name="api", version="1.0.0")
    assert package.status == Status.DRAFT
    assert str(package.created_by) == client.user.id
    assert package.environment == "production"
    response = client.post("/deployments/new/", FORM)  # the same name and version again
    assert response.status_code == 400
    assert "api 1.0.0 already exists." in response.content.decode()


def test_the_acceptance_flow_through_the_pages(client_as):
    client = client_as("admin")
    client.post("/deployments/new/", FORM)
    first = Package.objects.get(version="1.0.0")
    assert client.post(f"/deployments/{first.pk}/promote/").status_code == 302
    assert client.post(f"/deployments/{first.pk}/promote/", {"reason": "QA ok"}).status_code == 302
    first.refresh_from_db()
    assert first.status == Status.DEPLOYED and first.deployed_at
    client.post("/deployments/new/", {**FORM, "version": "1.1.0", "configuration": '{"r": 3}'})
    second = Package.objects.get(version="1.1.0")
    client.post(f"/deployments/{second.pk}/promote/")
    client.post(f"/deployments/{second.pk}/promote/")
    first.refresh_from_db()
    assert first.status == Status.RETIRED
    # Roll back: the page lists 1.0.0, warns and shows the difference first.
    page = client.get(f"/deployments/{second.pk}/rollback/").content.decode()
    assert "1.0.0" in page
    page = client.get(f"/deployments/{second.pk}/rollback/", {"target": first.pk})
    html = page.content.decode()
    assert "configuration differs" in html and "configuration.r" in html
    # A reason is required.
    response = client.post(f"/deployments/{second.pk}/rollback/", {"target": first.pk})
    assert response.status_code == 400
    response = client.post(
        f"/deployments/{second.pk}/rollback/", {"target": first.pk, "reason": "1.1.0 is slow"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.DEPLOYED, Status.RETIRED)
    rows = AuditLog.objects.filter(record_id__in=[str(first.pk), str(second.pk)])
    assert rows.filter(new_values__status_reason="rollback: 1.1.0 is slow").count() == 1
    assert rows.filter(user_id=client.user.id).count() == 9  # 2 creates, 7 status changes


def test_a_rollback_target_must_be_a_version_deployed_before(client_as, ops):
    client = client_as("admin")
    current = ops.deploy("1.0.0")
    draft = ops.create("1.1.0")
    url = f"/deployments/{current.pk}/rollback/"
    assert client.get(url, {"target": "not-a-uuid"}).status_code == 400
    assert client.get(url, {"target": str(draft.pk)}).status_code == 400
    assert client.post(url, {"target": str(draft.pk), "reason": "x"}).status_code == 400
    assert Package.objects.get(pk=draft.pk).status == Status.DRAFT


def test_edit_only_drafts_and_staging_with_the_version_check(client_as, ops):
    client = client_as("admin")
    draft = ops.create("1.0.0")
    opened = versions.version_of(draft)
    form = {**FORM, "version": "1.0.1", "form_version": opened}
    assert (
        client.post(f"/deployments/{draft.pk}/edit/", {**form, "version": "bad"}).status_code == 400
    )
    assert client.post(f"/deployments/{draft.pk}/edit/", form).status_code == 302
    draft.refresh_from_db()
    assert draft.version == "1.0.1"
    # Saved since the form was opened (the trigger moved updated_at): theirs and mine, 409.
    response = client.post(f"/deployments/{draft.pk}/edit/", {**form, "version": "1.0.2"})
    assert response.status_code == 409
    staging = ops.promote(ops.create("1.5.0"))
    assert client.get(f"/deployments/{staging.pk}/edit/").status_code == 200
    live = ops.deploy("2.0.0")
    form = {**FORM, "version": "2.0.1", "form_version": versions.version_of(live)}
    assert client.get(f"/deployments/{live.pk}/edit/").status_code == 404
    assert client.post(f"/deployments/{live.pk}/edit/", form).status_code == 404
    live.refresh_from_db()
    assert live.version == "2.0.0"


def test_promote_retire_and_delete_refuse_what_the_lifecycle_does_not_allow(client_as, ops):
    client = client_as("admin")
    live = ops.deploy("1.0.0")
    assert client.get(f"/deployments/{live.pk}/promote/").status_code == 405
    client.post(f"/deployments/{live.pk}/promote/")  # no next step: a message, no change
    assert Package.objects.get(pk=live.pk).status == Status.DEPLOYED
    assert client.post(f"/deployments/{live.pk}/delete/").status_code == 404  # drafts only
    client.post(f"/deployments/{live.pk}/retire/", {"reason": "end of life"})
    assert Package.objects.get(pk=live.pk).status_reason == "end of life"
    draft = ops.create("2.0.0")
    assert client.post(f"/deployments/{draft.pk}/retire/").status_code == 302
    assert Package.objects.get(pk=draft.pk).status == Status.DRAFT
    assert client.post(f"/deployments/{draft.pk}/delete/").status_code == 302
    assert not Package.objects.filter(pk=draft.pk).exists()
    assert client.get("/deployments/00000000-0000-0000-0000-000000000000/edit/").status_code == 404
