"""Full-text search of knowledge entries: web-search syntax, ranking, highlighted snippets.

The query is PostgreSQL's `websearch_to_tsquery('english', q)`: words, "exact phrase",
-exclude and `or`; it accepts any text without a syntax error. When the query is plain words,
the last one may be half-typed, so a title containing it ("pipel" → "Pipeline") matches too,
through the pg_trgm index on lower(title).

Two things shape the design (measured at 100,000 entries, see the README):

- Under Row Level Security PostgreSQL uses an index only for leakproof operators, and `@@`,
  LIKE and `&&` are not: as the user, every search would read the whole table. The index
  work therefore happens in the `private.kb_*` functions (security definer, with the
  kb_select rule spelled out; supabase/migrations/20261122020200_knowledge_search_functions.sql);
  they return ids, and the rows themselves are read as the user, under RLS.
- Ranking every match of a common word (a single word matches two thirds of the demo
  entries) would rank 70,000 rows per keystroke. Relevance ranks a pool instead: up to
  TITLE_POOL entries whose title matches, as many whose title has the half-typed word, and
  POOL matches of any kind, all within the other filters; title matches first, then
  `ts_rank_cd` on the stored vector (title weighted above content). When the pool holds every
  match the order is exact; when there are more, the rest follow the pool, newest first
  (`private.kb_search_rest`, in index order).

A page in relevance order is one round trip: `private.kb_search_ranked` (the pool, each entry
once, and the count only when the pool does not hold every match;
supabase/migrations/20261127190200_knowledge_search_ranked.sql) joined, as the user, with the
rows of the page the list will show and their ts_headline snippets (Search.window).
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from html import escape

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import BooleanField, Expression, F, Func, Q, TextField, Value
from django.db.models.functions import Lower
from django.utils.safestring import SafeString, mark_safe

from knowledge.models import Entry

MAX_QUERY_LENGTH = 200
TITLE_POOL = 100
POOL = 100
# Below this many (expected) matches they are counted exactly, through the indexes.
EXACT_COUNT_BELOW = 2000
# Highlight markers for ts_headline: private-use characters, turned into <mark> only after
# the text around them has been escaped.
START_SEL, STOP_SEL = "\ue000", "\ue001"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
_PLAIN_WORDS = re.compile(r"[^\W_]+(?:\s+[^\W_]+)*")
_PREFIX_WORD = re.compile(r"[^\W_]{3,}")  # pg_trgm needs three characters to use its index
_WORD = re.compile(r"[^\W_]")


class EntryIdIn(Expression):
    """`<table>.id IN (SELECT <function call>)`: ids from one of the private.kb_* functions,
    as a condition of the user's query (on whatever alias the table has there)."""

    output_field = BooleanField()

    def __init__(self, call: str, params: list):
        super().__init__()
        self.call, self.params = call, params

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{alias}.id in (select {self.call})", list(self.params)


