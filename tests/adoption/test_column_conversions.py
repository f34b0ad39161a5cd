"""Columns a live project holds in another type than the console's (a generated app's types
call uuid, text and varchar all "string"): the check and the adoption migration follow one
rule, console.conversions. Each conversion it allows is listed under "will change" with its
expression, and the migration then leaves every value as that expression gave it; what
cannot convert blocks with SQL that fixes it."""

import datetime
import uuid

import pytest

from console import conversions
from tests.adoption.conftest import check, migrate

pytestmark = pytest.mark.django_db

TZ = conversions.TIMESTAMPTZ
SOME_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"

# (live type, console type) → (table, column, live type as written, value in that type,
# the value after adoption)
SAMPLES = {
    ("character varying", "text"): ("profiles", "display_name", "varchar(40)", "'Alice'", "Alice"),
    ("uuid", "text"): ("audit_logs", "record_id", "uuid", f"'{SOME_ID}'", SOME_ID),
    ("integer", "text"): ("system_performance_logs", "system_id", "integer", "42", "42"),
    ("bigint", "text"): (
        "knowledge_base_entries",
        "category",
        "bigint",
        "9007199254740993",
        "9007199254740993",
    ),
    ("character varying[]", "text[]"): (
        "knowledge_base_entries",
        "tags",
        "varchar(20)[]",
        "'{ops,\"on call\"}'",
        ["ops", "on call"],
    ),
    ("json", "jsonb"): (
        "crew_nuclear_system",
        "performance_data",
        "json",
        "'{\"ms\": 12.50}'",
        {"ms": 12.5},
    ),
    ("timestamp without time zone", TZ): (
        "ai_agents",
        "last_activity",
        "timestamp",
        "'2024-03-01 10:00:00'",
        datetime.datetime(2024, 3, 1, 10, 0, tzinfo=datetime.UTC),
    ),
    ("text", "uuid"): (
        "knowledge_base_entries",
        "created_by",
        "text",
        f"'{SOME_ID.upper()}'",
        uuid.UUID(SOME_ID),
    ),
    ("character varying", "uuid"): (
        "deployment_packages",
        "created_by",
        "varchar(36)",
        f"'{SOME_ID}'",
        uuid.UUID(SOME_ID),
    ),
    ("text", "jsonb"): ("deployment_packages", "configuration", "text", "'[1, 2]'", [1, 2]),
    ("character varying", "jsonb"): (
        "deployment_packages",
        "deployment_data",
        "varchar(200)",
        "'{\"a\": null}'",
        {"a": None},
    ),
    ("text", "inet"): ("audit_logs", "ip_address", "text", "'192.0.2.7'", "192.0.2.7"),
    ("character varying", "inet"): (
        "audit_logs",
        "ip_address",
        "varchar(45)",
        "'2001:db8::1'",
        "2001:db8::1",
    ),
    ("text", "boolean"): ("ai_agents", "is_active", "text", "'yes'", True),
    ("character varying", "boolean"): (
        "knowledge_base_entries",
        "is_active",
        "varchar(5)",
        "'off'",
        False,
    ),
    ("text", TZ): (
        "crew_nuclear_system",
        "last_execution",
        "text",
        "'2024-03-01 10:00:00+02'",
        datetime.datetime(2024, 3, 1, 8, 0, tzinfo=datetime.UTC),
    ),
    ("character varying", TZ): (
        "deployment_packages",
        "deployed_at",
        "varchar(40)",
        "'2024-03-01T10:00:00Z'",
        datetime.datetime(2024, 3, 1, 10, 0, tzinfo=datetime.UTC),
    ),
}


def _retype(hosted, table, column, live_type, value):
    """What the old app left: the column in its own type, every row holding `value`."""
    with hosted.connect(owner=False) as conn:
        conn.execute(f"alter table public.{table} alter column {column} drop default")
        conn.execute(
            f"alter table public.{table} alter column {column} type {live_type} using {value}"
        )


def _values(hosted, table, sql) -> dict:
    """id → the value of `sql`, for each row of the table."""
    with hosted.connect(owner=False) as conn:
        conn.execute("set timezone = 'UTC'")
        return dict(conn.execute(f"select id, {sql} from public.{table}").fetchall())


def test_every_conversion_of_the_rule_has_a_sample():
    assert set(SAMPLES) == set(conversions.CONVERSIONS)


