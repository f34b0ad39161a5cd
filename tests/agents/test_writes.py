"""Admins write agents and crew runs; each write has its audit row with old and new values.
Bad input (invalid JSON, an unknown status, an illegal transition) is a form error and saves
nothing; other roles get 403 on every write page (and RLS refuses them: test_database.py)."""

import json

import pytest

from agents.models import Agent, Crew
from tests.agents.helpers import audit_rows
from tests.confirming import confirmed_post

pytestmark = pytest.mark.django_db


def agent_data(**values):
    data = {
        "name": "Risk Assessor",
        "type": "analyzer",
        "status": "active",
        "is_active": "on",
        "configuration": '{"model": "gpt-large", "limits": {"daily": 100}}',
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def _version(agent_or_run):
    return agent_or_run.updated_at.isoformat(timespec="microseconds")


# ---------- Agents ----------


def test_an_admin_creates_an_agent_with_a_json_configuration(client_as, make_agent):
    make_agent("Other", type="Analyzer")
    admin = client_as("admin")
    page = admin.get("/agents/new/")
    assert page.status_code == 200 and 'list="agent-types"' in page.content.decode()
    assert '<option value="Analyzer">' in page.content.decode()
    response = admin.post("/agents/new/", agent_data())
    agent = Agent.objects.get(name="Risk Assessor")
    assert response.status_code == 302 and response["Location"] == f"/agents/{agent.pk}/"
    assert agent.type == "Analyzer"  # the existing spelling of the type
    assert agent.configuration == {"model": "gpt-large", "limits": {"daily": 100}}
    (row,) = audit_rows("ai_agents", agent, "CREATE")
    assert str(row.user_id) == admin.user.id
    assert row.new_values["configuration"] == agent.configuration


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"configuration": '{"model": "x",\n "oops"}'}, "Line 2, column 8"),
        ({"configuration": "[1, 2]"}, "Use a JSON object"),
        ({"status": "sleeping"}, "Select a valid choice"),
        ({"name": "   "}, "This field is required"),
    ],
)
def test_bad_agent_input_is_a_form_error_and_saves_nothing(client_as, values, message):
    response = client_as("admin").post("/agents/new/", agent_data(**values))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Agent.objects.exists()


def test_an_admin_edits_an_agent_and_the_audit_row_has_old_and_new(client_as, make_agent):
    agent = make_agent("Risk Assessor", configuration={"model": "a"})
    admin = client_as("admin")
    assert admin.get(f"/agents/{agent.pk}/edit/").status_code == 200
    response = admin.post(
        f"/agents/{agent.pk}/edit/",
        agent_data(status="error", configuration='{"model": "b"}', version=_version(agent)),
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.status, agent.configuration) == ("error", {"model": "b"})
    (row,) = audit_rows("ai_agents", agent, "UPDATE")
    assert row.old_values["status"] == "active" and row.new_values["status"] == "error"
    assert row.old_values["configuration"] == {"model": "a"}
    assert row.new_values["configuration"] == {"model": "b"}


def test_an_edit_over_a_newer_save_shows_both_and_saves_nothing(client_as, make_agent):
    agent = make_agent("Risk Assessor")
    stale = _version(agent)
    Agent.objects.filter(pk=agent.pk).update(name="Renamed by someone")
    response = client_as("admin").post(
        f"/agents/{agent.pk}/edit/", agent_data(status="paused", version=stale)
    )
    assert response.status_code == 409
    assert "Renamed by someone" in response.content.decode()
    agent.refresh_from_db()
    assert (agent.name, agent.status) == ("Renamed by someone", "active")


def test_deleting_an_agent_names_the_crews_that_mention_it(client_as, make_agent, make_run):
    agent = make_agent("Risk Assessor")
    make_run("Nightly Research", configuration={"agents": [str(agent.pk)]})
    make_run("Model Evaluation", configuration={"agents": ["Risk Assessor"]})
    make_run("Unrelated", configuration={"agents": []})
    admin = client_as("admin")
    page = admin.get(f"/agents/{agent.pk}/delete/").content.decode()
    assert "Nightly Research" in page and "Model Evaluation" in page
    assert "Unrelated" not in page
    assert admin.post(f"/agents/{agent.pk}/delete/").status_code == 302
    assert not Agent.objects.filter(pk=agent.pk).exists()
    (row,) = audit_rows("ai_agents", agent, "DELETE")
    assert row.old_values["name"] == "Risk Assessor" and row.new_values is None


def test_bulk_set_status_writes_only_changed_agents(client_as, make_agent):
    a = make_agent("A", status="active")
    b = make_agent("B", status="error")
    admin = client_as("admin")
    response = confirmed_post(
        admin,
        "/agents/bulk/",
        {"action": "set_status", "pk": [str(a.pk), str(b.pk)], "status": "error"},
    )
    assert response.status_code == 302
    assert set(Agent.objects.values_list("status", flat=True)) == {"error"}
    assert len(audit_rows("ai_agents", a, "UPDATE")) == 1
    assert audit_rows("ai_agents", b, "UPDATE") == []
    bad = admin.post(
        "/agents/bulk/",
        {"action": "set_status", "pk": [str(a.pk)], "confirm": "yes", "status": "x"},
    )
    assert bad.status_code == 400


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_export_streams_the_filtered_agents_and_is_audited(client_as, make_agent, fmt):
    make_agent("Alpha", status="active")
    make_agent("Beta", status="paused")
    viewer = client_as("viewer")
    response = viewer.get("/agents/export/", {"format": fmt, "status": "paused"})
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and "Beta" in body and "Alpha" not in body
    if fmt == "jsonl":
        assert json.loads(body.splitlines()[0])["status"] == "paused"
    (export,) = audit_rows("ai_agents", action="EXPORT", user_id=viewer.user.id)
    assert export.table_name == "ai_agents"
    assert export.new_values["filters"] == {"status": "paused"}
    assert viewer.get("/agents/export/", {"format": "xml"}).status_code == 400


