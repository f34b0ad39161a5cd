"""The shared pieces every app uses: diff, Markdown, JSON input, export, bulk, history."""

import csv
import io
import json

import pytest
from django import forms
from django.db import transaction
from django.test import RequestFactory

from agents.models import Agent
from console import audited
from console.audit_log import AuditLog
from console.auth.session import ConsoleUser
from console.diff import changes_html, diff_values
from console.export import CHUNK, Column, export_response
from console.forms import JSONObjectField
from console.history import HistoryRefused, record_history
from console.markdown import render_markdown
from console.rls import as_user
from console.roles import Role
from tests.confirming import confirmed_post
from tests.console_connection import console_connection
from tests.factories import db_user


def test_diff_walks_nested_objects_and_marks_what_changed():
    old = {"name": "A", "config": {"model": "x", "limits": {"rpm": 10}}, "gone": 1}
    new = {"name": "A", "config": {"model": "y", "limits": {"rpm": 10}}, "added": [1, 2]}
    rows = {r.path: r.status for r in diff_values(old, new)}
    assert rows == {
        "name": "same",
        "config.model": "changed",
        "config.limits.rpm": "same",
        "gone": "removed",
        "added": "added",
    }
    assert [(r.path, r.status) for r in diff_values(None, {"a": 1})] == [("a", "added")]


# What the changes table was as a template; changes_html writes the same, faster.
CHANGES_TEMPLATE = """<table class="table table-compact diff"><thead><tr><th scope="col">Field</th>\
<th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>\
{% for change in changes %}<tr class="diff-{{ change.status }}">\
<th scope="row" class="mono">{{ change.path }}</th>\
<td>{% if change.has_old %}<del>{{ change.old_text|truncatechars:300 }}</del>\
{% else %}<span class="muted">—</span>{% endif %}</td>\
<td>{% if change.has_new %}<ins>{{ change.new_text|truncatechars:300 }}</ins>\
{% else %}<span class="muted">—</span>{% endif %}</td></tr>{% endfor %}</tbody></table>"""


def test_the_changes_table_escapes_cuts_long_values_and_marks_missing_sides():
    from django.template import Context, Template

    old = {"name": "<b>A</b>", "note": "x" * 400, "gone": {"deep": "'q'"}, "same": 1}
    new = {"name": 'A & "B"', "note": "y" * 299 + "é", "added": [1, "<i>"], "same": 1}
    changes = diff_values(old, new)
    html = str(changes_html(changes))
    assert html == Template(CHANGES_TEMPLATE).render(Context({"changes": changes}))
    assert "<b>" not in html and "&lt;b&gt;A&lt;/b&gt;" in html
    assert "x" * 299 + "…</del>" in html and "y" * 299 + "é</ins>" in html
    assert '<tr class="diff-added"><th scope="row" class="mono">added</th>' in html
    assert html.count('<span class="muted">—</span>') == 2  # "added" before, "gone" after


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        '<a href="#" onclick="steal()">x</a>',
        "![x](javascript:alert(1))",
    ],
)
def test_markdown_never_lets_scripts_through(payload):
    html = str(render_markdown(payload))
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert 'href="javascript' not in html and 'src="javascript' not in html


def test_markdown_renders_the_usual_things():
    html = str(render_markdown("# Title\n\n**bold** and [link](https://example.com)\n\n- a\n- b"))
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_json_object_field_says_where_the_json_is_wrong():
    class F(forms.Form):
        metadata = JSONObjectField()

    assert F({"metadata": '{"a": {"b": 1}}'}).is_valid()
    bad = F({"metadata": '{\n  "a": 1,\n  "b": \n}'})
    assert not bad.is_valid() and "Line 4, column 1" in bad.errors["metadata"][0]
    not_object = F({"metadata": "[1, 2]"})
    assert not not_object.is_valid() and "JSON object" in not_object.errors["metadata"][0]
    assert F({"metadata": ""}).is_valid()


@pytest.mark.django_db
def test_export_streams_every_row_once_as_the_user_and_is_audited():
    admin = db_user("admin")
    Agent.objects.bulk_create([Agent(name=f"=cmd {n}", type="t") for n in range(CHUNK + 5)])
    request = RequestFactory().get("/agents/export/", REMOTE_ADDR="192.0.2.1")
    request.console_user = ConsoleUser(admin.id, admin.email, None, Role.ADMIN, admin.claims)
    with as_user(admin.claims):
        response = export_response(
            request,
            Agent.objects.all(),
            fmt="csv",
            columns=[Column("id", lambda a: a.id), Column("name", lambda a: a.name)],
            filename="agents",
            table_name="ai_agents",
            filters={"status": "any"},
        )
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == len({r["id"] for r in rows}) == Agent.objects.count()
    assert rows[0]["name"].startswith("'=cmd")  # no formula injection
    row = AuditLog.objects.get(user_id=admin.id, action="EXPORT")
    assert row.new_values == {"format": "csv", "filters": {"status": "any"}}