@pytest.mark.parametrize("key", list(SAMPLES), ids=lambda key: f"{key[0]}->{key[1]}")
def test_the_migration_converts_as_the_check_says_and_keeps_every_value(hosted_db, key):
    table, column, written, value, expected = SAMPLES[key]
    _retype(hosted_db, table, column, written, value)
    step = conversions.CONVERSIONS[key]

    report = check(hosted_db)
    assert not report.blocked, report.blockers
    said = [c for c in report.changes if c.startswith(f"converts {table}.{column} from ")]
    assert said == [
        f"converts {table}.{column} from {_format_type(hosted_db, table, column)} to {key[1]}:"
        f" {step.words} (using {step.expression(column)})"
    ]
    before = _values(hosted_db, table, step.expression(column))
    assert before

    migrate(hosted_db)
    after = _values(hosted_db, table, column)
    assert {i: after[i] for i in before} == before
    for value in before.values():
        assert (str(value) if key[1] == "inet" else value) == expected


def _format_type(hosted, table, column):
    with hosted.connect(owner=False) as conn:
        return conn.execute(
            "select format_type(atttypid, atttypmod) from pg_attribute"
            " where attrelid = %s::regclass and attname = %s",
            [f"public.{table}", column],
        ).fetchone()[0]


def test_json_that_jsonb_cannot_hold_blocks_and_renaming_keeps_it(hosted_db):
    _retype(hosted_db, "crew_nuclear_system", "performance_data", "json", '\'{"a": "\\u0000"}\'')
    [crew] = _values(hosted_db, "crew_nuclear_system", "id")
    rename = (
        "alter table public.crew_nuclear_system rename column performance_data"
        " to performance_data_legacy;"
    )

    assert (
        "crew_nuclear_system.performance_data (json → jsonb): 1 row cannot be converted"
        f" (ids {crew}): correct it, or keep its values under another name (`{rename}`;"
        " adoption then adds an empty performance_data)"
    ) in check(hosted_db).blockers

    with hosted_db.connect() as conn:
        conn.execute(rename)
    report = check(hosted_db)
    assert not report.blocked, report.blockers
    assert "adds column crew_nuclear_system.performance_data (jsonb)" in report.changes
    migrate(hosted_db)
    kept = _values(hosted_db, "crew_nuclear_system", "performance_data_legacy::text")
    assert kept == {crew: '{"a": "\\u0000"}'}


def test_a_value_that_is_no_uuid_blocks_on_every_version(hosted_db):
    _retype(hosted_db, "knowledge_base_entries", "created_by", "text", "'alice'")
    blockers = [
        b for b in check(hosted_db).blockers if b.startswith("knowledge_base_entries.created_by")
    ]
    assert len(blockers) == 1
    assert blockers[0].startswith(
        "knowledge_base_entries.created_by (text → uuid): 2 rows cannot be converted (ids "
    )
    assert blockers[0].endswith(
        "): correct them, or keep its values under another name (`alter table"
        " public.knowledge_base_entries rename column created_by to created_by_legacy;`;"
        " adoption then adds an empty created_by)"
    )
    for entry in _values(hosted_db, "knowledge_base_entries", "id"):
        assert str(entry) in blockers[0]


def test_a_type_with_no_lossless_conversion_blocks_with_the_sql_that_fixes_it(hosted_db):
    _retype(hosted_db, "system_performance_logs", "metrics", "point", "point(1, 2)")
    _retype(hosted_db, "ai_agents", "last_activity", "date", "date '2024-03-01'")
    blockers = check(hosted_db).blockers
    # Not null: only converting keeps the rows.
    assert (
        "system_performance_logs.metrics is point; the console needs jsonb, and no conversion"
        " keeps every value: convert it yourself (`alter table public.system_performance_logs"
        " alter column metrics type jsonb using <your expression>;`)"
    ) in blockers
    assert (
        "ai_agents.last_activity is date; the console needs timestamp with time zone, and no"
        " conversion keeps every value: convert it yourself (`alter table public.ai_agents alter"
        " column last_activity type timestamp with time zone using <your expression>;`), or keep"
        " its values under another name (`alter table public.ai_agents rename column"
        " last_activity to last_activity_legacy;`; adoption then adds an empty last_activity)"
    ) in blockers


def test_on_a_managed_database_nothing_converts_so_a_different_type_blocks(hosted_db):
    migrate(hosted_db)
    with hosted_db.connect(owner=False) as conn:
        conn.execute("alter table public.ai_agents alter column status type varchar(20)")
    fix = "alter table public.ai_agents alter column status type text using status::text;"
    assert (
        "ai_agents.status is character varying(20), the console's text, and no migration"
        f" converts it on this database: run `{fix}` (the same text, without a length limit)"
    ) in check(hosted_db).blockers

    with hosted_db.connect() as conn:
        conn.execute(fix)
    report = check(hosted_db)
    assert report.blockers == [] and report.changes == []
