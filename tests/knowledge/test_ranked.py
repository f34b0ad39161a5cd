"""A ranked search in one round trip: private.kb_search_ranked gives the pool of
private.kb_search_pool, each entry once, in the same order, and says when the pool holds every
match (then nothing is counted); the page's rows and snippets come in the same query, read as
the user; any other page is read as before."""

import json
import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from console.rls import as_user, is_permission_error
from knowledge import search as search_module
from knowledge.models import Entry
from tests.factories import db_user
from tests.knowledge.helpers import listed

pytestmark = pytest.mark.django_db(transaction=True)

SNIPPET = re.compile(
    r'<td><a href="/knowledge/([0-9a-f-]{36})/">(.*?)</a><p class="kb-snippet">(.*?)</p>'
)


def ranked(user, text, head="", prefix="", filters=None, pool=100, title_pool=100):
    """kb_search_ranked as the user: ([ids], complete, matches, exact)."""
    with as_user(user.claims), connection.cursor() as cursor:
        cursor.execute(
            "select * from private.kb_search_ranked(%s, %s, %s, %s, %s, %s)",
            [text, head, prefix, json.dumps(filters or {}), title_pool, pool],
        )
        rows = cursor.fetchall()
    if not rows:
        return [], True, 0, True
    return [row[0] for row in rows], rows[0][1], rows[0][2], rows[0][3]


def pooled(user, text, head="", prefix="", filters=None, pool=100, title_pool=100):
    """kb_search_pool's pool as the console used it: each entry once, first place kept."""
    with as_user(user.claims), connection.cursor() as cursor:
        cursor.execute(
            "select id from private.kb_search_pool(%s, %s, %s, %s, %s, %s)",
            [text, head, prefix, json.dumps(filters or {}), title_pool, pool],
        )
        return list(dict.fromkeys(row[0] for row in cursor.fetchall()))


@pytest.fixture
def mixed(make_entry):
    """Title matches, half-typed title words, text matches of different strength."""
    for n in range(4):
        make_entry(f"Agent handbook {n}", "How agents work. " * (n + 1), category="ops")
        make_entry(f"Agentic flows {n}", "Nothing about the word itself.", category="dev")
        make_entry(f"Notes {n}", "An agent here, an agent there. " * (n + 1), tags=["agent"])
        make_entry(f"Rollback {n}", "Undo a release; the agent waits.", is_active=n % 2 == 0)


@pytest.mark.parametrize(
    ("text", "head", "prefix", "filters"),
    [
        ("agent", "", "agent", {}),
        ("agen", "", "agen", {}),
        ("agent rollb", "agent", "rollb", {}),
        ('"an agent"', "", "", {}),
        ("agent -rollback", "", "", {}),
        ("agent or undo", "", "", {}),
        ("agent", "", "agent", {"category": "ops"}),
        ("agent", "", "agent", {"tags": ["agent"], "all_tags": False}),
    ],
)
def test_the_ranked_pool_is_the_pool_each_entry_once_in_the_same_order(
    mixed, text, head, prefix, filters
):
    editor = db_user("editor")
    # whole; cut short; every title with the half-typed word but not every match
    for pool, title_pool in ((100, 100), (3, 2), (3, 100)):
        ids, complete, matches, _exact = ranked(
            editor, text, head, prefix, filters, pool, title_pool
        )
        assert ids == pooled(editor, text, head, prefix, filters, pool, title_pool), (pool, text)
        assert len(ids) == len(set(ids))
        if complete:
            assert matches == len(ids)


def test_nothing_to_look_for_finds_nothing(mixed):
    # only stop words (kb_search_pool, which the console never called for it, fails there)
    assert ranked(db_user("editor"), "the") == ([], True, 0, True)


def test_a_pool_that_holds_every_match_says_so_even_when_it_is_full(make_entry):
    for n in range(3):
        make_entry(f"Note {n}", "quokka")
    editor = db_user("editor")
    # Exactly as many matches as the pool takes: complete, and that is the count.
    assert ranked(editor, "quokka", pool=3)[1:] == (True, 3, True)
    # One more than it takes: not complete, counted exactly (few matches).
    ids, complete, matches, exact = ranked(editor, "quokka", pool=2)
    assert (len(ids), complete, matches, exact) == (2, False, 3, True)


@pytest.mark.parametrize(("role", "sees_draft"), [("auditor", True), ("viewer", False)])
def test_the_ranked_pool_applies_the_read_rule(make_entry, role, sees_draft):
    active = make_entry("Active zygomorphic", "text")
    draft = make_entry("Draft zygomorphic", "text", is_active=False)
    ids = set(ranked(db_user(role), "zygomorphic", prefix="zygomorphic")[0])
    assert ids == ({active.pk, draft.pk} if sees_draft else {active.pk})


def test_the_ranked_pool_refuses_users_without_a_role(make_entry):
    make_entry("Active zygomorphic", "text")
    with (
        pytest.raises(DatabaseError) as failure,
        transaction.atomic(),
        as_user(db_user(None).claims),
        connection.cursor() as cursor,
    ):
        cursor.execute("select * from private.kb_search_ranked('zygomorphic', '', '', '{}')")
    assert is_permission_error(failure.value)