class SearchVector(Expression):
    """The `search_vector` column the migration adds. It is not a model field, so that writes
    and audit rows never carry it; this names it on whatever alias the query gives the table
    (subqueries rename it)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.search_vector", []


def clean_query(raw: str | None) -> tuple[str, bool]:
    """The text to search for: control characters and NUL bytes dropped, spaces collapsed,
    at most MAX_QUERY_LENGTH characters. Returns (text, whether it was shortened)."""
    text = " ".join(CONTROL_CHARACTERS.sub(" ", raw or "").split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH].rstrip(), True
    return text, False


def _web(text: str) -> SearchQuery:
    return SearchQuery(text, config="english", search_type="websearch")


@dataclass
class Pool:
    ids: list[uuid.UUID]  # in relevance order
    complete: bool  # every match is in it
    matches: int  # all matches within the filters: exact, or the planner's estimate
    exact: bool
    # The entries of the page the list is about to show (Search.window), read with the pool:
    # id -> Entry with title_marked and snippet.
    rows: dict = field(default_factory=dict)


# What the list reads of an entry: what its table shows (knowledge.tables.EntryTable).
LIST_FIELDS = ("id", "title", "category", "tags", "is_active", "updated_at")
HEADLINE_WHOLE = f"StartSel={START_SEL}, StopSel={STOP_SEL}, HighlightAll=true"
HEADLINE_FRAGMENTS = (
    f"StartSel={START_SEL}, StopSel={STOP_SEL}, MaxWords=30, MinWords=12, MaxFragments=2,"
    ' FragmentDelimiter=" … "'
)


@dataclass
class Search:
    text: str
    truncated: bool = False
    prefix: str = ""  # the last word, lower case, when the query is plain words
    head: str = ""  # the words before it
    criteria: dict = field(default_factory=dict)  # the list's other filters, for the pool
    # (start, stop): the positions in relevance order of the page the list will show, whose
    # rows and snippets are read with the pool (in the same round trip); None: none.
    window: tuple[int, int] | None = None

    @classmethod
    def parse(
        cls, raw: str | None, criteria: dict | None = None, window: tuple[int, int] | None = None
    ) -> "Search | None":
        """None for an empty query."""
        text, truncated = clean_query(raw)
        if not text:
            return None
        words = text.split()
        prefix, head = "", ""
        plain = _PLAIN_WORDS.fullmatch(text) and "or" not in (w.lower() for w in words)
        if plain and _PREFIX_WORD.fullmatch(words[-1]):
            prefix, head = words[-1].lower(), " ".join(words[:-1])
        return cls(text, truncated, prefix, head, dict(criteria or {}), window)

    @property
    def has_terms(self) -> bool:
        """The query has words the index knows (not only stop words)."""
        return self._probe[0]

    @property
    def empty(self) -> bool:
        """Nothing to look for: only punctuation, operators or stop words."""
        return not self.has_terms and not self.prefix

    @property
    def pool(self) -> Pool:
        """The ranked candidates (private.kb_search_pool)."""
        return self._probe[1]

    @cached_property
    def _probe(self) -> tuple[bool, Pool]:
        """Whether the query has terms, the pool, and the rows of the window, in one round
        trip: the pool function finds nothing for a query without terms or prefix, and the
        window's rows are read as the user (under RLS), their snippets made there."""
        # Without a letter or digit websearch_to_tsquery is empty, and says so in a NOTICE.
        words = self.text if _WORD.search(self.text) else ""
        start, stop = self.window or (0, 0)
        # What highlights the title (the half-typed word as a prefix too) and the text (what
        # the query found): as title_query and headline() say for the ORM.
        if self.prefix:
            prefix = "to_tsquery('simple'::regconfig, %(prefix_query)s)"
            title_query = f"case when probe.has_terms then probe.q || {prefix} else {prefix} end"
        else:
            title_query = "probe.q"
        text_query = f"case when probe.has_terms then probe.q else {title_query} end"
        columns = ", ".join(f"e.{name}" for name in LIST_FIELDS)
        with connection.cursor() as cursor:
            # The pool function is only called when there is something to look for (a
            # one-time filter on the probe's own result).
            cursor.execute(
                "with probe as (select coalesce(numnode(w.q) > 0, false) as has_terms, w.q"
                " from (select websearch_to_tsquery('english', nullif(%(words)s, '')) as q) w)"
                " select probe.has_terms, p.id, p.complete, p.matches, p.exact,"
                f" {columns},"
                f" ts_headline('english'::regconfig, e.title, {title_query}, %(whole)s),"
                f" ts_headline('english'::regconfig, e.content, {text_query}, %(fragments)s)"
                " from probe left join lateral (select * from private.kb_search_ranked("
                "%(text)s, %(head)s, %(prefix)s, %(criteria)s, %(title_pool)s, %(pool)s,"
                " %(exact_below)s) with ordinality as f (id, complete, matches, exact, n)"
                " where probe.has_terms or %(prefix)s <> '') p on true"
                # Each row of the window by its key: a lateral subquery that cannot be
                # flattened (LIMIT), so the planner cannot hash the whole table instead (it
                # did, on a table of 10,000 entries, guessing the pool at 1,000 rows).
                " left join lateral (select e.* from public.knowledge_base_entries e"
                " where e.id = p.id and p.n > %(start)s and p.n <= %(stop)s limit 1) e on true"
                " order by p.n",
                {
                    "words": words,
                    "text": self.text,
                    "head": self.head,
                    "prefix": self.prefix,
                    "prefix_query": f"{self.prefix}:*",
                    "criteria": _json(self.criteria),
                    "title_pool": TITLE_POOL,
                    "pool": POOL,
                    "exact_below": EXACT_COUNT_BELOW,
                    "start": start,
                    "stop": stop,
                    "whole": HEADLINE_WHOLE,
                    "fragments": HEADLINE_FRAGMENTS,
                },
            )
            rows = cursor.fetchall()
        has_terms = rows[0][0]
        if rows[0][1] is None:
            return has_terms, Pool([], True, 0, True)
        entries, alias = {}, connection.alias
        for row in rows:
            if row[5] is not None:  # in the window (and readable)
                entry = Entry.from_db(alias, LIST_FIELDS, row[5:-2])
                entry.title_marked, entry.snippet = row[-2:]
                entries[entry.pk] = entry
        _, _, complete, matches, exact = rows[0][:5]
        return has_terms, Pool([row[1] for row in rows], complete, matches, exact, entries)

    def condition(self, queryset):
        """The match as a condition on `queryset` (read as the user: no index under RLS; for
        many matches, where a scan in index order finds a page's worth at once)."""
        condition = Q()
        if self.has_terms:
            condition |= Q(_kb_vector=_web(self.text))
        if self.prefix:  # a word of the title starts with it (LIKE for the trigram index)
            title = Q(_kb_title_lower__contains=self.prefix) & Q(
                _kb_title_lower__regex=rf"\m{self.prefix}"
            )
            if self.head and _WORD.search(self.head):
                title &= Q(_kb_vector=_web(self.head))
            condition |= title
        return queryset.alias(_kb_vector=SearchVector(), _kb_title_lower=Lower("title")).filter(
            condition
        )

    def matching(self, queryset):
        """The entries of `queryset` that match: by id when the pool holds them all, else by
        the condition."""
        if self.empty:
            return queryset.none()
        if self.pool.complete:
            # One array parameter, not one per id (a page in relevance order does not even
            # read this queryset: building a hundred-value IN list cost more than the rest).
            return queryset.filter(EntryIdIn("unnest(%s::uuid[])", [self.pool.ids]))
        return self.condition(queryset)

    @cached_property
    def title_query(self):
        """What highlights a title: the query, and the half-typed word as a prefix."""
        parts = []
        if self.has_terms:
            parts.append(_web(self.text))
        if self.prefix:
            prefix = SearchQuery(f"{self.prefix}:*", config="simple", search_type="raw")
            parts.append(prefix)
        query = parts[0]
        for part in parts[1:]:
            query = query | part
        return query

    def headline(self, field_name: str, *, whole: bool = False) -> Func:
        # The half-typed word counts in titles only: in the text, mark what the query found.
        query = _web(self.text) if field_name != "title" and self.has_terms else self.title_query
        return Func(
            F(field_name),
            query,
            Value(HEADLINE_WHOLE if whole else HEADLINE_FRAGMENTS),
            template="ts_headline('english'::regconfig, %(expressions)s)",
            output_field=TextField(),
        )

    def with_snippets(self, queryset):
        """Adds `title_marked` and `snippet` (ts_headline, with the private markers) to the
        rows; PostgreSQL computes them only for the rows a page returns."""
        if self.empty:
            return queryset
        return queryset.annotate(
            title_marked=self.headline("title", whole=True), snippet=self.headline("content")
        )


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder)


