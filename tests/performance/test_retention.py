"""Retention: a dry run counts, a run deletes in batches and leaves a RETENTION row per batch;
audit rows go only through the database function, never a RETENTION row, and never for a
non-admin."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from console.rls import as_user
from performance import retention
from performance.models import RetentionPolicy
from tests.factories import db_user
from tests.performance.conftest import insert_samples

pytestmark = pytest.mark.django_db(transaction=True)
LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)


def old_audit_rows(table: str, count: int, action: str = "UPDATE") -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.audit_logs (action, table_name, record_id, created_at)"
            " select %s, %s, g::text, %s - make_interval(days => g) from generate_series(1, %s) g",
            [action, table, LONG_AGO, count],
        )


def audit_count(table: str, action: str | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from public.audit_logs where table_name = %s"
            " and (%s::text is null or action = %s)",
            [table, action, action],
        )
        return cursor.fetchone()[0]


def retention_rows(table: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "select new_values from public.audit_logs where action = 'RETENTION'"
            " and table_name = %s order by created_at",
            [table],
        )
        return [
            json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in cursor.fetchall()
        ]


def set_policy(table, keep_days, enabled):
    RetentionPolicy.objects.filter(pk=table).update(keep_days=keep_days, enabled=enabled)


def test_defaults_performance_90_days_on_audit_off():
    policies = {p.table_name: p for p in RetentionPolicy.objects.all()}
    assert policies["system_performance_logs"].keep_days == 90
    assert policies["system_performance_logs"].enabled
    assert not policies["audit_logs"].enabled


def test_the_command_dry_runs_then_deletes_old_samples_in_batches(capsys):
    now = datetime.now(UTC)
    insert_samples(
        [("api", "old", {"latency_ms": 1}, now - timedelta(days=100 + i)) for i in range(12)]
    )
    insert_samples([("api", "new", {"latency_ms": 1}, now - timedelta(days=1))])
    call_command("apply_retention", "--dry-run", "--table", "system_performance_logs")
    assert "12 rows older than 90 days would be deleted" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from public.system_performance_logs")
        assert cursor.fetchone()[0] == 13  # the dry run deleted nothing
    with connection.cursor() as cursor:
        cursor.execute("select clock_timestamp()")
        started = cursor.fetchone()[0]
    call_command("apply_retention", "--table", "system_performance_logs", "--batch", "5")
    assert "12 rows older than 90 days deleted in 3 batches" in capsys.readouterr().out
    with connection.cursor() as cursor:
        # A RETENTION row per batch, not a DELETE row per sample (where writes are audited
        # by trigger, retention's deletes are not).
        cursor.execute(
            "select action, (new_values ->> 'deleted')::int from public.audit_logs"
            " where table_name = 'system_performance_logs' and created_at >= %s"
            " order by created_at",
            [started],
        )
        assert cursor.fetchall() == [("RETENTION", 5), ("RETENTION", 5), ("RETENTION", 2)]
    with connection.cursor() as cursor:
        cursor.execute("select system_id from public.system_performance_logs")
        assert cursor.fetchall() == [("new",)]
    last = retention_rows("system_performance_logs")[-1]
    assert last["keep_days"] == 90 and last["complete"]
    policy = RetentionPolicy.objects.get(pk="system_performance_logs")
    assert policy.last_run and policy.last_counts["deleted"] == 12
    assert policy.last_counts["batches"] == 3 and policy.last_counts["complete"]


def test_audit_retention_deletes_old_rows_but_never_a_retention_row(capsys):
    table = f"retention-{uuid.uuid4().hex[:8]}"
    old_audit_rows(table, 7)
    old_audit_rows(table, 2, action="RETENTION")
    set_policy("audit_logs", 3650, False)
    try:
        call_command("apply_retention", "--table", "audit_logs")
        assert "disabled, skipped" in capsys.readouterr().out
        assert audit_count(table) == 9
        set_policy("audit_logs", 3650, True)
        call_command("apply_retention", "--table", "audit_logs", "--batch", "3")
        assert audit_count(table) == 2 and audit_count(table, "RETENTION") == 2
        assert RetentionPolicy.objects.get(pk="audit_logs").last_counts["deleted"] >= 7
    finally:
        set_policy("audit_logs", 365, False)


def test_audit_logs_stay_append_only_outside_the_function():
    table = f"retention-{uuid.uuid4().hex[:8]}"
    old_audit_rows(table, 1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("delete from public.audit_logs where table_name = %s", [table])
    # A grant left for another transaction does not open this one.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("insert into private.retention_grants values (txid_current() + 1)")
        cursor.execute("delete from public.audit_logs where table_name = %s", [table])
    assert audit_count(table) == 1


@pytest.mark.parametrize("role", ["editor", "auditor", "viewer"])
def test_non_admins_cannot_run_retention(role):
    user = db_user(role)
    for sql in (
        "select private.apply_retention_batch('audit_logs', 10)",
        "select private.apply_retention_batch('system_performance_logs', 10)",
        "select * from private.retention_preview('audit_logs', 1)",
    ):
        with pytest.raises(DatabaseError), as_user(user.claims), connection.cursor() as cursor:
            cursor.execute(sql)
    # …nor write the grant table or delete audit rows themselves.
    with pytest.raises(DatabaseError), as_user(user.claims), connection.cursor() as cursor:
        cursor.execute("insert into private.retention_grants values (txid_current())")


def test_a_signed_in_user_without_claims_is_no_service_connection():
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("set local role authenticated")
        cursor.execute("select private.apply_retention_batch('system_performance_logs', 10)")


def test_an_admin_dry_runs_and_applies_in_the_browser_and_the_trail_shows_it(signed_in):
    now = datetime.now(UTC)
    insert_samples([("api", "old", {"latency_ms": 1}, now - timedelta(days=120)) for _ in range(4)])
    admin = signed_in("admin")
    page = admin.post(
        "/performance/retention/", {"table": "system_performance_logs", "action": "dry_run"}
    )
    assert page.status_code == 200
    assert "<strong>4</strong> rows older than 90 days" in page.content.decode()
    [confirmation] = [r["confirmation"] for r in page.context["rows"] if r["confirmation"]]
    done = admin.post(
        "/performance/retention/",
        {"table": "system_performance_logs", "action": "apply", "confirmation": confirmation},
        follow=True,
    )
    assert "4 rows older than 90 days deleted" in done.content.decode()
    trail = admin.get("/audit/?action=RETENTION")
    assert "system_performance_logs" in trail.content.decode()
    assert retention_rows("system_performance_logs")[-1]["deleted"] == 4


def test_an_admin_changes_a_policy_audited(signed_in):
    admin = signed_in("admin")
    try:
        admin.post(
            "/performance/retention/",
            {
                "table": "audit_logs",
                "action": "save",
                "audit_logs-keep_days": "400",
                "audit_logs-enabled": "",
            },
        )
        assert RetentionPolicy.objects.get(pk="audit_logs").keep_days == 400
        with connection.cursor() as cursor:
            cursor.execute(
                "select old_values, new_values from public.audit_logs where action = 'UPDATE'"
                " and table_name = 'retention_policies' order by created_at desc limit 1"
            )
            old, new = cursor.fetchone()
        new = json.loads(new) if isinstance(new, str) else new
        assert new["keep_days"] == 400
    finally:
        set_policy("audit_logs", 365, False)


@pytest.mark.parametrize("role", ["auditor", "editor"])
def test_others_cannot_post_retention(role, signed_in):
    response = signed_in(role).post(
        "/performance/retention/", {"table": "audit_logs", "action": "apply"}
    )
    assert response.status_code == 403


def test_outcome_counts_are_json():
    assert json.dumps(retention.Outcome("audit_logs", 1, 2, 3, True).counts())