@pytest.mark.django_db
def test_jsonl_export_has_one_object_per_line():
    admin = db_user("admin")
    Agent.objects.create(name="One", type="t", configuration={"k": [1]})
    request = RequestFactory().get("/")
    request.console_user = ConsoleUser(admin.id, admin.email, None, Role.ADMIN, admin.claims)
    with as_user(admin.claims):
        response = export_response(
            request,
            Agent.objects.filter(name="One"),
            fmt="jsonl",
            columns=[
                Column("name", lambda a: a.name),
                Column("configuration", lambda a: a.configuration),
            ],
            filename="agents",
            table_name="ai_agents",
            filters={},
        )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"name": "One", "configuration": {"k": [1]}}]


@pytest.mark.django_db(transaction=True)
def test_bulk_action_confirms_then_changes_all_in_one_go_with_an_audit_row_each(signed_in):
    client = signed_in("admin")
    agents = [Agent.objects.create(name=f"B{n}", type="t", status="active") for n in range(3)]
    pks = [str(a.pk) for a in agents[:2]]
    confirm = client.post(
        "/agents/bulk/", {"action": "pause", "pk": pks, "filters": "status=active"}
    )
    assert confirm.status_code == 200 and b"B0" in confirm.content
    assert Agent.objects.filter(status="paused").count() == 0  # nothing yet
    token = confirm.context["confirmation"]
    done = client.post(
        "/agents/bulk/",
        {
            "action": "pause",
            "pk": pks,
            "filters": "status=active",
            "confirm": "yes",
            "confirmation": token,
        },
    )
    assert done.status_code == 302 and done["Location"] == "/agents/?status=active"
    assert set(Agent.objects.filter(status="paused").values_list("name", flat=True)) == {"B0", "B1"}
    assert AuditLog.objects.filter(action="UPDATE", record_id__in=pks).count() == 2


@pytest.mark.django_db(transaction=True)
def test_bulk_all_matching_recomputes_the_filter_on_the_server(signed_in):
    client = signed_in("admin")
    for n in range(4):
        Agent.objects.create(name=f"M{n}", type="t", status="active" if n < 3 else "error")
    confirmed_post(
        client,
        "/agents/bulk/",
        {
            "action": "pause",
            "_all": "1",
            "filters": "status=active",
            "pk": [str(Agent.objects.get(name="M3").pk)],
        },
    )
    assert set(Agent.objects.filter(status="paused").values_list("name", flat=True)) == {
        "M0",
        "M1",
        "M2",
    }


@pytest.mark.django_db(transaction=True)
def test_bulk_refuses_bad_input_and_non_admins(signed_in):
    admin = signed_in("admin")
    Agent.objects.create(name="Z", type="t", status="active")
    assert admin.post("/agents/bulk/", {"action": "explode", "pk": []}).status_code == 400
    bad = admin.post("/agents/bulk/", {"action": "pause", "pk": ["not-a-uuid"], "confirm": "yes"})
    assert bad.status_code == 302 and Agent.objects.get(name="Z").status == "active"
    assert admin.get("/agents/bulk/").status_code == 405
    viewer = signed_in("viewer")
    assert (
        viewer.post("/agents/bulk/", {"action": "pause", "_all": "1", "confirm": "yes"}).status_code
        == 403
    )
    assert Agent.objects.get(name="Z").status == "active"


@pytest.mark.django_db(transaction=True)
def test_bulk_rolls_back_everything_when_one_row_fails(signed_in):
    from django.db import connection

    client = signed_in("admin")
    agents = [Agent.objects.create(name=f"R{n}", type="t", status="active") for n in range(2)]
    with connection.cursor() as cursor:  # a real fault on the second row: a check fails
        cursor.execute(
            "alter table public.ai_agents add constraint no_r1_pause"
            " check (not (name = 'R1' and status = 'paused'))"
        )
    try:
        done = confirmed_post(
            client, "/agents/bulk/", {"action": "pause", "pk": [str(a.pk) for a in agents]}
        )
        assert done.status_code == 302
        assert Agent.objects.filter(status="paused").count() == 0
        assert not AuditLog.objects.filter(
            record_id__in=[str(a.pk) for a in agents], action="UPDATE"
        ).exists()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("alter table public.ai_agents drop constraint no_r1_pause")


@pytest.mark.django_db(transaction=True)
def test_record_history_pages_newest_first_with_diffs_and_respects_roles():
    admin, editor, viewer = db_user("admin"), db_user("editor"), db_user("viewer")
    agent = Agent.objects.create(name="H", type="t", status="active")
    actor = audited.Actor(admin.id, "192.0.2.5", "ua")
    # Written as the console writes (its own connection: the IP is believed only there).
    with console_connection(), as_user(admin.claims):
        for status in ("paused", "error", "active"):
            audited.update(actor, agent, status=status)
    with as_user(admin.claims):
        first = record_history("ai_agents", agent.pk, per_page=2)
        assert [e.changes[0].new for e in first.entries if e.changes[0].path == "status"] == [
            "active",
            "error",
        ]
        assert (
            first.entries[0].actor_email == admin.email
            and first.entries[0].ip_address == "192.0.2.5"
        )
        rest = record_history("ai_agents", agent.pk, before=first.older_cursor, per_page=2)
        assert [e.changes[0].new for e in rest.entries if e.changes[0].path == "status"] == [
            "paused"
        ]
        assert rest.older_cursor is None
    for user in (editor, viewer):
        with as_user(user.claims), pytest.raises(HistoryRefused), transaction.atomic():
            record_history("ai_agents", agent.pk)
