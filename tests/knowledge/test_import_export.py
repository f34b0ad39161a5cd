"""Export of the filtered list (CSV, JSON Lines; streamed, audited) and import (a dry run with
per-row errors, then all or nothing, one audit row per created or updated entry)."""

import csv
import io
import json

import pytest
from django.db import connection

from console.audit_log import AuditLog
from knowledge import imports
from knowledge.models import Entry
from tests.knowledge.helpers import unsafe_elements

TABLE = "knowledge_base_entries"


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def upload(name: str, text: str | bytes) -> io.BytesIO:
    data = io.BytesIO(text if isinstance(text, bytes) else text.encode())
    data.name = name
    return data


def jsonl(*records) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


# ---------- Export ----------


@pytest.mark.django_db
def test_export_csv_of_the_filtered_search_is_streamed_and_audited(client_as, make_entry):
    make_entry("Quokka care", "quokka", category="zoo", tags=["animals"], metadata={"k": 1})
    make_entry("Quokka draft", "quokka", category="zoo", is_active=False)
    make_entry("Other", "text", category="zoo")
    make_entry("=cmd quokka", "quokka", category="elsewhere")
    editor = client_as("editor")
    response = editor.get("/knowledge/export/", {"format": "csv", "q": "quokka", "category": "zoo"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="knowledge.csv"'
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert sorted(r["title"] for r in rows) == ["Quokka care", "Quokka draft"]
    care = next(r for r in rows if r["title"] == "Quokka care")
    assert json.loads(care["tags"]) == ["animals"] and json.loads(care["metadata"]) == {"k": 1}
    (row,) = AuditLog.objects.filter(action="EXPORT", user_id=editor.user.id)
    assert row.table_name == TABLE
    assert row.new_values == {"format": "csv", "filters": {"q": "quokka", "category": "zoo"}}


@pytest.mark.django_db
def test_export_jsonl_as_a_viewer_has_active_entries_only(client_as, make_entry):
    make_entry("Published", "text", tags=["a"])
    make_entry("Draft", "text", is_active=False)
    viewer = client_as("viewer")
    response = viewer.get("/knowledge/export/", {"format": "jsonl"})
    records = [json.loads(line) for line in body(response).splitlines()]
    assert [r["title"] for r in records] == ["Published"] and records[0]["tags"] == ["a"]
    assert AuditLog.objects.filter(action="EXPORT", user_id=viewer.user.id).count() == 1


@pytest.mark.django_db
def test_export_refuses_an_unknown_format_or_a_bad_filter(client_as):
    editor = client_as("editor")
    assert editor.get("/knowledge/export/", {"format": "xlsx"}).status_code == 400
    assert (
        editor.get("/knowledge/export/", {"format": "csv", "updated_from": "soon"}).status_code
        == 400
    )
    assert not AuditLog.objects.filter(action="EXPORT", user_id=editor.user.id).exists()


@pytest.mark.django_db
def test_the_list_links_its_exports_with_its_filter(client_as, make_entry):
    make_entry("One", "text")
    html = client_as("editor").get("/knowledge/", {"q": "one", "category": "x"}).content.decode()
    assert "/knowledge/export/?format=csv&amp;q=one&amp;category=x" in html
    assert "/knowledge/export/?format=jsonl&amp;q=one&amp;category=x" in html


# ---------- Import: the dry run ----------


def test_the_dry_run_reads_every_row_and_says_what_is_wrong_where(make_entry, db):
    existing = make_entry("Existing", "Body", tags=["a"])
    text = (
        jsonl(
            {
                "title": "New entry",
                "content": "Body",
                "tags": ["X", "x", "y"],
                "metadata": {"k": 1},
            },
            {"title": "", "content": "Body"},
            {"id": str(existing.pk), "title": "Existing", "content": "New body", "tags": ["a"]},
            {"id": str(existing.pk), "title": "Twice", "content": "Body"},
            {"title": "T", "content": "C", "metadata": '{\n  "a": 1,\n}'},
            {"title": "T", "content": "C", "is_active": "maybe", "colour": "red"},
            {"id": "not-a-uuid", "title": "T", "content": "C"},
            [1, 2],
        )
        + "{not json\n"
    )
    plan = imports.plan("entries.jsonl", text)
    by_line = {row.line: row for row in plan.rows}
    assert by_line[1].action == "create" and by_line[1].values["tags"] == ["x", "y"]
    assert by_line[2].errors == ["title: This field is required."]
    assert by_line[3].action == "update" and [c.path for c in by_line[3].changes] == ["content"]
    assert by_line[4].errors == ["id: the same entry is in the file twice."]
    assert "metadata: Line 3, column 1" in by_line[5].errors[0]
    assert "Unknown field “colour”." in by_line[6].errors
    assert any("is_active" in e for e in by_line[6].errors)
    assert by_line[7].errors[0].startswith("id: not a UUID")
    assert by_line[8].errors == ['Each line must be a JSON object: {"title": …}.']
    assert by_line[9].errors[0].startswith("Not valid JSON (column 2")
    assert (plan.creates, plan.updates, plan.errors) == (1, 1, 7)


def test_a_csv_dry_run_and_what_makes_a_file_unreadable(db):
    text = 'title,content,tags,is_active,metadata\nA,Body,"a, b",no,\nB,Body,"[""x""]",yes,"{""k"": 2}"\n'
    plan = imports.plan("entries.csv", text)
    assert [r.values["tags"] for r in plan.rows] == [["a", "b"], ["x"]]
    assert [r.values["is_active"] for r in plan.rows] == [False, True]
    assert plan.rows[1].values["metadata"] == {"k": 2}
    for name, data, message in [
        ("x.csv", "title,content,colour\nA,B,red\n", "Unknown column “colour”"),
        ("x.csv", "name,content\nA,B\n", "Unknown column"),
        ("x.csv", "content\nB\n", "title missing"),
        ("x.jsonl", "", "no entries"),
    ]:
        with pytest.raises(imports.ImportError_, match=message):
            imports.plan(name, data)
    with pytest.raises(imports.ImportError_, match="UTF-8"):
        imports.decode("title,content\nÄ,B\n".encode("latin-1"))
    with pytest.raises(imports.ImportError_, match="over 4 MB"):
        imports.decode(b"x" * (imports.MAX_IMPORT_BYTES + 1))


# ---------- Import: through the page ----------


@pytest.mark.django_db(transaction=True)
def test_the_import_page_dry_runs_then_imports_all_with_an_audit_row_each(client_as, make_entry):
    existing = make_entry("Existing", "Old body")
    editor = client_as("editor")
    text = jsonl(
        {"title": "First", "content": "Body one", "category": "ops"},
        {"id": str(existing.pk), "title": "Existing", "content": "New body"},
        {"title": "Second", "content": "Body two", "is_active": False},
    )
    report = editor.post("/knowledge/import/", {"file": upload("entries.jsonl", text)})
    assert report.status_code == 200
    html = report.content.decode()
    assert "2 to create, 1 to update" in html and "nothing is saved yet" in html
    assert Entry.objects.count() == 1
    assert not AuditLog.objects.filter(table_name=TABLE, user_id=editor.user.id).exists()

    token = report.context["token"]
    done = editor.post("/knowledge/import/", {"token": token})
    assert done.status_code == 302 and done["Location"] == "/knowledge/"
    assert set(Entry.objects.values_list("title", "is_active")) == {
        ("First", True),
        ("Existing", True),
        ("Second", False),
    }
    assert Entry.objects.get(title="Existing").content == "New body"
    rows = AuditLog.objects.filter(table_name=TABLE, user_id=editor.user.id)
    assert sorted(rows.values_list("action", flat=True)) == ["CREATE", "CREATE", "UPDATE"]
    assert {str(e.created_by) for e in Entry.objects.exclude(pk=existing.pk)} == {editor.user.id}
    # the token is spent: the same import cannot run twice
    again = editor.post("/knowledge/import/", {"token": token})
    assert again.status_code == 400 and Entry.objects.count() == 3  # its dry run is gone


@pytest.mark.django_db(transaction=True)
def test_rows_with_errors_block_the_import(client_as):
    editor = client_as("editor")
    text = jsonl({"title": "Fine", "content": "Body"}, {"title": "", "content": "Body"})
    report = editor.post("/knowledge/import/", {"file": upload("entries.jsonl", text)})
    assert report.status_code == 200 and report.context["token"] is None
    assert "Fix the rows with errors" in report.content.decode()
    assert (
        "Line" in report.content.decode()
        and "title: This field is required." in report.content.decode()
    )
    forged = editor.post("/knowledge/import/", {"token": "forged"})
    assert forged.status_code == 400 and not Entry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_import_that_fails_half_way_saves_nothing(client_as):
    editor = client_as("editor")
    text = jsonl({"title": "One", "content": "Body"}, {"title": "Two refused", "content": "Body"})
    report = editor.post("/knowledge/import/", {"file": upload("entries.jsonl", text)})
    with connection.cursor() as cursor:  # a real fault on the second row
        cursor.execute(
            "alter table public.knowledge_base_entries add constraint kb_no_refused"
            " check (title not like '%refused%')"
        )
    try:
        failed = editor.post("/knowledge/import/", {"token": report.context["token"]})
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "alter table public.knowledge_base_entries drop constraint kb_no_refused"
            )
    assert failed.status_code == 400
    assert "Nothing was imported" in failed.content.decode() and "Line 2" in failed.content.decode()
    assert not Entry.objects.exists()
    assert not AuditLog.objects.filter(table_name=TABLE, user_id=editor.user.id).exists()


@pytest.mark.django_db(transaction=True)
def test_an_export_imports_back_unchanged(client_as, make_entry):
    make_entry(
        "=Formula-looking title", 'Body, with "quotes"', tags=["a", "b"], metadata={"k": [1]}
    )
    make_entry("Draft", "Body", is_active=False, category="ops")
    editor = client_as("editor")
    for fmt in ("csv", "jsonl"):
        exported = body(editor.get("/knowledge/export/", {"format": fmt}))
        report = editor.post("/knowledge/import/", {"file": upload(f"export.{fmt}", exported)})
        assert report.context["plan"].unchanged == 2, fmt
        assert report.context["plan"].errors == 0


@pytest.mark.django_db(transaction=True)
def test_the_import_report_shows_payloads_as_text(client_as, make_entry):
    entry = make_entry("Plain", "Body")
    editor = client_as("editor")
    text = jsonl(
        {
            "id": str(entry.pk),
            "title": "<script>alert(1)</script>",
            "content": '<img src=x onerror="alert(2)">',
        },
        {"title": "", "content": "<svg onload=alert(3)>", "tags": ["<b>x</b>"]},
    )
    report = editor.post("/knowledge/import/", {"file": upload("<script>.jsonl", text)})
    html = report.content.decode()
    assert unsafe_elements(html) == [] and "&lt;script&gt;" in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["auditor", "viewer"])
def test_readers_cannot_import(client_as, role):
    client = client_as(role)
    text = jsonl({"title": "T", "content": "C"})
    assert client.post("/knowledge/import/", {"file": upload("e.jsonl", text)}).status_code == 403
    assert not Entry.objects.exists()
