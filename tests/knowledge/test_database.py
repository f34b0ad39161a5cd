"""What the database itself enforces for the knowledge base, whatever Django checks: RLS on
writes (only admins delete), the search functions' visibility rule, and the migrations."""

import json

import pytest
from django.db import DatabaseError, connection, transaction

from console import audited
from console.rls import as_user, is_permission_error
from console.schema import MIGRATIONS_DIR
from knowledge.models import Entry
from tests.factories import db_user

pytestmark = pytest.mark.django_db


def actor(user):
    return audited.Actor(user.id, None, "pytest")


@pytest.fixture
def entries(make_entry):
    return {
        "active": make_entry("Active zygomorphic", "text", tags=["t"]),
        "draft": make_entry("Draft zygomorphic", "text", tags=["t"], is_active=False),
    }


def test_only_admins_delete_in_the_database(entries):
    editor, admin = db_user("editor"), db_user("admin")
    with as_user(editor.claims), pytest.raises(audited.WriteRefused):
        audited.delete(actor(editor), entries["active"])
    with as_user(editor.claims):  # and without the console: a plain DELETE removes nothing
        assert Entry.objects.filter(pk=entries["active"].pk).delete()[0] == 0
    assert Entry.objects.filter(pk=entries["active"].pk).exists()
    with as_user(admin.claims):
        audited.delete(actor(admin), entries["active"])
    assert not Entry.objects.filter(pk=entries["active"].pk).exists()


@pytest.mark.parametrize("role", ["auditor", "viewer"])
def test_readers_cannot_write_in_the_database(entries, role):
    user = db_user(role)
    with as_user(user.claims):
        with pytest.raises(audited.WriteRefused):
            audited.create(actor(user), Entry, title="New", content="Body")
        with pytest.raises(audited.WriteRefused):
            audited.update(actor(user), entries["active"], title="Changed")
        assert Entry.objects.filter(pk=entries["active"].pk).update(title="Changed") == 0
    assert Entry.objects.get(pk=entries["active"].pk).title == "Active zygomorphic"


def _search_ids(user, function_sql, params):
    with as_user(user.claims), connection.cursor() as cursor:
        cursor.execute(function_sql, params)
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize(
    ("role", "sees_draft"), [("editor", True), ("auditor", True), ("viewer", False)]
)
def test_the_search_functions_apply_the_read_rule(entries, role, sees_draft):
    user = db_user(role)
    expected = {entries["active"].pk, entries["draft"].pk} if sees_draft else {entries["active"].pk}
    pool = _search_ids(
        user,
        "select id from private.kb_search_pool(%s, %s, %s, %s)",
        ["zygomorphic", "", "zygomorphic", "{}"],
    )
    ids = _search_ids(user, "select private.kb_entry_ids(%s)", ["zygomorphic"])
    tagged = _search_ids(user, "select private.kb_entry_ids('', '', '', %s)", [["t"]])
    assert pool == ids == tagged == expected


def test_the_search_functions_refuse_users_without_a_role(entries):
    nobody = db_user(None)
    for sql in (
        "select private.kb_entry_ids('zygomorphic')",
        "select * from private.kb_search_pool('zygomorphic', '', '', '{}')",
    ):
        with (
            pytest.raises(DatabaseError) as failure,
            transaction.atomic(),
            as_user(nobody.claims),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
        assert is_permission_error(failure.value)


def test_the_pool_applies_the_filters_it_is_given(make_entry):
    editor = db_user("editor")
    keep = make_entry("Keep quokka", "text", category="zoo", tags=["a", "b"], created_by=editor.id)
    make_entry(
        "Other category quokka", "text", category="farm", tags=["a", "b"], created_by=editor.id
    )
    make_entry("One tag quokka", "text", category="zoo", tags=["a"], created_by=editor.id)
    make_entry("Someone else's quokka", "text", category="zoo", tags=["a", "b"])
    filters = {
        "category": "zoo",
        "tags": ["a", "b"],
        "all_tags": True,
        "author": editor.id,
        "is_active": True,
    }
    found = _search_ids(
        editor,
        "select id from private.kb_search_pool(%s, %s, %s, %s)",
        ["quokka", "", "quokka", json.dumps(filters)],
    )
    assert found == {keep.pk}


def test_values_reach_the_search_functions_as_parameters_not_sql(entries):
    editor = db_user("editor")
    hostile = "x'; delete from public.knowledge_base_entries; --"
    for prefix in (hostile, "zyg%", "x_y", "zyg:*|!", "zyg'\\"):  # refused as a prefix
        found = _search_ids(
            editor, "select private.kb_entry_ids(%s, %s, %s)", [hostile, hostile, prefix]
        )
        assert found == set(), prefix
    filters = {"category": hostile, "author": "00000000-0000-0000-0000-000000000000"}
    assert (
        _search_ids(
            editor,
            "select id from private.kb_search_pool(%s, %s, %s, %s)",
            ["zygomorphic", "", "", json.dumps(filters)],
        )
        == set()
    )
    assert Entry.objects.count() == 2


def test_the_knowledge_migrations_can_run_again(entries):
    for path in sorted(MIGRATIONS_DIR.glob("2026112202*.sql")):
        with connection.cursor() as cursor:
            cursor.execute(path.read_text())
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from pg_indexes where tablename = 'knowledge_base_entries'"
            " and indexname like 'idx_kb_entries_%%'"
        )
        assert cursor.fetchone()[0] == 9
        cursor.execute(
            "select search_vector::text from public.knowledge_base_entries where id = %s",
            [entries["active"].pk],
        )
        assert "'zygomorph':2A" in cursor.fetchone()[0]  # the title, weighted A
