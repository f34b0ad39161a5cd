"""Every filter of the audit trail has an index behind it that also gives the keyset order
(created_at desc, id desc): the page is read straight from the index, with no sort and no scan
of the table. Each case keeps only its own index (DDL is transactional: the test's rollback
puts the others back) and asks the planner for the page. The bench shows what that means at a
million rows."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from audit.filters import AuditLogFilterSet
from console.audit_log import AuditLog
from console.pagination import Keyset
from console.rls import as_user
from tests.factories import db_user

MIGRATION = Path(settings.BASE_DIR) / "supabase/migrations/20261122030000_audit_trail_indexes.sql"


def plan_with_only(index: str, queryset) -> dict:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "select indexname from pg_indexes where schemaname = 'public'"
            " and tablename = 'audit_logs' and indexname not in (%s, 'audit_logs_pkey')",
            [index],
        )
        for (other,) in cursor.fetchall():
            cursor.execute(f'drop index public."{other}"')
        # No sequential scan, no sort: a plan exists only if the index serves filter and order.
        cursor.execute("set local enable_seqscan = off")
        cursor.execute("set local enable_sort = off")
        cursor.execute("set local enable_incremental_sort = off")
        cursor.execute(f"explain (format json) {sql}", params)
        result = cursor.fetchone()[0]
        transaction.set_rollback(True)
    return (json.loads(result) if isinstance(result, str) else result)[0]["Plan"]


def nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def first_page(data: dict):
    with as_user(db_user("auditor").claims):  # the actor's email is looked up as the user
        filterset = AuditLogFilterSet(data, queryset=AuditLog.objects.with_actor_email())
        assert filterset.is_valid(), filterset.errors
    return filterset.qs.order_by(*Keyset(("-created_at", "-id")).ordering())[:51]


@pytest.fixture
def actor_email():
    return db_user("editor").email


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "index", "columns"),
    [
        ({}, "idx_audit_logs_created_id", ()),
        (
            {"since": "2025-01-01", "until": "2025-02-01"},
            "idx_audit_logs_created_id",
            ("created_at",),
        ),
        ({"actor": "{actor}"}, "idx_audit_logs_user_keyset", ("user_id",)),
        ({"actor": "system"}, "idx_audit_logs_system_keyset", ()),
        (
            {"actor": "{actor}", "action": "update"},
            "idx_audit_logs_user_action_keyset",
            ("user_id", "action"),
        ),
        ({"action": "delete"}, "idx_audit_logs_action_keyset", ("action",)),
        (
            {"action": "delete", "table": "profiles"},
            "idx_audit_logs_action_table_keyset",
            ("action", "table_name"),
        ),
        ({"table": "profiles"}, "idx_audit_logs_table_keyset", ("table_name",)),
        (
            {"table": "profiles", "record": "r1"},
            "idx_audit_logs_record_created",
            ("table_name", "record_id"),
        ),
        ({"record": "r1"}, "idx_audit_logs_record_keyset", ("record_id",)),
        ({"ip": "192.0.2.7"}, "idx_audit_logs_ip_keyset", ("ip_address",)),
        (
            {"action": "delete", "since": "2025-01-01"},
            "idx_audit_logs_action_keyset",
            ("action", "created_at"),
        ),
    ],
)
def test_each_filter_reads_its_page_in_keyset_order_from_its_index(
    actor_email, data, index, columns
):
    data = {name: value.format(actor=actor_email) for name, value in data.items()}
    root = plan_with_only(index, first_page(data))
    assert not [n for n in nodes(root) if "Sort" in n["Node Type"]], root
    scans = [n for n in nodes(root) if n.get("Relation Name") == "audit_logs"]
    assert [(n["Node Type"], n["Index Name"]) for n in scans] == [("Index Scan", index)], scans
    for column in columns:
        assert column in scans[0]["Index Cond"], (column, scans[0])


@pytest.mark.django_db
def test_an_ip_network_is_served_by_the_gist_inet_index():
    filterset = AuditLogFilterSet({"ip": "10.0.0.0/8"}, queryset=AuditLog.objects.all())
    assert filterset.is_valid()
    root = plan_with_only("idx_audit_logs_ip_gist", filterset.qs.order_by())
    used = [n for n in nodes(root) if n.get("Index Name") == "idx_audit_logs_ip_gist"]
    assert used and "<<=" in used[0]["Index Cond"], root


@pytest.mark.django_db
def test_the_index_migration_is_idempotent():
    with connection.cursor() as cursor:
        cursor.execute(MIGRATION.read_text())  # applied already: running it again changes nothing
        cursor.execute(
            "select count(*) from pg_indexes where tablename = 'audit_logs'"
            " and indexname like 'idx_audit_logs_%%keyset' and indexname <> 'idx_audit_logs_actor_email_keyset'"
        )
        assert cursor.fetchone()[0] == 8
