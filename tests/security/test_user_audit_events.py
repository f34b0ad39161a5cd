"""log_audit_event, which PostgREST offers every signed-in user, writes notes (action
`USER:<word>`) that no page takes for the database's or the console's own rows: no planted
lifecycle step in a release timeline, no forged role change in a record's history. Only a
console role may call it, never with an action the console writes, on a table the database
does not audit, or more often than its limits allow. Calls are made the way PostgREST makes
them: as `authenticated` with the user's claims."""

import pytest
from django.db import connection

from console.audit_log import AuditLog
from console.history import record_history
from console.rls import as_user
from console.users.activity import user_activity
from tests.factories import db_user

pytestmark = pytest.mark.django_db(transaction=True)

FORGED = "FORGED-STEP emergency rollback approved"


def log_as(user, *args) -> str | None:
    """log_audit_event(*args) as the user; the SQLSTATE it fails with, None when it succeeds."""
    placeholders = ", ".join(["%s"] * len(args))
    casts = ["", "", "", "::jsonb", "::jsonb"]
    sql = "select public.log_audit_event(" + ", ".join(
        p + c for p, c in zip(placeholders.split(", "), casts, strict=False)
    )
    try:
        with as_user(user.claims), connection.cursor() as cursor:
            cursor.execute(sql + ")", list(args))
    except Exception as exc:
        return getattr(exc.__cause__, "sqlstate", "?")
    return None


def package(name="probe") -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.deployment_packages (name, package_type, version, status)"
            " values (%s, 'agent', '1.0.0', 'draft') returning id",
            [name],
        )
        return str(cursor.fetchone()[0])


def test_a_user_without_a_console_role_cannot_log_at_all():
    stranger = db_user(None)
    assert log_as(stranger, "NOTE", "deployment_packages", package(), None, '{"a": 1}') == "42501"
    assert not AuditLog.objects.filter(user_id=stranger.id).exists()


@pytest.mark.parametrize(
    "action",
    [
        "CLEANUP",
        "retention",
        "EXPORT",
        "BAN",
        "UNBAN",
        "PAUSE",
        "ROLE_CHANGE",
        "IMPORT",
        "UPDATE",
        "LOGIN",
        "PASSWORD_SET",
        "MFA_VERIFY",
    ],
)
def test_the_actions_the_console_writes_are_refused(action):
    viewer = db_user("viewer")
    assert log_as(viewer, action, "deployment_packages", package()) == "42501"
    assert not AuditLog.objects.filter(user_id=viewer.id).exists()


def test_a_note_is_stored_as_the_callers_and_as_a_note():
    viewer = db_user("viewer")
    record = package()
    assert log_as(viewer, "note", "deployment_packages", record, None, '{"a": 1}') is None
    [row] = AuditLog.objects.filter(user_id=viewer.id)
    assert (row.action, row.table_name, row.record_id, row.new_values) == (
        "USER:NOTE",
        "deployment_packages",
        record,
        {"a": 1},
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("NOTE", "audit_logs", "1"), "22023"),  # not a table the database audits
        (("NOTE", "no_such_table"), "22023"),
        (("NOTE", None, "7"), "22023"),  # a record without its table
        (("NOTE", "profiles", "x" * 201), "22023"),
        (("two words",), "22023"),
        (("NOTE", None, None, '{"x": "%s"}' % ("y" * 9000), '{"x": "%s"}' % ("y" * 9000)), "54000"),
    ],
)
def test_tables_records_and_sizes_are_bounded(args, code):
    viewer = db_user("viewer")
    assert log_as(viewer, *args) == code
    assert not AuditLog.objects.filter(user_id=viewer.id).exists()


def test_notes_are_rate_limited_per_user():
    viewer, other = db_user("viewer"), db_user("viewer")
    for n in range(20):
        assert log_as(viewer, "NOTE", None, None, None, f'{{"n": {n}}}') is None
    assert log_as(viewer, "NOTE") == "BGN01"
    assert log_as(viewer, "OTHER") == "BGN01"
    assert AuditLog.objects.filter(user_id=viewer.id).count() == 20
    assert log_as(other, "NOTE") is None  # per user


def test_a_planted_status_is_no_step_of_the_release_timeline(client_as):
    record = package("probe")
    viewer = db_user("viewer")
    forged = f'{{"status": "deployed", "status_reason": "{FORGED}"}}'
    log_as(viewer, "NOTE", "deployment_packages", record, None, forged)
    log_as(viewer, "CLEANUP", "deployment_packages", record, None, forged)
    assert AuditLog.objects.filter(record_id=record, action="USER:NOTE").exists()
    page = client_as("admin").get("/deployments/name/probe/")
    assert page.status_code == 200
    html = page.content.decode()
    assert FORGED not in html
    steps = page.context["timeline"].steps
    assert [(s.status, s.from_audit) for s in steps] == [("draft", True)]


def test_a_forged_role_change_is_in_no_history():
    victim, admin, viewer = db_user("viewer"), db_user("admin"), db_user("viewer")
    forged = ("NOTE", "profiles", victim.id, '{"role": "viewer"}', '{"role": "admin"}')
    assert log_as(viewer, *forged) is None
    with as_user(admin.claims):
        with connection.cursor() as cursor:  # the real one, by an admin
            cursor.execute("update public.profiles set role = 'editor' where id = %s", [victim.id])
        history = record_history("profiles", victim.id)
        activity = user_activity(victim.id)
    for entries in (history.entries, activity.entries):
        assert "USER:NOTE" not in [e.action for e in entries]
        changes = [(c.old_text, c.new_text) for e in entries for c in e.changes]
        assert ("viewer", "editor") in changes and ("viewer", "admin") not in changes
    with as_user(viewer.claims):  # their own activity leaves the note out as well
        assert "USER:NOTE" not in [e.action for e in record_history("profiles", viewer.id).entries]