# ---------- Crew runs ----------


def test_run_now_records_a_pending_run_with_the_latest_configuration(client_as, make_run):
    make_run("Nightly Research", ago={"days": 2}, configuration={"agents": ["old"]})
    make_run("Nightly Research", configuration={"agents": ["new"], "schedule": "daily"})
    admin = client_as("admin")
    response = admin.post("/crews/run-now/Nightly Research/")
    run = Crew.objects.filter(crew_name="Nightly Research").order_by("-created_at").first()
    assert response.status_code == 302 and response["Location"] == f"/crews/{run.pk}/"
    assert run.status == "pending"
    assert run.configuration == {"agents": ["new"], "schedule": "daily"}
    (row,) = audit_rows("crew_nuclear_system", run, "CREATE")
    assert row.new_values["status"] == "pending"
    assert admin.post("/crews/run-now/Nobody/").status_code == 404
    assert admin.get("/crews/run-now/Nightly Research/").status_code == 405


def test_a_run_goes_pending_running_complete_through_the_form(client_as, make_run):
    run = make_run(status="pending", configuration={"agents": []})
    admin = client_as("admin")
    url = f"/crews/{run.pk}/edit/"
    page = admin.get(url).content.decode()
    assert "Next: running" in page
    for status in ("running", "complete"):
        run.refresh_from_db()
        response = admin.post(
            url,
            {"status": status, "configuration": '{"agents": ["a"]}', "version": _version(run)},
        )
        assert response.status_code == 302, response.content.decode()
    run.refresh_from_db()
    assert run.status == "complete" and run.last_execution is not None
    updates = audit_rows("crew_nuclear_system", run, "UPDATE")
    assert [(r.old_values["status"], r.new_values["status"]) for r in updates] == [
        ("pending", "running"),
        ("running", "complete"),
    ]
    assert updates[0].old_values["configuration"] == {"agents": []}
    assert updates[0].new_values["configuration"] == {"agents": ["a"]}


@pytest.mark.parametrize(
    ("current", "wanted", "message"),
    [
        ("pending", "complete", "A run cannot go from pending to complete"),
        ("complete", "running", "A run cannot go from complete to running"),
        ("failed", "pending", "A run cannot go from failed to pending"),
        ("running", "exploded", "Select a valid choice"),
    ],
)
def test_an_illegal_transition_is_a_form_error_and_saves_nothing(
    client_as, make_run, current, wanted, message
):
    run = make_run(status=current, configuration={"agents": []})
    response = client_as("admin").post(
        f"/crews/{run.pk}/edit/",
        {"status": wanted, "configuration": '{"agents": ["x"]}', "version": _version(run)},
    )
    assert response.status_code == 400 and message in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.configuration) == (current, {"agents": []})
    assert audit_rows("crew_nuclear_system", run, "UPDATE") == []


def test_invalid_run_json_is_a_form_error(client_as, make_run):
    run = make_run(status="pending")
    response = client_as("admin").post(
        f"/crews/{run.pk}/edit/",
        {"status": "running", "configuration": "{\n  agents: []\n}", "version": _version(run)},
    )
    assert response.status_code == 400 and "Line 2, column 3" in response.content.decode()
    run.refresh_from_db()
    assert run.status == "pending"


def test_an_admin_deletes_a_run(client_as, make_run):
    run = make_run()
    admin = client_as("admin")
    assert admin.get(f"/crews/{run.pk}/delete/").status_code == 200
    response = admin.post(f"/crews/{run.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/crews/"
    assert not Crew.objects.filter(pk=run.pk).exists()
    assert audit_rows("crew_nuclear_system", run, "DELETE")


# ---------- Everyone else: 403 ----------


@pytest.mark.parametrize("role", ["editor", "auditor", "viewer"])
def test_every_write_page_is_403_for_other_roles(client_as, make_agent, make_run, role):
    agent = make_agent()
    run = make_run(status="pending")
    client = client_as(role)
    pages = [
        "/agents/new/",
        f"/agents/{agent.pk}/edit/",
        f"/agents/{agent.pk}/delete/",
        f"/crews/{run.pk}/edit/",
        f"/crews/{run.pk}/delete/",
    ]
    for url in pages:
        assert client.get(url).status_code == 403, url
    posts = {
        "/agents/new/": agent_data(name="Sneaky"),
        f"/agents/{agent.pk}/edit/": agent_data(name="Sneaky", version=_version(agent)),
        f"/agents/{agent.pk}/delete/": {},
        "/agents/bulk/": {"action": "pause", "pk": [str(agent.pk)], "confirm": "yes"},
        f"/crews/{run.pk}/edit/": {"status": "running", "configuration": "{}"},
        f"/crews/{run.pk}/delete/": {},
        "/crews/run-now/Nightly Research/": {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    agent.refresh_from_db()
    run.refresh_from_db()
    assert (agent.name, agent.status, run.status) == ("Market Analyzer", "active", "pending")
    assert Crew.objects.count() == 1 and Agent.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("auditor", 200), ("editor", 403), ("viewer", 403)]
)
def test_history_pages_are_for_admins_and_auditors(client_as, make_agent, make_run, role, status):
    agent, run = make_agent(), make_run()
    client = client_as(role)
    assert client.get(f"/agents/{agent.pk}/history/").status_code == status
    assert client.get(f"/crews/{run.pk}/history/").status_code == status
