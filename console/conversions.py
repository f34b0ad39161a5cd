"""Which column types adoption converts, and how: one rule for `db_migrate --check` and the
adoption migration.

A live project may hold a column in another type than the console's (a generated app's
types call uuid, text and varchar all "string"). The adoption migration
(20261122000000_adopt_existing_backend.sql, step 2) converts the columns of its list with
`column::type`, or `column at time zone 'UTC'` for a timestamp; `CONVERSIONS` says which of
those keep every value, and which values must first be valid input of the new type. The
preflight lists those under "will change" with the expression, and blocks everything else
with SQL that fixes it; tests/adoption/test_column_conversions.py runs the migration on
every entry and compares each value with what the expression gave before.
"""

import re
from dataclasses import dataclass
from functools import cache

from console import schema

TIMESTAMPTZ = "timestamp with time zone"
ADOPTION_MIGRATION = "20261122000000"


@dataclass(frozen=True)
class Conversion:
    using: str  # the adoption migration's expression; {column} is the quoted column
    valid_as: str | None  # every value's text must be valid input of this type
    words: str

    def expression(self, column: str) -> str:
        return self.using.format(column=quote(column))


def _cast(target: str, valid_as: str | None, words: str) -> Conversion:
    return Conversion(f"{{column}}::{target}", valid_as, words)


_TEXTS = ("text", "character varying")

# (live type without its modifier, the console's type) → how
CONVERSIONS: dict[tuple[str, str], Conversion] = {
    ("character varying", "text"): _cast("text", None, "the same text, without a length limit"),
    ("uuid", "text"): _cast("text", None, "each uuid as its text"),
    ("integer", "text"): _cast("text", None, "each number as its digits"),
    ("bigint", "text"): _cast("text", None, "each number as its digits"),
    ("character varying[]", "text[]"): _cast("text[]", None, "the same texts"),
    ("json", "jsonb"): _cast(
        "jsonb", "jsonb", "the same JSON (a repeated key keeps its last value)"
    ),
    ("timestamp without time zone", TIMESTAMPTZ): Conversion(
        "{column} at time zone 'UTC'", None, "each time read as UTC"
    ),
    **{(t, "uuid"): _cast("uuid", "uuid", "each value a uuid") for t in _TEXTS},
    **{(t, "jsonb"): _cast("jsonb", "jsonb", "each value JSON") for t in _TEXTS},
    **{(t, "inet"): _cast("inet", "inet", "each value an IP address") for t in _TEXTS},
    **{
        (t, "boolean"): _cast("boolean", "boolean", "each value true/false, yes/no, on/off, 1/0")
        for t in _TEXTS
    },
    **{
        (t, TIMESTAMPTZ): _cast(
            "timestamptz",
            "timestamptz",
            "each value a time (one without an offset read in the session's time zone)",
        )
        for t in _TEXTS
    },
}


def quote(name: str) -> str:
    """An identifier as SQL writes it (quoted unless plain lower-case)."""
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def base_type(live_type: str) -> str:
    """format_type()'s name without its modifier: character varying(255) → character varying."""
    return re.sub(r"\(\d+(,\d+)?\)", "", live_type)


def conversion(live_type: str, target: str) -> Conversion | None:
    return CONVERSIONS.get((base_type(live_type), target))


@cache
def adopted_columns() -> frozenset[tuple[str, str]]:
    """(table, column) pairs whose type the adoption migration converges: its own list."""
    migration = next(m for m in schema.migrations() if m.version == ADOPTION_MIGRATION)
    listed = migration.sql.partition("insert into adoption_columns values")[2]
    return frozenset(re.findall(r"\('(\w+)', '(\w+)', '[^']+'", listed))


def alter_type_sql(table: str, column: str, target: str, using: str) -> str:
    return (
        f"alter table public.{quote(table)} alter column {quote(column)} type {target}"
        f" using {using};"
    )


def rename_sql(table: str, column: str) -> str:
    return (
        f"alter table public.{quote(table)} rename column {quote(column)}"
        f" to {quote(column + '_legacy')};"
    )
