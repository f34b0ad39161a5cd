"""The knowledge pages as each role sees them, and what they cost: the number of queries of
the list and of an entry's page is bounded and does not grow with the rows shown."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console import audited, pagination
from console.rls import as_user
from tests.factories import db_user
from tests.knowledge.helpers import listed

pytestmark = pytest.mark.django_db

# session, user state and role (middleware), the search's words, its pool and the page's rows
# (one query), or the planner's estimate, a count and the page's rows; and the test's own
# savepoint and role reset
LIST_QUERIES = 8
ENTRY_QUERIES = 10  # the same middleware, the entry, its author, its history


def queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.fixture
def many(make_entry):
    def make(n):
        for i in range(n):
            make_entry(
                f"Entry {i} quokka",
                f"text {i} quokka",
                category=f"c{i % 3}",
                tags=[f"t{i % 4}", "x"],
            )

    return make


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "quokka"}, {"q": "quokka", "sort": "title"}, {"tags": "x"}, {"category": "c1"}],
)
def test_the_list_costs_the_same_few_queries_for_any_page_size(
    client_as, many, params, django_assert_max_num_queries
):
    editor = client_as("editor")
    counts = []
    # (at most knowledge.search.POOL matches: a bigger search counts itself another way)
    for rows, size in ((5, 25), (60, 25), (0, 50), (0, 100)):
        many(rows)
        with django_assert_max_num_queries(LIST_QUERIES) as captured:
            assert editor.get("/knowledge/", {**params, "per_page": size}).status_code == 200
        counts.append(len(captured))
    assert len(set(counts)) == 1, counts


def test_a_search_runs_through_the_indexes_not_as_a_scan_under_rls(client_as, many):
    many(10)
    sql = "\n".join(queries(client_as("editor"), "/knowledge/", {"q": "quokka"}))
    assert "private.kb_search_ranked" in sql
    assert "search_vector @@" not in sql  # never evaluated row by row as the user


def test_a_big_list_says_about_how_many_instead_of_counting_every_row(client_as):
    """Under RLS the planner guesses the policy keeps a few percent of the rows (it cannot
    know the role check at plan time): 15,000 entries were estimated at a few hundred, so
    every list counted its rows exactly. The estimate is corrected for that guess."""
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.knowledge_base_entries (title, content, category, is_active)"
            " select 'Bulk ' || g, 'text', 'bulk', true from generate_series(1, 15000) g"
        )
        cursor.execute("analyze public.knowledge_base_entries")
    pagination._TABLE_FACTS.clear()  # (another test may have seen the table empty)
    editor = client_as("editor")
    for params in ({}, {"category": "bulk"}):
        response = editor.get("/knowledge/", params)
        with CaptureQueriesContext(connection) as captured:
            response = editor.get("/knowledge/", params)
        sql = [q["sql"].upper() for q in captured.captured_queries]
        assert not [q for q in sql if "COUNT(" in q]
        # The planner's estimate of the same query, asked a moment ago, is not asked again.
        assert not [q for q in sql if q.startswith("EXPLAIN")], params
        assert re.search(r"About 1[3-7],\d{3} results", response.content.decode()), params


def test_an_entry_page_costs_a_few_queries_whatever_its_history(
    client_as, make_entry, django_assert_max_num_queries
):
    editor = client_as("editor")
    entry = make_entry("Entry", "Body", tags=["a"], metadata={"k": 1}, created_by=editor.user.id)
    with django_assert_max_num_queries(ENTRY_QUERIES) as first:
        assert editor.get(f"/knowledge/{entry.pk}/").status_code == 200
    writer = db_user("editor")
    with as_user(writer.claims):
        for n in range(15):
            audited.update(audited.Actor(writer.id, None, "pytest"), entry, title=f"Entry {n}")
    with django_assert_max_num_queries(ENTRY_QUERIES) as later:
        assert editor.get(f"/knowledge/{entry.pk}/").status_code == 200
    assert len(later) == len(first)


def test_a_viewer_sees_active_entries_only_and_no_write_controls(client_as, make_entry):
    active = make_entry("Active one", "text", category="ops", tags=["a"])
    draft = make_entry("Draft one", "text", category="secret", tags=["unseen"], is_active=False)
    viewer = client_as("viewer")
    page = viewer.get("/knowledge/")
    html = page.content.decode()
    assert listed(page) == ["Active one"]
    assert 'href="/knowledge/new/"' not in html and 'id="bulk-form"' not in html
    assert "Import" not in html  # the import tab is for writers
    assert viewer.get(f"/knowledge/{draft.pk}/").status_code == 404
    detail = viewer.get(f"/knowledge/{active.pk}/").content.decode()
    assert "/edit/" not in detail and 'aria-label="History"' not in detail
    overview = viewer.get("/knowledge/categories/").context
    assert [r["category"] for r in overview["category_counts"]] == ["ops"]
    assert overview["tag_counts"] == [("a", 1)]


def test_the_overview_counts_entries_per_category_and_tag_and_links_the_list(client_as, make_entry):
    make_entry("A", category="ops", tags=["x", "y"])
    make_entry("B", category="ops", tags=["x"])
    make_entry("C", category="security", tags=["x"])
    page = client_as("auditor").get("/knowledge/categories/")
    assert [(r["category"], r["entries"]) for r in page.context["category_counts"]] == [
        ("ops", 2),
        ("security", 1),
    ]
    assert page.context["tag_counts"] == [("x", 3), ("y", 1)]
    html = page.content.decode()
    assert 'href="/knowledge/?category=ops"' in html and 'href="/knowledge/?tags=x"' in html


def test_an_entry_page_renders_markdown_and_shows_its_facts(client_as, make_entry):
    editor = client_as("editor")
    entry = make_entry(
        "Entry", "# Heading\n\n**bold**", category="ops", tags=["a"], metadata={"k": [1]}
    )
    entry.created_by = editor.user.id
    entry.save()
    html = editor.get(f"/knowledge/{entry.pk}/").content.decode()
    assert "<h1>Heading</h1>" in html and "<strong>bold</strong>" in html
    assert f'href="/knowledge/?author={editor.user.id}">your entries' in html
    assert "&quot;k&quot;: [" in html  # metadata, pretty-printed
    assert 'href="/knowledge/?tags=a"' in html


def test_the_history_tab_is_for_the_roles_that_read_audit_rows(client_as, make_entry):
    entry = make_entry("Entry", "text")
    editor = client_as("editor")
    with as_user(editor.user.claims):
        audited.update(audited.Actor(editor.user.id, None, "pytest"), entry, title="Renamed")
    for role in ("editor", "auditor", "admin"):
        page = client_as(role).get(f"/knowledge/{entry.pk}/history/")
        assert page.status_code == 200 and "Renamed" in page.content.decode(), role
    assert client_as("viewer").get(f"/knowledge/{entry.pk}/history/").status_code == 403
