"""Pages of big results without a full COUNT(*).

Page numbers (EstimatedCountPaginator, the paginator of every numbered list): the planner says
how many rows the filtered query will return (EXPLAIN, which also sees Row Level Security). Below
EXACT_COUNT_LIMIT the count is made exact; above it the estimate is shown as "about N", as
Supabase Studio does.

Keyset pages (Keyset, for KeysetListView): "newer"/"older" by cursor, for append-mostly tables
such as the audit trail, where even an estimate is more than the page needs.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from time import monotonic
from urllib.parse import quote, unquote

from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connections, models
from django.db.models import Count, Q, Window
from django.utils import timezone

from console import sideband

# Counting 10,000 rows through an index costs about a millisecond, every time the page is shown;
# the planner's estimate of a bigger result is as useful to the reader and costs nothing.
EXACT_COUNT_LIMIT = 10_000


def _plan_rows(cursor, sql: str, params) -> int:
    cursor.execute(f"explain (format json) {sql}", params)
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


# (database alias, SQL, its parameters) -> (the planner's rows, until when), asked again at
# most once a minute per process. The planner's number follows the table's statistics, not
# each page load, and it is the same for every user (a policy's conditions on the user are
# unknown at plan time); a list shows it as "about N", and an estimate below the exact
# limit is counted anyway. A big list's first page, reloaded, needs no EXPLAIN.
_ESTIMATES: dict[tuple, tuple[int, float]] = {}
ESTIMATE_SECONDS = 60
ESTIMATES_KEPT = 512


def _explained_rows(queryset) -> int:
    sql, params = queryset.order_by().query.sql_with_params()
    key = (queryset.db, sql, repr(params))
    now = monotonic()
    known = _ESTIMATES.get(key)
    if known is not None and known[1] > now:
        return known[0]
    with connections[queryset.db].cursor() as cursor:
        rows = _plan_rows(cursor, sql, params)
    if len(_ESTIMATES) >= ESTIMATES_KEPT:
        _ESTIMATES.clear()  # (a crude bound: rarely reached, and only costs EXPLAINs again)
    _ESTIMATES[key] = (rows, now + ESTIMATE_SECONDS)
    return rows


def forget_statistics() -> None:
    """Forget what this process learnt of the tables and their estimates (tests that build
    tables of their own from one test to the next)."""
    _ESTIMATES.clear()
    _TABLE_FACTS.clear()


@dataclass(frozen=True)
class TableFacts:
    policy_factor: float  # see _table_facts
    rows: float  # a table's rows at its last ANALYZE or VACUUM (pg_class); -1: unknown, a view
    until: float  # when to look again, on monotonic()


# (database alias, table) -> what the side connection found out, looked up again every few
# minutes per process (tables grow; a view or a table may gain RLS).
_TABLE_FACTS: dict[tuple[str, str], TableFacts] = {}
TABLE_FACTS_SECONDS = 300
# A table never analyzed (reltuples -1: autovacuum analyzes after 50 changed rows) is known
# small below this size: at 28 bytes at least per row (header and line pointer), it holds
# fewer than EXACT_COUNT_LIMIT rows.
NEVER_ANALYZED_SMALL_BYTES = 256 * 1024
# How long the side connection waits for a table's lock, and for its statements, to learn
# the facts: a list never waits on them (it goes on without them, see _table_facts).
FACTS_LOCK_TIMEOUT_MS = 200
FACTS_STATEMENT_TIMEOUT_MS = 2000
FACTS_RETRY_SECONDS = 15  # after a failure to learn them


def _table_facts(queryset) -> TableFacts:
    """The table's size as the statistics know it, and how much the planner's guess at its
    Row Level Security policy shrinks every estimate on it: the whole table as the
    `authenticated` role ÷ the table's rows. At plan time the policy's role check (an
    InitPlan) is unknown, so the planner guesses it keeps a few percent of the rows (the
    knowledge table's 100,000 rows were "1,944"), and every count looked small enough to make
    exact. The factor is 1 for a table or view without RLS.

    Worked out on the side connection (console.sideband), so that it never adds to a page's
    queries."""
    key = (queryset.db, queryset.model._meta.db_table)
    now = monotonic()
    known = _TABLE_FACTS.get(key)
    if known and known.until > now:
        return known
    table = connections[queryset.db].ops.quote_name(queryset.model._meta.db_table)
    factor, rows = 1.0, -1.0
    try:
        with sideband.cursor() as cursor:
            cursor.execute("begin")
            try:
                # A table locked by someone else (a migration) must not hold the page up:
                # both the size and the plan wait for its lock. Given up soon; see below.
                cursor.execute(
                    "select set_config('lock_timeout', %s, true),"
                    " set_config('statement_timeout', %s, true)",
                    [f"{FACTS_LOCK_TIMEOUT_MS}ms", f"{FACTS_STATEMENT_TIMEOUT_MS}ms"],
                )
                cursor.execute(
                    "select c.reltuples, c.relrowsecurity, case when c.relkind in ('r', 'm')"
                    " then case when c.reltuples >= 0 then c.reltuples"
                    " when pg_catalog.pg_relation_size(c.oid)"
                    f" < {NEVER_ANALYZED_SMALL_BYTES} then 0 end end"
                    " from pg_catalog.pg_class c where c.oid = to_regclass(%s)",
                    [table],
                )
                row = cursor.fetchone()
                if row and row[2] is not None:
                    rows = float(row[2])
                if row and row[1] and row[0] > 0:
                    base = queryset.model._base_manager.all()
                    whole_sql, params = base.query.sql_with_params()
                    cursor.execute("set local role authenticated")
                    whole = _plan_rows(cursor, whole_sql, params)
                    factor = min(1.0, max(whole, 1) / row[0])
            finally:
                cursor.execute("rollback")  # (nothing to keep: a read, a role, two settings)
    except DatabaseError:
        # The estimate as the planner gives it, and no new attempt on every page for a while
        # (a short one: a lock held by a migration is soon released).
        facts = TableFacts(1.0, -1.0, now + FACTS_RETRY_SECONDS)
        _TABLE_FACTS[key] = facts
        return facts
    facts = TableFacts(factor, rows, now + TABLE_FACTS_SECONDS)
    _TABLE_FACTS[key] = facts
    return facts


def planner_estimate(queryset) -> int:
    """The planner's estimate of the queryset's rows, without its guess at the RLS policy."""
    return round(_explained_rows(queryset) / _table_facts(queryset).policy_factor)


# A table this small (by its statistics) is counted without asking the planner first: no
# filter can make its count bigger than the table, and the EXPLAIN costs what the count does.
# Half the limit, for what it may have grown since the statistics were taken.
SMALL_TABLE_ROWS = EXACT_COUNT_LIMIT // 2


def is_small_table(queryset) -> bool:
    """The queryset's table is known to be small (its statistics say fewer than
    SMALL_TABLE_ROWS rows): any filter of it can be counted exactly, and cheaply."""
    return 0 <= _table_facts(queryset).rows < SMALL_TABLE_ROWS


def estimated_count(queryset, exact=None) -> tuple[int, bool]:
    """(count, approximate): exact below EXACT_COUNT_LIMIT, the planner's estimate above.
    `exact` counts a small result when a list has a cheaper way than COUNT(*) of `queryset`
    (see ids_and_count)."""
    count_exactly = exact or queryset.count
    if is_small_table(queryset):
        return count_exactly(), False
    try:
        estimate = planner_estimate(queryset)
    except EmptyResultSet:  # a filter Django knows matches nothing (e.g. `pk__in=[]`)
        return 0, False
    if estimate < EXACT_COUNT_LIMIT:
        return count_exactly(), False
    return estimate, True


def ids_and_count(ordered, bottom: int, top: int) -> tuple[list, int | None]:
    """The primary keys of rows [bottom:top] of the ordered queryset and the count of all its
    rows, from one query (`count(*) over ()`): for a result that is read in full anyway to be
    sorted (matches found through an index), one read instead of a page and a COUNT(*).
    Only the keys: a narrow row for every match keeps the read cheap; the page's rows come
    by primary key after. None for the count when there is no row at `bottom`."""
    rows = list(
        ordered.annotate(_count_of_all=Window(Count("*"))).values_list("pk", "_count_of_all")[
            bottom:top
        ]
    )
    return [pk for pk, _ in rows], (rows[0][1] if rows else None)


def page_and_count(ordered, bottom: int, top: int) -> tuple[list, int | None]:
    """Rows [bottom:top] of the ordered queryset and the count of all its rows, from one
    query (`count(*) over ()`): for a small table, whose every match is cheap to read, one
    query instead of a page and a COUNT(*). None for the count when there is no row at
    `bottom`."""
    rows = list(ordered.annotate(_count_of_all=Window(Count("*")))[bottom:top])
    return rows, (rows[0]._count_of_all if rows else None)


class EstimatedCountPaginator(Paginator):
    """The paginator of every numbered list. `count` is a function returning (count,
    approximate) — by default `estimated_count` of the list's queryset, or a search's own
    estimate — which the list view hands over through django-tables2's public pagination
    hook (ObjectListView.get_table_pagination → Table.paginate(**kwargs)). Without one, the
    rows' len(). The template says "about N" when `approximate`."""

    def __init__(self, object_list, per_page, *args, count=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.count_function = count
        self.approximate = False

    @cached_property
    def count(self) -> int:
        if self.count_function is None:
            return len(self.object_list)
        count, self.approximate = self.count_function()
        return count


# ---------- Keyset pages ----------
#
# Pages of an append-mostly table by the position of their first and last rows instead of a
# page number: "newer" and "older" links carry a cursor (the key of a row) in the URL, the
# database seeks straight to it through the index on the key, and the millionth row costs what
# the first one does. Nothing is counted. Rows inserted between two page loads never shift the
# pages: every row is shown exactly once walking either way.


class BadCursor(ValueError):
    """A cursor or a jump target that is not one of ours; the message is for the user."""


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    # Cursors to the neighbouring pages in display order; None at either end.
    previous_cursor: str | None
    next_cursor: str | None
    first: bool  # no cursor and no jump: the head of the list


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_CURSOR_LENGTH = 500


@dataclass(frozen=True)
class Keyset:
    """The order of a keyset-paged list, e.g. `Keyset(("-created_at", "-id"))` for newest
    first. All fields go the same way, the last is the primary key (a total order), none may
    be NULL, and an index on the same columns in the same order serves it.

    The URL speaks in key order, whatever the display order: `before=<cursor>` asks for the
    rows whose key is below the cursor, `after=<cursor>` for those above it. Newest first,
    that is older and newer; `jump=<date>` starts at the newest row on or before that day (or
    moment) when the first field is a date or time.
    """

    fields: tuple[str, ...]

    def __post_init__(self):
        directions = {f.startswith("-") for f in self.fields}
        if len(directions) != 1:
            raise ValueError("a keyset's fields must all be ascending or all descending")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.lstrip("-") for f in self.fields)

    @property
    def descending(self) -> bool:
        return self.fields[0].startswith("-")

    def ordering(self, *, reverse: bool = False) -> list[str]:
        descending = self.descending != reverse
        return [f"-{name}" if descending else name for name in self.names]

    # Cursors: the key's values, readable in the URL ("2026-11-22T10:00:00.000001Z,<uuid>").

    def cursor(self, row) -> str:
        return ",".join(quote(_encode(getattr(row, name)), safe=":-.") for name in self.names)

    def parse(self, model, text: str) -> tuple:
        parts = text.split(",") if text and len(text) <= MAX_CURSOR_LENGTH else []
        if len(parts) != len(self.names):
            raise BadCursor("That page link is not valid any more.")
        values = []
        for name, part in zip(self.names, parts, strict=True):
            field = model._meta.get_field(name)
            try:
                value = field.to_python(unquote(part))
            except (ValidationError, ValueError, TypeError, OverflowError) as exc:
                raise BadCursor("That page link is not valid any more.") from exc
            if isinstance(value, datetime) and timezone.is_naive(value):
                value = timezone.make_aware(value, UTC)
            values.append(value)
        return tuple(values)

    # Conditions on the key, as the index can use them: `a <= x and (a < x or b < y)` lets the
    # database seek to x on the first column and skip only the ties.

    def _compare(self, values, op: str, *, inclusive: bool = False) -> Q:
        name, value = self.names[0], values[0]
        if len(values) == 1:
            return Q(**{f"{name}__{op}{'e' if inclusive else ''}": value})
        rest = Keyset(self.fields[1:])._compare(values[1:], op, inclusive=inclusive)
        return Q(**{f"{name}__{op}e": value}) & (Q(**{f"{name}__{op}": value}) | rest)

    def below(self, values, *, inclusive: bool = False) -> Q:
        return self._compare(values, "lt", inclusive=inclusive)

    def above(self, values, *, inclusive: bool = False) -> Q:
        return self._compare(values, "gt", inclusive=inclusive)

    def jump_condition(self, model, text: str) -> Q:
        """Rows from the given day or moment onwards in display order (newest first: on or
        before it)."""
        field = model._meta.get_field(self.names[0])
        if not isinstance(field, models.DateField):  # DateTimeField is a DateField
            raise BadCursor("This list cannot jump to a date.")
        start, end = parse_moment(text)
        name = self.names[0]
        return Q(**{f"{name}__lt": end}) if self.descending else Q(**{f"{name}__gte": start})

    @property
    def previous_param(self) -> str:
        """The URL parameter that leads towards the head of the list (newest first: newer)."""
        return "after" if self.descending else "before"

    @property
    def next_param(self) -> str:
        return "before" if self.descending else "after"

    def page(
        self,
        queryset,
        *,
        per_page: int,
        before: str | None = None,
        after: str | None = None,
        jump: str | None = None,
    ) -> KeysetPage:
        """One page of `queryset` in keyset order, and whether there is more on either side
        (a cheap EXISTS, never a count). Raises BadCursor for a bad cursor or jump target.

        From a cursor, "is there anything on the other side" is the same question for any
        page (rows at or beyond the cursor itself: nothing lies between the cursor and the
        page's nearest row), so it rides along with the page's own query as an EXISTS the
        database evaluates once."""
        model = queryset.model
        # "Forward" is the display order: below the cursor for a descending keyset.
        forward = self.below if self.descending else self.above
        backward = self.above if self.descending else self.below
        towards_head = after if self.descending else before
        towards_tail = before if self.descending else after

        if towards_head:
            # Read backwards from the cursor, nearest row first, then turn the page round.
            values = self.parse(model, towards_head)
            behind = queryset.filter(forward(values, inclusive=True))
            reverse = self.ordering(reverse=True)
            nearest = queryset.filter(backward(values)).order_by(*reverse)
            chunk, more_after = self._read_with(nearest, behind, per_page + 1)
            rows = chunk[:per_page][::-1]
            return self._page(rows, len(chunk) > per_page, more_after, first=False)

        ordered = queryset.order_by(*self.ordering())
        if towards_tail:
            values = self.parse(model, towards_tail)
            behind = queryset.filter(backward(values, inclusive=True))
            chunk, more_before = self._read_with(
                ordered.filter(forward(values)), behind, per_page + 1
            )
            return self._page(chunk[:per_page], more_before, len(chunk) > per_page, first=False)
        if not jump:
            chunk = list(ordered[: per_page + 1])
            return self._page(chunk[:per_page], False, len(chunk) > per_page, first=True)
        chunk = list(ordered.filter(self.jump_condition(model, jump))[: per_page + 1])
        rows = chunk[:per_page]
        # (nothing on or before the jump target: an empty page links nowhere)
        more_before = bool(rows) and queryset.filter(backward(self.values_of(rows[0]))).exists()
        return self._page(rows, more_before, len(chunk) > per_page, first=False)

    _BEHIND = "keyset_anything_behind"  # the EXISTS riding along with a page's rows

    def _read_with(self, ordered, behind, limit: int) -> tuple[list, bool]:
        """The first `limit` rows of `ordered`, and whether `behind` has any row, in one
        query (the EXISTS is uncorrelated: evaluated once). An empty page links nowhere, so
        its flag is not needed (False)."""
        rows = list(ordered.annotate(**{self._BEHIND: models.Exists(behind)})[:limit])
        return rows, bool(rows) and getattr(rows[0], self._BEHIND)

    def page_from(self, fetch, *, model, per_page: int, before: str | None = None) -> KeysetPage:
        """One page, in display order, from a source that is not one queryset (a
        security-definer function, two index reads merged): `fetch(values, limit)` returns at
        most `limit` rows in display order, after the key `values` (None: from the head). Only
        towards the tail ("older"): such lists link back to their head instead.
        Raises BadCursor for a bad cursor."""
        values = self.parse(model, before) if before else None
        chunk = list(fetch(values, per_page + 1))
        rows = chunk[:per_page]
        return KeysetPage(
            rows=rows,
            previous_cursor=None,
            next_cursor=self.cursor(rows[-1]) if len(chunk) > per_page else None,
            first=before is None,
        )

    def after_key(self, queryset, values):
        """`queryset` from the key `values` on (exclusive) in display order, ordered."""
        ordered = queryset.order_by(*self.ordering())
        if values is None:
            return ordered
        forward = self.below if self.descending else self.above
        return ordered.filter(forward(values))

    def values_of(self, row) -> tuple:
        """The row's key."""
        return tuple(getattr(row, name) for name in self.names)

    def _page(self, rows, more_before: bool, more_after: bool, *, first: bool) -> KeysetPage:
        return KeysetPage(
            rows=rows,
            previous_cursor=self.cursor(rows[0]) if rows and more_before else None,
            next_cursor=self.cursor(rows[-1]) if rows and more_after else None,
            first=first,
        )


