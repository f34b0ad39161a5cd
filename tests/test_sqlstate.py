"""Errors from the database are recognised by SQLSTATE and the constraint our SQL names,
never by their message text."""

import re
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from console import audited, sqlstate
from console.rls import as_user
from console.users import actions
from tests.factories import db_user

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def failure(statement, params=()) -> DatabaseError:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except DatabaseError as exc:
        return exc
    raise AssertionError("the statement did not fail")


def raised(message: str, errcode: str, constraint: str | None = None) -> DatabaseError:
    """An error raised in SQL with exactly this message, code and constraint name."""
    using = f"errcode = '{errcode}'" + (f", constraint = '{constraint}'" if constraint else "")
    quoted = message.replace("'", "''")
    return failure(f"do $$ begin raise exception '{quoted}' using {using}; end $$")


def test_the_last_active_admin_refusal_names_its_constraint():
    admin = db_user("admin")
    demotion = failure("update public.profiles set role = 'editor' where id = %s", [admin.id])
    assert sqlstate.sqlstate(demotion) == "23514"
    assert sqlstate.is_last_active_admin(demotion)
    with as_user(admin.claims):
        gate = failure("select private.authorize_user_admin('demote', %s)", [admin.id])
    assert sqlstate.is_last_active_admin(gate)


def test_a_reworded_message_is_still_recognised_by_its_code():
    exc = raised("il ne reste plus d'administrateur", "23514", sqlstate.KEEP_AN_ACTIVE_ADMIN)
    refusal = actions._refusal(exc)
    assert isinstance(refusal, audited.WriteRefused) and refusal.message == actions.LAST_ADMIN


def test_the_words_alone_do_not_make_a_last_admin_refusal():
    exc = raised("the last active admin cannot be demoted, banned or deleted", "23514")
    assert not sqlstate.is_last_active_admin(exc)
    assert actions._refusal(exc).message != actions.LAST_ADMIN


def test_permission_errors_are_told_by_sqlstate():
    exc = raised("anything at all", "42501")
    assert sqlstate.sqlstate(exc) == sqlstate.INSUFFICIENT_PRIVILEGE
    assert actions._refusal(exc).message == actions.NOT_ADMIN


# Reading an exception's text to decide what happened: the patterns this item removed.
MESSAGE_MATCHING = re.compile(
    r"""["'][^"']+["']\s+(not\s+)?in\s+str\((exc|e|error)\)|\.pgerror|message_primary"""
)


def test_no_code_decides_by_an_error_message():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/")):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if MESSAGE_MATCHING.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
