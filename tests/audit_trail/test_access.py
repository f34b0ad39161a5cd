"""Who reads the audit trail: admins and auditors. Editors and viewers are refused by the
console (403) and by the database (RLS: they read no rows). Nobody changes a row: UPDATE and
DELETE on audit_logs fail for every role the console uses, its own connection included."""

import pytest
from django.db import DatabaseError, connection, transaction

from console.audit_log import AuditLog
from console.rls import as_user, is_permission_error
from tests.audit_trail.conftest import BASE
from tests.factories import db_user

PAGES = ["/audit/", "/audit/export/?format=csv", "/audit/actors/?actor=a", "{entry}"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("role", "status"), [("editor", 403), ("viewer", 403)])
def test_editors_and_viewers_are_refused_every_audit_page(signed_in, trail, role, status):
    entry = trail.row(created_at=BASE)
    client = signed_in(role)
    for page in PAGES:
        response = client.get(page.format(entry=f"/audit/{entry}/"))
        assert response.status_code == status, page
    assert not AuditLog.objects.filter(action="EXPORT", user_id=client.user.id).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_admins_and_auditors_read_every_audit_page(signed_in, trail, role):
    entry = trail.row(created_at=BASE)
    client = signed_in(role)
    for page in PAGES:
        assert client.get(page.format(entry=f"/audit/{entry}/")).status_code == 200, page


@pytest.mark.django_db(transaction=True)
def test_anonymous_visitors_go_to_the_login_page(client):
    for page in ("/audit/", "/audit/export/?format=csv", "/audit/actors/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "reads"), [("admin", 1), ("auditor", 1), ("editor", 0), ("viewer", 0)]
)
def test_the_database_shows_editors_and_viewers_no_audit_rows(trail, role, reads):
    trail.row(created_at=BASE)
    user = db_user(role)
    with as_user(user.claims):
        assert AuditLog.objects.filter(table_name=trail.table).count() == reads
        assert AuditLog.objects.filter(table_name=trail.table).with_actor_email().count() == reads


def _refused(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as exc:
        assert is_permission_error(exc), exc
        return True
    return False


CHANGES = [
    "update public.audit_logs set action = 'FORGED' where table_name = '{table}'",
    "delete from public.audit_logs where table_name = '{table}'",
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "auditor", "editor", "viewer"])
def test_no_console_user_updates_or_deletes_an_audit_row(trail, role):
    row = trail.row(created_at=BASE)
    with as_user(db_user(role).claims):
        for sql in CHANGES:
            assert _refused(sql.format(table=trail.table)), sql
    assert AuditLog.objects.get(pk=row).action == "UPDATE"


@pytest.mark.django_db
def test_neither_the_service_role_nor_the_consoles_own_connection_changes_a_row(trail):
    row = trail.row(created_at=BASE)
    for sql in [*CHANGES, "truncate public.audit_logs"]:
        assert _refused(sql.format(table=trail.table)), sql  # the console's connection role
    with connection.cursor() as cursor:
        cursor.execute("select set_config('role', 'service_role', true)")
        try:
            for sql in CHANGES:
                assert _refused(sql.format(table=trail.table)), sql
        finally:
            cursor.execute("reset role")
    assert AuditLog.objects.get(pk=row).action == "UPDATE"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed"), [("admin", True), ("auditor", True), ("editor", False), ("viewer", False)]
)
def test_the_actor_lookups_answer_admins_and_auditors_only(role, allowed):
    target = db_user("viewer", email="lookup.target@example.test")
    queries = [
        ("select private.audit_actor_ids(%s)", ["LOOKUP.target@example.test"]),
        ("select email from private.audit_actor_suggestions(%s, 5)", ["lookup.t"]),
    ]
    with as_user(db_user(role).claims):
        for sql, params in queries:
            if allowed:
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    assert str(cursor.fetchone()[0]) in (target.id, target.email)
            else:
                assert _refused_with(sql, params), sql


def _refused_with(sql: str, params) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return is_permission_error(exc)
    return False