def test_a_ranked_page_reads_its_rows_and_snippets_with_the_pool(client_as, mixed):
    auditor = client_as("auditor")
    with CaptureQueriesContext(connection) as captured:
        response = auditor.get("/knowledge/", {"q": "agent"})
    entry_queries = [
        q["sql"] for q in captured.captured_queries if "knowledge_base_entries" in q["sql"]
    ]
    # the pool with the page's rows: nothing else (the filter's category suggestions come
    # when the field is focused)
    assert len(entry_queries) == 1, entry_queries
    assert "kb_search_ranked" in entry_queries[0] and "ts_headline" in entry_queries[0]
    assert listed(response)[:4] == [f"Agent handbook {n}" for n in (3, 2, 1, 0)]
    assert "<mark>agent</mark>" in response.content.decode()


def test_the_page_rows_are_read_by_key_however_many_entries_there_are(client_as, make_entry):
    """The page's rows are joined to the pool by their key. Joined plainly, the planner took
    the pool for 1,000 rows (a function's default) and hashed the whole table instead, once
    the table had a few thousand entries: 12 ms of a 15 ms search on 10,000 entries."""
    for n in range(10):
        make_entry(f"Note {n}", "zygomorphic flowers")
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.knowledge_base_entries (title, content, category, is_active)"
            " select 'Bulk ' || g, 'filler text ' || g, 'bulk', true"
            " from generate_series(1, 10000) g"
        )
        cursor.execute("analyze public.knowledge_base_entries")
    plans = []

    def explain(execute, sql, params, many, context):
        if "kb_search_ranked" in sql and not sql.startswith("explain"):
            context["cursor"].execute("explain " + sql, params)
            plans.append("\n".join(row[0] for row in context["cursor"].fetchall()))
        return execute(sql, params, many, context)

    auditor = client_as("auditor")
    with connection.execute_wrapper(explain):
        response = auditor.get("/knowledge/", {"q": "zygomorphic"})
    assert len(listed(response)) == 10
    assert len(plans) == 1
    assert "Seq Scan on knowledge_base_entries" not in plans[0], plans[0]
    assert "Index Scan using knowledge_base_entries_pkey" in plans[0], plans[0]


def test_snippets_are_the_same_in_relevance_order_and_sorted(client_as, mixed):
    auditor = client_as("auditor")
    for q in ("agent", "agent rollb", "agen"):
        by_rank = SNIPPET.findall(auditor.get("/knowledge/", {"q": q}).content.decode())
        by_title = SNIPPET.findall(
            auditor.get("/knowledge/", {"q": q, "sort": "title"}).content.decode()
        )
        assert by_rank and sorted(by_rank) == sorted(by_title), q


def test_every_page_of_a_ranked_search_shows_its_own_rows(
    client_as, make_entry, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(search_module, "POOL", 40)
    for n in range(30):
        make_entry(f"Note {n:02}", "vexillology " * (n % 7 + 1))
    auditor = client_as("auditor")
    order = ranked(auditor.user, "vexillology", prefix="vexillology", pool=40)[0]
    titles = dict(Entry.objects.values_list("pk", "title"))
    expected = [titles[pk] for pk in order]

    def page(**params):
        return listed(auditor.get("/knowledge/", {"q": "vexillology", "per_page": 25, **params}))

    with CaptureQueriesContext(connection) as first:
        assert page() == expected[:25]
    with django_assert_max_num_queries(len(first)):  # its rows came with the pool too
        assert page(page=2) == expected[25:]
    assert page(page=99) == expected[25:]  # past the end: the last page
    assert page(page="x") == expected[:25]


def test_the_category_suggestions_come_on_their_own_as_the_user_may_see_them(client_as, make_entry):
    make_entry("Published", "text", category="security")
    make_entry("Draft", "text", category="drafts", is_active=False)
    page = client_as("viewer").get("/knowledge/").content.decode()
    assert re.search(r'<datalist id="kb-categories" hx-get="/knowledge/categories/options/"', page)
    options = client_as("viewer").get("/knowledge/categories/options/").content.decode()
    assert '<option value="security">' in options and "drafts" not in options
    options = client_as("auditor").get("/knowledge/categories/options/").content.decode()
    assert '<option value="drafts">' in options


def test_the_pool_is_the_same_on_every_call():
    """A common word's pool comes from a scan of the table, which PostgreSQL starts where the
    last scan of a big table stopped (synchronized scans) or splits between workers: the
    same search gave another first page on every reload. The function turns both off."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select proconfig from pg_proc where oid = 'private.kb_search_ranked(text, text,"
            " text, jsonb, int, int, int)'::regprocedure"
        )
        settings = set(cursor.fetchone()[0])
    assert {"synchronize_seqscans=off", "max_parallel_workers_per_gather=0"} <= settings
