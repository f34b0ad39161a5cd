"""The generic object views (console/objects.py) and the one version check (console/versions.py),
driven through a small area declared in tests/object_views_urls.py over the agents' table:
create, edit (only what changed, conflicts), delete (confirmation, references), history; every
write audited, refusals by role."""

from datetime import UTC, datetime

import pytest
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import RequestFactory

from agents.models import Agent
from console import audited, versions
from console.audit_log import AuditLog
from console.objects import ObjectEditView
from console.rls import as_user
from deployments.models import Package

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.object_views_urls")]
# The middleware (session, user state and role), then the form's row (GET); a save adds the
# lock, a savepoint, the locked re-read, the write, its re-read and the audit context.
QUERIES_GET, QUERIES_POST = 6, 11


def audit_rows(agent_or_id, action=None):
    record_id = str(getattr(agent_or_id, "pk", agent_or_id))
    rows = AuditLog.objects.filter(table_name="ai_agents", record_id=record_id)
    rows = rows.exclude(user_id=None)  # not the fixtures' own writes (audited as "system")
    return list(rows.filter(action=action) if action else rows)


@pytest.fixture
def agent(db):
    return Agent.objects.create(name="Scout", type="crawler", is_active=True)


# ---------- Create ----------


def test_create_writes_the_row_and_its_audit_row_then_shows_the_item(client_as):
    admin = client_as("admin")
    page = admin.get("/objtest/new/")
    assert page.status_code == 200 and "New agent" in page.content.decode()
    response = admin.post(
        "/objtest/new/", {"name": "Scout", "type": "crawler", "configuration": '{"depth": 2}'}
    )
    agent = Agent.objects.get(name="Scout")
    assert response.status_code == 302 and response["Location"] == f"/agents/{agent.pk}/"
    assert agent.configuration == {"depth": 2} and agent.is_active is False
    (row,) = audit_rows(agent, "CREATE")
    assert str(row.user_id) == admin.user.id and row.new_values["name"] == "Scout"