def highlight(text: str | None) -> SafeString:
    """ts_headline output as HTML: the text escaped, our markers as <mark>, always balanced."""
    parts, open_ = [], False
    for piece in re.split(f"([{START_SEL}{STOP_SEL}])", text or ""):
        if piece == START_SEL:
            if not open_:
                parts.append("<mark>")
                open_ = True
        elif piece == STOP_SEL:
            if open_:
                parts.append("</mark>")
                open_ = False
        else:
            parts.append(escape(piece))
    if open_:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text is escaped above


class RankedResults:
    """The matches in relevance order, as the paginator and the table read them: `len()` and
    slices. The pool and the rows of the page the list asked for (Search.window) are one
    query; any other rows are one more, read as the user."""

    def __init__(self, queryset, search: Search):
        """`queryset`: the entries the other filters leave (not yet searched)."""
        self.base = queryset
        self.search = search
        self.approximate = False

    @property
    def pool(self) -> list[uuid.UUID]:
        return self.search.pool.ids

    @property
    def complete(self) -> bool:
        return self.search.pool.complete

    def __len__(self) -> int:
        pool = self.search.pool
        if pool.complete:
            return len(pool.ids)
        self.approximate = not pool.exact
        return max(pool.matches, len(pool.ids))

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        ids = self.pool
        start = key.start or 0
        stop = key.stop if key.stop is not None else len(self)
        rows = []
        wanted = ids[start:stop]
        if wanted:
            # The window's rows came with the pool; any others are read now (as the user).
            by_id = self.search.pool.rows
            missing = [pk for pk in wanted if pk not in by_id]
            if missing:
                found = self.search.with_snippets(self.base.filter(pk__in=missing))
                by_id = {**by_id, **{entry.pk: entry for entry in found}}
            rows.extend(by_id[pk] for pk in wanted if pk in by_id)
        if not self.complete and stop > len(ids):
            rows.extend(self._rest(max(0, start - len(ids)), stop - max(start, len(ids))))
        return rows

    def _rest(self, offset: int, limit: int) -> list:
        """The matches after the pool, newest first (private.kb_search_rest gives the ids)."""
        search = self.search
        with connection.cursor() as cursor:
            cursor.execute(
                "select private.kb_search_rest(%s, %s, %s, %s, %s::uuid[], %s, %s)",
                [
                    search.text,
                    search.head,
                    search.prefix,
                    _json(search.criteria),
                    self.pool,
                    offset,
                    limit,
                ],
            )
            ids = [row[0] for row in cursor.fetchall()]
        found = {e.pk: e for e in search.with_snippets(self.base.filter(pk__in=ids))}
        return [found[pk] for pk in ids if pk in found]