def _encode(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(value)


def parse_moment(text: str) -> tuple[datetime, datetime]:
    """A day ("2026-11-22") or a moment ("2026-11-22 14:30", "2026-11-22T14:30:05") typed by
    a person, in the current time zone, as the half-open span it covers at the precision
    given: (start, end). A day covers the whole day, a minute the whole minute."""
    text = (text or "").strip()
    try:
        if _DATE_ONLY.fullmatch(text):
            day = date.fromisoformat(text)
            start = datetime.combine(day, time.min)
            span = timedelta(days=1)
        else:
            start = datetime.fromisoformat(text.replace(" ", "T", 1))
            if start.tzinfo is not None:
                raise ValueError("no time zones")
            colons = text.count(":")
            span = timedelta(hours=1) if colons == 0 else timedelta(minutes=1)
            if colons >= 2:
                span = timedelta(microseconds=1) if "." in text else timedelta(seconds=1)
        start = timezone.make_aware(start)
    except (ValueError, OverflowError) as exc:
        raise BadCursor(
            f"“{text[:40]}” is not a date. Use a date like 2026-11-22 or a date and time "
            "like 2026-11-22 14:30."
        ) from exc
    try:
        return start, start + span
    except OverflowError:  # the last day of year 9999: open-ended
        return start, datetime.max.replace(tzinfo=UTC)
