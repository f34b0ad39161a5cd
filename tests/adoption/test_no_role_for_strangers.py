"""No console role for strangers: a new auth user gets a profile with no role and no access,
in the console and through the database; the legacy role 'user' gives none either; the first
admin is made with promote_user_to_admin from the SQL editor (no JWT claims)."""

import uuid

import pytest
from django.db import connection
from django.urls import reverse

from console.rls import as_user
from console.roles import Role
from tests.factories import claims_for, db_user
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD


def _sign_up(auth_admin):
    """What a sign-up does to the database: Supabase Auth inserts the auth user; the
    console's trigger alone gives the profile (nothing here sets a role)."""
    email = f"stranger-{uuid.uuid4().hex[:8]}@example.test"
    user = auth_admin.create_user(
        {"email": email, "password": DEFAULT_TEST_PASSWORD, "email_confirm": True}
    ).user
    return user, email


def test_a_user_who_signs_up_gets_no_access_in_the_console_and_the_database(
    client, auth_server, auth_admin, transactional_db
):
    user, email = _sign_up(auth_admin)
    with connection.cursor() as cursor:
        cursor.execute("select role from public.profiles where id = %s", [user.id])
        assert cursor.fetchone() == (None,)
        cursor.execute("insert into public.ai_agents (name, type) values ('Ingest', 'agent')")
    response = client.post(
        reverse("console:login"), {"email": email, "password": DEFAULT_TEST_PASSWORD}
    )
    assert response.status_code == 302
    for url in ("/", "/agents/", "/knowledge/", "/audit/"):
        page = client.get(url)
        assert page.status_code == 403 and "no access" in page.content.decode().lower(), url
    with as_user(claims_for(str(user.id), email)), connection.cursor() as cursor:
        for table in ("ai_agents", "knowledge_base_entries", "deployment_packages", "audit_logs"):
            cursor.execute(f"select count(*) from public.{table}")
            assert cursor.fetchone()[0] == 0, table


def test_the_legacy_role_user_gives_no_console_access():
    assert Role.from_profile("user") is None
    assert Role.from_profile("viewer") is Role.VIEWER


@pytest.mark.django_db
def test_the_legacy_role_user_reads_nothing_through_rls():
    end_user = db_user("user")
    with connection.cursor() as cursor:
        cursor.execute("insert into public.ai_agents (name, type) values ('Ingest', 'agent')")
    with as_user(end_user.claims), connection.cursor() as cursor:
        cursor.execute("select count(*) from public.ai_agents")
        assert cursor.fetchone()[0] == 0
        cursor.execute("select private.app_role()")
        assert cursor.fetchone()[0] is None


@pytest.mark.django_db
def test_the_first_admin_is_made_from_the_sql_editor_without_claims():
    first = db_user(None)
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.profiles (id, email) values (%s, %s)", [first.id, first.email]
        )
        cursor.execute("select public.promote_user_to_admin(%s)", [first.email])
        cursor.execute("select role from public.profiles where id = %s", [first.id])
        assert cursor.fetchone() == ("admin",)


@pytest.mark.django_db
def test_promote_user_to_admin_still_refuses_a_signed_in_non_admin():
    viewer, target = db_user("viewer"), db_user(None)
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.profiles (id, email) values (%s, %s)", [target.id, target.email]
        )
    from django.db import DatabaseError, transaction

    with (
        pytest.raises(DatabaseError, match="only an admin"),
        transaction.atomic(),
        as_user(viewer.claims),
        connection.cursor() as cursor,
    ):
        cursor.execute("select public.promote_user_to_admin(%s)", [target.email])
