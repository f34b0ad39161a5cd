"""The suite serves every request as the console's production login role, and says so when a
view runs on a privileged connection (tests/console_role.py)."""

import pytest
from django.db import connection
from django.test import Client

from tests import console_role

pytestmark = pytest.mark.django_db(transaction=True)


def _console_sessions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "select usename from pg_stat_activity"
            " where application_name = 'billygoat-console' and pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


def test_an_anonymous_page_is_served_as_the_console_role():
    console_role.close()
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert _console_sessions() == {"billygoat_console"}


def test_a_signed_in_page_is_served_as_the_console_role(signed_in):
    client = signed_in("admin")
    console_role.close()
    assert client.get("/").status_code == 200
    assert _console_sessions() == {"billygoat_console"}


def test_the_role_check_names_a_superuser_connection():
    connection.ensure_connection()
    console_role._check_role(connection)
    found, console_role._privileged_requests[:] = list(console_role._privileged_requests), []
    assert found == [connection.settings_dict["USER"]]


def test_a_request_inside_the_tests_open_transaction_is_refused(django_db_blocker):
    with django_db_blocker.unblock(), pytest.raises(console_role.OwnerTransactionOpen):
        from django.db import transaction

        with transaction.atomic():
            Client().get("/login/")
