"""Writing entries: create, edit (and concurrent edits), publish, unpublish, delete, preview,
bulk actions. Every write has its audit row, in the same transaction; roles that may not
write are refused by the console (and by the database: test_database.py)."""

import re

import pytest
from django.db import connection

from console import audited
from console.audit_log import AuditLog
from console.rls import as_user
from knowledge.models import Entry
from tests.confirming import confirmed_post
from tests.knowledge.helpers import unsafe_elements

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = "knowledge_base_entries"


def audit_rows(entry_or_id, action=None):
    record_id = str(getattr(entry_or_id, "pk", entry_or_id))
    rows = AuditLog.objects.filter(table_name=TABLE, record_id=record_id)
    rows = rows.exclude(user_id=None)  # not the fixtures' own writes ("system")
    return list(rows.filter(action=action) if action else rows)


def form_data(**values):
    data = {
        "title": "Rotating keys",
        "content": "# Keys\n\nRotate **often**.",
        "category": "security",
        "tags": "Keys, RLS, keys",
        "metadata": '{"source": "wiki"}',
        "is_active": "on",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


# ---------- Create ----------


def test_an_editor_creates_an_entry_with_normalised_tags_and_an_audit_row(client_as, make_entry):
    make_entry("Existing", category="Security")
    editor = client_as("editor")
    response = editor.post("/knowledge/new/", form_data(category="  security "))
    entry = Entry.objects.get(title="Rotating keys")
    assert response.status_code == 302 and response["Location"] == f"/knowledge/{entry.pk}/"
    assert entry.tags == ["keys", "rls"]  # lower case, de-duplicated, in order
    assert entry.category == "Security"  # the existing spelling
    assert entry.metadata == {"source": "wiki"} and entry.is_active is True
    assert str(entry.created_by) == editor.user.id
    (row,) = audit_rows(entry, "CREATE")
    assert str(row.user_id) == editor.user.id and row.user_agent == "pytest-client-as"
    assert row.new_values["title"] == "Rotating keys" and row.new_values["tags"] == ["keys", "rls"]
    assert "search_vector" not in row.new_values  # the index column stays out of the audit


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"content": ""}, "This field is required."),
        ({"metadata": '{\n  "a": 1,\n}'}, "Line 3, column 1"),
        ({"metadata": "[1, 2]"}, "JSON object"),
        ({"metadata": '{"a": "\\u0000"}'}, "NUL characters"),
        ({"tags": ", ".join(f"t{n}" for n in range(21))}, "at most 20 tags"),
        ({"tags": "x" * 41}, "longer than 40 characters"),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"title": "a\x00b"}, "Null characters are not allowed."),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(client_as, values, message):
    editor = client_as("editor")
    response = editor.post("/knowledge/new/", form_data(**values))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Entry.objects.exists()
    assert not AuditLog.objects.filter(table_name=TABLE, user_id=editor.user.id).exists()


def test_the_form_offers_the_existing_categories(client_as, make_entry):
    make_entry("One", category="operations")
    html = client_as("editor").get("/knowledge/new/").content.decode()
    assert 'list="kb-categories"' in html and '<option value="operations">' in html


# ---------- Edit and concurrent edits ----------