def test_bad_input_is_a_form_error_and_writes_nothing(client_as):
    response = client_as("admin").post("/objtest/new/", {"name": "", "configuration": "[1]"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html and "JSON object" in html
    assert not Agent.objects.exists()


@pytest.mark.parametrize("role", ["editor", "auditor", "viewer"])
def test_roles_without_write_access_are_refused_everywhere(client_as, agent, role):
    client = client_as(role)
    for method, url in [
        ("get", "/objtest/new/"),
        ("post", "/objtest/new/"),
        ("get", f"/objtest/{agent.pk}/edit/"),
        ("post", f"/objtest/{agent.pk}/edit/"),
        ("get", f"/objtest/{agent.pk}/delete/"),
        ("post", f"/objtest/{agent.pk}/delete/"),
    ]:
        assert getattr(client, method)(url, {"confirm": "Scout"}).status_code == 403, url
    assert Agent.objects.filter(pk=agent.pk).exists() and audit_rows(agent) == []


def test_signed_out_visitors_are_sent_to_sign_in(client, agent):
    for url in ("/objtest/new/", f"/objtest/{agent.pk}/edit/", f"/objtest/{agent.pk}/history/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# ---------- Edit ----------


def edit_data(agent, **values):
    data = {"name": agent.name, "type": agent.type, "is_active": "on", "configuration": ""}
    return {**data, **values}


def test_an_edit_writes_only_what_changed(client_as, agent):
    admin = client_as("admin")
    form = admin.get(f"/objtest/{agent.pk}/edit/")
    version = form.context["form"]["version"].value()
    assert version == agent.updated_at.isoformat(timespec="microseconds")
    assert f'value="{version}"' in form.content.decode()  # carried in a hidden field
    response = admin.post(
        f"/objtest/{agent.pk}/edit/", edit_data(agent, name="Scout II", version=version)
    )
    assert response.status_code == 302 and response["Location"] == f"/agents/{agent.pk}/"
    (row,) = audit_rows(agent, "UPDATE")
    assert set(row.old_values) - {"updated_at"} == {"name"}
    assert row.new_values["name"] == "Scout II"


def test_sending_an_unchanged_form_writes_nothing(client_as, agent):
    admin = client_as("admin")
    version = admin.get(f"/objtest/{agent.pk}/edit/").context["form"]["version"].value()
    response = admin.post(f"/objtest/{agent.pk}/edit/", edit_data(agent, version=version))
    assert response.status_code == 302 and audit_rows(agent) == []


def test_a_newer_save_shows_theirs_and_mine_and_saves_nothing_until_chosen(client_as, agent):
    mine, theirs = client_as("admin"), client_as("admin")
    version = mine.get(f"/objtest/{agent.pk}/edit/").context["form"]["version"].value()
    their_version = theirs.get(f"/objtest/{agent.pk}/edit/").context["form"]["version"].value()
    theirs.post(
        f"/objtest/{agent.pk}/edit/", edit_data(agent, type="indexer", version=their_version)
    )
    response = mine.post(
        f"/objtest/{agent.pk}/edit/", edit_data(agent, name="Mine", version=version)
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this agent" in html
    for choice in ("Overwrite with mine", "Keep theirs", "Edit again"):
        assert choice in html
    assert 'form="object-form"' in html and f'href="/agents/{agent.pk}/"' in html
    rows = {row.path: row for row in response.context["conflict"]["rows"]}
    assert (rows["type"].old, rows["type"].new) == ("indexer", "crawler")
    assert (rows["name"].old, rows["name"].new) == ("Scout", "Mine")
    (since,) = response.context["conflict"]["since"]
    assert theirs.user.email in html and any(c.path == "type" for c in since.changes)
    agent.refresh_from_db()
    assert (agent.name, agent.type) == ("Scout", "indexer")  # nothing of mine saved
    assert len(audit_rows(agent, "UPDATE")) == 1

    # Overwrite with mine: the conflict page's form carries their version now.
    again = response.context["form"]["version"].value()
    assert versions.is_current(agent, again)
    response = mine.post(
        f"/objtest/{agent.pk}/edit/", edit_data(agent, name="Mine", type="crawler", version=again)
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.name, agent.type) == ("Mine", "crawler")


@pytest.mark.parametrize("version", ["", "not-a-date", "2020-01-01T00:00:00+00:00"])
def test_a_missing_or_foreign_version_is_a_conflict(client_as, agent, version):
    response = client_as("admin").post(
        f"/objtest/{agent.pk}/edit/", edit_data(agent, name="Changed", version=version)
    )
    assert response.status_code == 409
    agent.refresh_from_db()
    assert agent.name == "Scout"


def test_a_refused_write_is_a_form_error_and_nothing_is_saved(client_as, agent):
    """The audit row cannot be written: console.audited rolls the write back and says so."""
    admin = client_as("admin")
    version = admin.get(f"/objtest/{agent.pk}/edit/").context["form"]["version"].value()
    signature = "(uuid, text, text, text, jsonb, jsonb, inet, text)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"alter function public.system_insert_audit_log{signature}"
            " rename to system_insert_audit_log_off"
        )
    try:
        response = admin.post(
            f"/objtest/{agent.pk}/edit/", edit_data(agent, name="Changed", version=version)
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f"alter function public.system_insert_audit_log_off{signature}"
                " rename to system_insert_audit_log"
            )
    assert response.status_code == 400
    assert "the audit log did not accept the change" in response.content.decode()
    agent.refresh_from_db()
    assert agent.name == "Scout"


def test_a_model_with_a_version_column_must_name_the_field_otherwise():
    class PackageEdit(ObjectEditView):
        area = "deployments"
        model = Package  # has a column named "version"
        form_class = forms.Form

    view = PackageEdit()
    view.request = RequestFactory().get("/")
    with pytest.raises(ImproperlyConfigured, match="version_name"):
        view.get_form()
    PackageEdit.version_name = "row_version"
    assert "row_version" in view.get_form().fields


# ---------- Delete ----------


def test_delete_asks_first_shows_references_and_needs_the_name_typed(client_as, agent):
    admin = client_as("admin")
    page = admin.get(f"/objtest/{agent.pk}/delete/")
    html = page.content.decode()
    assert page.status_code == 200 and "Delete “Scout”?" in html
    assert "Crew “Night shift” runs it" in html and "Type “Scout” to confirm" in html
    wrong = admin.post(f"/objtest/{agent.pk}/delete/", {"confirm": "scout"})
    assert wrong.status_code == 400 and Agent.objects.filter(pk=agent.pk).exists()
    response = admin.post(f"/objtest/{agent.pk}/delete/", {"confirm": " Scout "})
    assert response.status_code == 302 and response["Location"] == "/agents/"
    assert not Agent.objects.filter(pk=agent.pk).exists()
    (row,) = audit_rows(agent, "DELETE")
    assert row.old_values["name"] == "Scout" and row.new_values is None


def test_deleting_a_row_that_is_gone_is_a_404(client_as, agent):
    admin = client_as("admin")
    Agent.objects.filter(pk=agent.pk).delete()
    assert admin.post(f"/objtest/{agent.pk}/delete/", {"confirm": "Scout"}).status_code == 404


# ---------- History ----------


def test_the_history_tab_shows_the_audit_rows(client_as, agent):
    admin = client_as("admin")
    actor = audited.Actor(admin.user.id, None, "pytest")
    with as_user(admin.user.claims):
        audited.update(actor, agent, name="Renamed")
    page = admin.get(f"/objtest/{agent.pk}/history/")
    html = page.content.decode()
    assert page.status_code == 200 and 'aria-label="History"' in html
    assert "Renamed" in html and admin.user.email in html
    assert f'href="/objtest/{agent.pk}/history/" aria-current="page"' in html  # the tab
    assert admin.get(f"/objtest/{agent.pk}/history/", {"before": "nonsense"}).status_code == 400


def test_versions_compare_moments_not_spellings():
    moment = datetime(2026, 11, 27, 8, 0, 0, 0, tzinfo=UTC)
    row = Agent(updated_at=moment)
    assert versions.version_of(row) == "2026-11-27T08:00:00.000000+00:00"
    assert versions.is_current(row, "2026-11-27T09:00:00+01:00")
    assert not versions.is_current(row, "2026-11-27T08:00:00.000001+00:00")
    assert not versions.is_current(row, None) and not versions.is_current(Agent(), "")


def test_object_urls_names_the_routes_and_leaves_out_what_is_declined():
    from console.objects import object_urls
    from tests.object_views_urls import AgentObject

    patterns = object_urls("agent", AgentObject, prefix="agents/", delete=False)
    assert [(str(p.pattern), p.name) for p in patterns] == [
        ("agents/new/", "agent_create"),
        ("agents/<uuid:pk>/edit/", "agent_edit"),
        ("agents/<uuid:pk>/history/", "agent_history"),
    ]


def test_the_edit_page_and_a_save_cost_a_bounded_number_of_queries(
    client_as,
    agent,
    django_assert_max_num_queries,
):
    admin = client_as("admin")
    with django_assert_max_num_queries(QUERIES_GET):
        form = admin.get(f"/objtest/{agent.pk}/edit/")
    version = form.context["form"]["version"].value()
    with django_assert_max_num_queries(QUERIES_POST):
        response = admin.post(
            f"/objtest/{agent.pk}/edit/", edit_data(agent, name="Counted", version=version)
        )
    assert response.status_code == 302
