"""No stored JSON can break a page or an export, whatever its depth or size, and the console's
own forms and imports refuse JSON that would."""

import io
import json

import pytest
from django.db import connection

from console.audit_log import AuditLog
from console.diff import diff_values
from console.forms import JSONObjectField
from knowledge import imports
from knowledge.models import Entry

DEEP = "[" * 3000 + "]" * 3000
DEEP_OBJECT = '{"a": ' * 3000 + "1" + "}" * 3000


def insert_deep_row(user_id, table, record_id) -> str:
    """As the superuser (the SQL editor), the way an old poisoned row would sit in the trail."""
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.audit_logs (user_id, action, table_name, record_id, old_values,"
            " new_values, created_at) values (%s, 'NOTE', %s, %s, %s::jsonb, %s::jsonb, now())"
            " returning id",
            [user_id, table, str(record_id), DEEP_OBJECT, json.dumps({"deep": json.loads("1")})],
        )
        row_id = cursor.fetchone()[0]
        cursor.execute(
            "insert into public.audit_logs (user_id, action, table_name, record_id, new_values,"
            " created_at) values (%s, 'NOTE', %s, %s, %s::jsonb, now())",
            [user_id, table, str(record_id), DEEP],
        )
    return str(row_id)


@pytest.mark.django_db(transaction=True)
def test_pages_and_exports_holding_a_3000_deep_row_still_answer(client_as, make_entry):
    admin = client_as("admin")
    entry = make_entry("Poisoned")
    row_id = insert_deep_row(admin.user.id, "knowledge_base_entries", entry.pk)
    insert_deep_row(admin.user.id, "profiles", admin.user.id)

    record_page = admin.get(f"/knowledge/{entry.pk}/")
    assert record_page.status_code == 200
    assert "nested deeper than 50 levels — shown as text" in record_page.content.decode()
    assert admin.get(f"/users/{admin.user.id}/").status_code == 200
    entry_page = admin.get(f"/audit/{row_id}/")
    assert entry_page.status_code == 200
    assert "nested deeper than 50 levels" in entry_page.content.decode()
    assert admin.get("/audit/").status_code == 200
    for fmt in ("jsonl", "csv"):
        export = admin.get(f"/audit/export/?format={fmt}&record={entry.pk}")
        assert export.status_code == 200
        text = b"".join(export.streaming_content).decode()
        assert "nested deeper than 50 levels" in text


@pytest.mark.django_db(transaction=True)
def test_a_data_row_with_deep_json_shows_its_page(client_as):
    admin = client_as("admin")
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.knowledge_base_entries (title, content, metadata)"
            " values ('Deep', 'x', %s::jsonb) returning id",
            [DEEP_OBJECT],
        )
        entry_id = cursor.fetchone()[0]
    assert admin.get(f"/knowledge/{entry_id}/").status_code == 200
    assert admin.get(f"/knowledge/{entry_id}/edit/").status_code == 200
    assert admin.get("/knowledge/export/?format=jsonl").status_code == 200


def test_the_diff_walks_any_depth_without_recursion():
    deep_old: dict = {}
    node = deep_old
    for _ in range(5000):
        node["k"] = {}
        node = node["k"]
    rows = diff_values(deep_old, {"k": 1})
    assert len(rows) == 1 and rows[0].path.count(".") < 60


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": ' + "[" * 40 + "]" * 40 + "}", "nested deeper than 32 levels"),
        ('{"a": ' + "[" * 400 + "]" * 400 + "}", "nested deeper than 32 levels"),
        ('{"n": ' + "9" * 5000 + "}", "more than 100 digits"),
        ('{"n": 1e999}', "too large"),
        ('{"n": NaN}', "not a JSON number"),
        ('{"s": "\\ud800"}', "invalid Unicode"),
        ('{"\\udfff": 1}', "invalid Unicode"),
        ('{"s": "a\\u0000b"}', "NUL"),
    ],
)
def test_the_json_field_refuses_hostile_json_with_a_field_error(text, message):
    field = JSONObjectField()
    with pytest.raises(Exception) as refused:
        field.clean(text)
    assert type(refused.value).__name__ == "ValidationError"
    assert message in " ".join(refused.value.messages)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "metadata",
    ["[" * 400 + "]" * 400, '{"n": ' + "1" * 4301 + "}", '{"s": "\\ud83d"}', '{"s": "\\u0000"}'],
)
def test_the_entry_form_answers_400_with_a_field_error(client_as, metadata):
    editor = client_as("editor")
    response = editor.post(
        "/knowledge/new/",
        {"title": "T", "content": "C", "category": "c", "tags": "", "metadata": metadata},
    )
    assert response.status_code == 400
    assert "metadata" in response.context["form"].errors
    assert not Entry.objects.filter(title="T").exists()


@pytest.mark.django_db(transaction=True)
def test_an_import_refuses_hostile_rows_with_row_errors(client_as):
    lines = [
        '{"title": "Deep", "content": "x", "metadata": ' + "[" * 400 + "]" * 400 + "}",
        '{"title": "Digits", "content": "x", "metadata": {"n": ' + "7" * 4400 + "}}",
        '{"title": "Surrogate \\udc00", "content": "x"}',
        '{"title": "Nul", "content": "a\\u0000b"}',
    ]
    plan = imports.plan("hostile.jsonl", "\n".join(lines) + "\n")
    assert plan.errors == 4, [row.errors for row in plan.rows]
    csv_plan = imports.plan("hostile.csv", "title,content\nNul,a\x00b\n")
    assert csv_plan.errors == 1

    editor = client_as("editor")
    data = io.BytesIO(("\n".join(lines) + "\n").encode())
    data.name = "hostile.jsonl"
    report = editor.post("/knowledge/import/", {"file": data})
    assert report.status_code == 200 and report.context["token"] is None
    assert not AuditLog.objects.filter(user_id=editor.user.id).exists()