def test_an_edit_saves_only_what_changed_and_audits_it(client_as, make_entry):
    entry = make_entry("Old title", "Body", tags=["a"], metadata={"k": 1})
    editor = client_as("editor")
    form = editor.get(f"/knowledge/{entry.pk}/edit/")
    version = form.context["form"]["version"].value()
    assert version == entry.updated_at.isoformat()
    response = editor.post(
        f"/knowledge/{entry.pk}/edit/",
        {
            "title": "New title",
            "content": "Body",
            "tags": "a, B",
            "metadata": '{"k": 1}',
            "is_active": "on",
            "version": version,
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "New title" and entry.tags == ["a", "b"]
    (row,) = audit_rows(entry, "UPDATE")
    assert set(row.old_values) - {"updated_at"} == {"title", "tags"}  # only what changed
    assert (row.old_values["title"], row.old_values["tags"]) == ("Old title", ["a"])
    assert row.new_values["title"] == "New title" and row.new_values["tags"] == ["a", "b"]
    page = editor.get(f"/knowledge/{entry.pk}/").content.decode()
    assert "History" in page and "New title" in page  # the entry's history shows the edit


def test_saving_an_unchanged_form_writes_nothing(client_as, make_entry):
    entry = make_entry("Same", "Body")
    editor = client_as("editor")
    version = editor.get(f"/knowledge/{entry.pk}/edit/").context["form"]["version"].value()
    response = editor.post(
        f"/knowledge/{entry.pk}/edit/",
        {"title": "Same", "content": "Body", "is_active": "on", "version": version},
    )
    assert response.status_code == 302
    assert audit_rows(entry) == []


def test_saving_over_a_newer_version_shows_both_and_overwrites_nothing(client_as, make_entry):
    entry = make_entry("Shared entry", "Original body")
    mine, theirs = client_as("editor"), client_as("editor")
    version = mine.get(f"/knowledge/{entry.pk}/edit/").context["form"]["version"].value()
    their_version = theirs.get(f"/knowledge/{entry.pk}/edit/").context["form"]["version"].value()
    theirs.post(
        f"/knowledge/{entry.pk}/edit/",
        {
            "title": "Their title",
            "content": "Original body",
            "is_active": "on",
            "version": their_version,
        },
    )
    response = mine.post(
        f"/knowledge/{entry.pk}/edit/",
        {"title": "Shared entry", "content": "My body", "is_active": "on", "version": version},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this entry" in html
    rows = {row.path: row for row in response.context["conflict"]["rows"]}
    assert rows["title"].old == "Their title" and rows["title"].new == "Shared entry"
    assert rows["content"].old == "Original body" and rows["content"].new == "My body"
    assert [c.path for c in response.context["conflict"]["since"][0].changes if c.path == "title"]
    assert theirs.user.email in html  # who changed it, from the history
    entry.refresh_from_db()
    assert (entry.title, entry.content) == ("Their title", "Original body")  # nothing overwritten
    assert len(audit_rows(entry, "UPDATE")) == 1

    # The conflict page's form carries the saved version: saving again is a deliberate choice.
    again = response.context["form"]["version"].value()
    assert again == entry.updated_at.isoformat()
    response = mine.post(
        f"/knowledge/{entry.pk}/edit/",
        {"title": "Shared entry", "content": "My body", "is_active": "on", "version": again},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.title, entry.content) == ("Shared entry", "My body")


def _version(client, entry) -> str:
    return client.get(f"/knowledge/{entry.pk}/edit/").context["form"]["version"].value()


@pytest.mark.django_db(transaction=True)
def test_the_conflict_panel_lists_only_saves_made_after_the_form_was_opened(client_as, make_entry):
    """Real transactions (one per request), so each save gets its own updated_at; the audit
    row's clock is a few ms later than that. My earlier save, which produced the version my
    form was opened on, is not "their change"."""
    entry = make_entry("Shared entry", "Body")
    mine, theirs = client_as("editor"), client_as("editor")
    url = f"/knowledge/{entry.pk}/edit/"
    data = {"content": "Body", "is_active": "on"}
    first = mine.post(url, {**data, "title": "My first title", "version": _version(mine, entry)})
    assert first.status_code == 302
    my_version = _version(mine, entry)  # opened again after my own save
    theirs.post(url, {**data, "title": "Their title", "version": _version(theirs, entry)})
    response = mine.post(url, {**data, "title": "My second title", "version": my_version})
    assert response.status_code == 409
    since = response.context["conflict"]["since"]
    assert [str(change.user_id) for change in since] == [theirs.user.id]
    (title,) = [row for row in since[0].changes if row.path == "title"]
    assert (title.old, title.new) == ("My first title", "Their title")


def test_changing_only_the_title_records_no_content_change(client_as, make_entry):
    """The content keeps its trailing newline and its line endings compare as \n, on load
    and on save alike (a browser sends a textarea back with \r\n)."""
    entry = make_entry("Old title", "# Notes\n\nLine one.\nLine two.\n")
    editor = client_as("editor")
    form = editor.get(f"/knowledge/{entry.pk}/edit/").context["form"]
    shown = form["content"].value()
    assert shown == "# Notes\n\nLine one.\nLine two.\n"
    response = editor.post(
        f"/knowledge/{entry.pk}/edit/",
        {
            "title": "New title",
            "content": shown.replace("\n", "\r\n"),  # as a browser sends a textarea
            "is_active": "on",
            "version": form["version"].value(),
        },
    )
    assert response.status_code == 302
    (row,) = audit_rows(entry, "UPDATE")
    assert set(row.old_values) - {"updated_at"} == {"title"}
    entry.refresh_from_db()
    assert entry.title == "New title" and entry.content.endswith("Line two.\n")


def test_content_normalised_on_load_and_save_alike_sent_back_unchanged_writes_nothing(
    client_as, make_entry
):
    entry = make_entry("Imported", "Line one.\r\nLine two.\r\n")  # as an import may leave it
    editor = client_as("editor")
    form = editor.get(f"/knowledge/{entry.pk}/edit/").context["form"]
    assert form["content"].value() == "Line one.\nLine two.\n"
    data = {"title": "Imported", "is_active": "on", "version": form["version"].value()}
    response = editor.post(
        f"/knowledge/{entry.pk}/edit/", {**data, "content": "Line one.\r\nLine two.\r\n"}
    )
    assert response.status_code == 302 and audit_rows(entry) == []


def test_a_new_entry_keeps_its_trailing_newline_and_refuses_blank_content(client_as):
    editor = client_as("editor")
    editor.post("/knowledge/new/", form_data(content="Body\r\n"))
    assert Entry.objects.get(title="Rotating keys").content == "Body\n"
    response = editor.post("/knowledge/new/", form_data(title="Blank", content=" \r\n "))
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not Entry.objects.filter(title="Blank").exists()


def test_a_new_entry_is_a_draft_unless_the_editor_publishes_it(client_as):
    editor = client_as("editor")
    html = editor.get("/knowledge/new/").content.decode()
    (checkbox,) = re.findall(r'<input type="checkbox" name="is_active"[^>]*>', html)
    assert "checked" not in checkbox and "Publish now" in html
    editor.post("/knowledge/new/", form_data(title="Draft one", is_active=None))
    editor.post("/knowledge/new/", form_data(title="Published one", is_active="on"))
    states = dict(Entry.objects.values_list("title", "is_active"))
    assert states == {"Draft one": False, "Published one": True}


def test_a_form_without_its_version_is_treated_as_a_conflict(client_as, make_entry):
    entry = make_entry("Entry", "Body")
    response = client_as("editor").post(
        f"/knowledge/{entry.pk}/edit/",
        {"title": "Changed", "content": "Body", "version": "not-a-date"},
    )
    assert response.status_code == 409
    entry.refresh_from_db()
    assert entry.title == "Entry"


# ---------- Publish, unpublish, delete ----------


def test_publish_and_unpublish_are_audited_posts(client_as, make_entry):
    entry = make_entry("Entry", is_active=True)
    editor = client_as("editor")
    assert editor.get(f"/knowledge/{entry.pk}/unpublish/").status_code == 405
    assert editor.post(f"/knowledge/{entry.pk}/unpublish/").status_code == 302
    entry.refresh_from_db()
    assert entry.is_active is False
    assert editor.post(f"/knowledge/{entry.pk}/publish/").status_code == 302
    entry.refresh_from_db()
    assert entry.is_active is True
    changes = [
        (r.old_values["is_active"], r.new_values["is_active"]) for r in audit_rows(entry, "UPDATE")
    ]
    assert sorted(changes) == [(False, True), (True, False)]
    editor.post(f"/knowledge/{entry.pk}/publish/")  # already published: no write
    assert len(audit_rows(entry, "UPDATE")) == 2


def test_an_admin_deletes_after_a_confirmation_with_an_audit_row(client_as, make_entry):
    entry = make_entry("Doomed", "Body")
    admin = client_as("admin")
    confirm = admin.get(f"/knowledge/{entry.pk}/delete/")
    assert confirm.status_code == 200 and "Delete the entry" in confirm.content.decode()
    assert Entry.objects.filter(pk=entry.pk).exists()
    response = admin.post(f"/knowledge/{entry.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/knowledge/"
    assert not Entry.objects.filter(pk=entry.pk).exists()
    (row,) = audit_rows(entry, "DELETE")
    assert row.old_values["title"] == "Doomed" and row.new_values is None


def test_only_admins_see_and_use_delete(client_as, make_entry):
    entry = make_entry("Kept", "Body")
    editor = client_as("editor")
    assert "Delete…" not in editor.get(f"/knowledge/{entry.pk}/").content.decode()
    assert editor.get(f"/knowledge/{entry.pk}/delete/").status_code == 403
    assert editor.post(f"/knowledge/{entry.pk}/delete/").status_code == 403
    assert Entry.objects.filter(pk=entry.pk).exists()
    assert "Delete…" in client_as("admin").get(f"/knowledge/{entry.pk}/").content.decode()


# ---------- Role refusals in Django ----------


@pytest.mark.parametrize("role", ["auditor", "viewer"])
def test_readers_cannot_write_anything(client_as, make_entry, role):
    entry = make_entry("Entry", "Body", is_active=True)
    client = client_as(role)
    page = client.get(f"/knowledge/{entry.pk}/").content.decode()
    assert "/edit/" not in page and "Unpublish" not in page
    listing = client.get("/knowledge/").content.decode()
    assert 'href="/knowledge/new/"' not in listing and 'id="bulk-form"' not in listing
    attempts = [
        ("get", "/knowledge/new/", {}),
        ("post", "/knowledge/new/", form_data()),
        ("get", f"/knowledge/{entry.pk}/edit/", {}),
        ("post", f"/knowledge/{entry.pk}/edit/", form_data()),
        ("post", f"/knowledge/{entry.pk}/unpublish/", {}),
        ("post", f"/knowledge/{entry.pk}/delete/", {}),
        ("post", "/knowledge/preview/", {"content": "x"}),
        (
            "post",
            "/knowledge/bulk/",
            {"action": "unpublish", "pk": [str(entry.pk)], "confirm": "yes"},
        ),
        ("get", "/knowledge/import/", {}),
    ]
    for method, url, data in attempts:
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    entry.refresh_from_db()
    assert entry.title == "Entry" and entry.is_active is True
    assert audit_rows(entry) == []


def test_anonymous_visitors_are_sent_to_sign_in(client, make_entry):
    entry = make_entry("Entry")
    for url in ("/knowledge/", f"/knowledge/{entry.pk}/", "/knowledge/new/", "/knowledge/export/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# ---------- Preview ----------


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="#" onclick="steal()">x</a>',
    ],
)
def test_the_preview_is_rendered_on_the_server_and_sanitised(client_as, payload):
    response = client_as("editor").post(
        "/knowledge/preview/", {"content": f"**bold**\n\n{payload}"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<strong>bold</strong>" in html
    assert unsafe_elements(html) == []


# ---------- Bulk actions ----------


def bulk(client, action, entries, **extra):
    data = {"action": action, "pk": [str(e.pk) for e in entries], "filters": "", **extra}
    confirm = client.post("/knowledge/bulk/", data)
    assert confirm.status_code == 200  # the confirmation page first
    token = confirm.context["confirmation"]
    return client.post("/knowledge/bulk/", {**data, "confirm": "yes", "confirmation": token})


def test_bulk_publish_and_unpublish_one_audit_row_per_changed_entry(client_as, make_entry):
    a, b = make_entry("A", is_active=False), make_entry("B", is_active=False)
    c = make_entry("C", is_active=True)
    editor = client_as("editor")
    assert bulk(editor, "publish", [a, b, c]).status_code == 302
    assert set(Entry.objects.filter(is_active=True).values_list("title", flat=True)) == {
        "A",
        "B",
        "C",
    }
    assert [len(audit_rows(e, "UPDATE")) for e in (a, b, c)] == [1, 1, 0]  # C was already
    bulk(editor, "unpublish", [a, c])
    assert set(Entry.objects.filter(is_active=False).values_list("title", flat=True)) == {"A", "C"}


def test_bulk_set_category_and_add_and_remove_a_tag(client_as, make_entry):
    a = make_entry("A", category="old", tags=["x"])
    b = make_entry("B", category=None, tags=None)
    editor = client_as("editor")
    bulk(editor, "set_category", [a, b], category=" New  cat ")
    bulk(editor, "add_tag", [a, b], tag="Shared")
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.category, b.category) == ("New cat", "New cat")
    assert (a.tags, b.tags) == (["x", "shared"], ["shared"])
    bulk(editor, "remove_tag", [a, b], tag="x")
    a.refresh_from_db()
    assert a.tags == ["shared"]
    assert len(audit_rows(a, "UPDATE")) == 3 and len(audit_rows(b, "UPDATE")) == 2


def test_bulk_on_all_matching_a_search_recomputes_it_on_the_server(client_as, make_entry):
    make_entry("Quokka one", "text", is_active=True)
    make_entry("Quokka two", "text", is_active=True)
    other = make_entry("Other", "text", is_active=True)
    editor = client_as("editor")
    response = confirmed_post(
        editor,
        "/knowledge/bulk/",
        {"action": "unpublish", "_all": "1", "filters": "q=quokka", "pk": [str(other.pk)]},
    )
    assert response["Location"] == "/knowledge/?q=quokka"
    assert set(Entry.objects.filter(is_active=False).values_list("title", flat=True)) == {
        "Quokka one",
        "Quokka two",
    }


def test_a_failing_bulk_action_changes_nothing(client_as, make_entry):
    full = make_entry("Full", tags=[f"t{n}" for n in range(20)])
    fine = make_entry("Fine", tags=[])
    editor = client_as("editor")
    bulk(editor, "add_tag", [fine, full], tag="more")
    fine.refresh_from_db()
    assert fine.tags == [] and audit_rows(fine) == []


def test_a_bulk_form_needs_its_input(client_as, make_entry):
    entry = make_entry("A")
    response = client_as("editor").post(
        "/knowledge/bulk/",
        {"action": "add_tag", "pk": [str(entry.pk)], "tag": "a, b", "confirm": "yes"},
    )
    assert response.status_code == 400 and "Give one tag" in response.content.decode()


def test_a_write_and_its_audit_row_share_one_transaction(make_entry):
    """If the audit row cannot be written, the change is rolled back (console.audited)."""
    from tests.factories import db_user

    editor = db_user("editor")
    entry = make_entry("Entry")
    actor = audited.Actor(editor.id, None, "pytest")
    with connection.cursor() as cursor:
        cursor.execute(
            "alter function public.system_insert_audit_log(uuid, text, text, text, jsonb, jsonb, inet, text) rename to system_insert_audit_log_off"
        )
    try:
        with as_user(editor.claims), pytest.raises(audited.AuditFailed):
            audited.update(actor, entry, title="Changed")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "alter function public.system_insert_audit_log_off(uuid, text, text, text, jsonb, jsonb, inet, text) rename to system_insert_audit_log"
            )
    entry.refresh_from_db()
    assert entry.title == "Entry"
