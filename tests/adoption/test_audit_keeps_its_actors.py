"""Audit rows keep their actors: the email is snapshotted when a row is written, deleting a
user with audit rows works (with or without the legacy foreign key) and the rows stay,
findable by the old email through the actor filter."""

import pytest
from django.db import connection

from console import audited
from console.rls import as_user
from tests.adoption.conftest import check, migrate
from tests.factories import claims_for


def _audit_rows(user_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "select action, actor_email from public.audit_logs where user_id = %s", [user_id]
        )
        return cursor.fetchall()


def test_deleting_a_user_keeps_their_rows_named_and_findable_by_the_old_email(
    make_user, auth_admin, signed_in
):
    editor = make_user("editor", email="Leaving.Editor@Example.test")
    with as_user(claims_for(editor.id, editor.email)):
        audited.record(
            audited.Actor(editor.id, "10.0.0.1", "pytest"), "EXPORT", "knowledge_base_entries"
        )
    assert _audit_rows(editor.id) == [("EXPORT", "leaving.editor@example.test")]

    auth_admin.delete_user(editor.id)
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from auth.users where id = %s", [editor.id])
        assert cursor.fetchone()[0] == 0
    assert _audit_rows(editor.id) == [("EXPORT", "leaving.editor@example.test")]

    auditor = signed_in("auditor")
    page = auditor.get("/audit/", {"actor": "leaving.editor@example.test"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "leaving.editor@example.test" in html and "EXPORT" in html
    assert "No user has the email" not in html


@pytest.mark.django_db
def test_the_email_is_the_one_the_actor_had_when_the_row_was_written(make_user):
    user = make_user("admin", email="before@example.test")
    with as_user(claims_for(user.id, user.email)):
        audited.record(audited.Actor(user.id, None, ""), "EXPORT", "ai_agents")
    with connection.cursor() as cursor:
        cursor.execute(
            "update auth.users set email = 'after@example.test' where id = %s", [user.id]
        )
    with as_user(claims_for(user.id, "after@example.test")):
        audited.record(audited.Actor(user.id, None, ""), "EXPORT", "ai_agents")
    assert sorted(email for _a, email in _audit_rows(user.id)) == [
        "after@example.test",
        "before@example.test",
    ]


@pytest.mark.django_db
def test_on_the_legacy_project_adoption_drops_the_set_null_key_so_deleting_a_user_works(hosted_db):
    report = check(hosted_db)
    assert any(c.startswith("drops foreign key audit_logs_user_id_fkey") for c in report.changes)
    migrate(hosted_db)
    carol = "10000000-0000-0000-0000-00000000000c"
    with hosted_db.connect(owner=False) as conn:
        conn.execute("delete from auth.users where id = %s", [carol])  # as Supabase Auth does
        rows = conn.execute(
            "select action, user_id::text, actor_email from public.audit_logs where user_id = %s",
            [carol],
        ).fetchall()
    assert rows == [("LOGIN", carol, "carol@legacy.example")]


def test_a_records_history_names_a_deleted_actor_by_email(make_user, auth_admin):
    editor, admin = make_user("editor", email="gone.editor@example.test"), make_user("admin")
    with as_user(claims_for(editor.id, editor.email)), connection.cursor() as cursor:
        cursor.execute(
            "insert into public.knowledge_base_entries (title, content) values ('Kept', 'x')"
            " returning id"
        )
        entry_id = cursor.fetchone()[0]
    auth_admin.delete_user(editor.id)
    with as_user(claims_for(admin.id, admin.email)), connection.cursor() as cursor:
        cursor.execute(
            "select action, actor_email from private.record_history('knowledge_base_entries', %s)",
            [str(entry_id)],
        )
        assert cursor.fetchall() == [("CREATE", "gone.editor@example.test")]
