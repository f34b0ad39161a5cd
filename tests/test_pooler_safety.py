"""What the console sends to PostgreSQL is safe behind Supavisor in transaction mode: no
session-level SET, no server-side cursors, no prepared statements."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db(transaction=True)

FORBIDDEN = [
    (re.compile(r"^\s*SET\s", re.I), "session-level SET"),
    (re.compile(r"set_config\([^)]*,\s*false\s*\)", re.I), "session-level set_config"),
    (
        re.compile(r"^\s*(DECLARE|PREPARE|EXECUTE)\s", re.I),
        "server-side cursor or prepared statement",
    ),
]


def test_a_signed_in_request_uses_only_transaction_local_settings(signed_in):
    client = signed_in("admin")
    connection.close()  # a fresh connection: its start-up is checked too
    with CaptureQueriesContext(connection) as captured:
        for url in ("/", "/agents/?status=active", "/users/", "/audit/"):
            assert client.get(url).status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    assert any("set_config('role', 'authenticated', true)" in s for s in statements)
    for sql in statements:
        for pattern, what in FORBIDDEN:
            assert not pattern.search(sql), f"{what}: {sql}"


def test_the_connection_starts_in_utc_without_a_set_statement():
    connection.close()
    with CaptureQueriesContext(connection) as captured:
        connection.ensure_connection()
    assert captured.captured_queries == []
    assert connection.connection.info.parameter_status("TimeZone") == "UTC"
    assert not connection.settings_dict["OPTIONS"].get("server_side_binding")
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
