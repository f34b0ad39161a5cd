"""Finding entries: full-text search (ranking, phrase, exclusion, or, half-typed title words,
snippets), the filters, and queries that must never break the page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from knowledge import search as search_module
from knowledge.models import Entry
from knowledge.search import MAX_QUERY_LENGTH, clean_query, highlight
from tests.knowledge.helpers import listed

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client_as):
    return client_as("editor")


def find(client, **params):
    response = client.get("/knowledge/", params)
    assert response.status_code == 200
    return response


def test_title_matches_come_first_then_the_best_text_matches(editor, make_entry):
    make_entry("Misc notes", "There is one rollback mention here among other words.")
    make_entry("Deploy notes", "Rollback, rollback and rollback again: rollback steps.")
    make_entry("Rollback guide", "How to undo a release.")
    make_entry("Unrelated", "Nothing to see.")
    assert listed(find(editor, q="rollback")) == ["Rollback guide", "Deploy notes", "Misc notes"]


def test_a_quoted_phrase_matches_those_words_in_that_order_only(editor, make_entry):
    make_entry("Keys", "Rotate the service role key every quarter.")
    make_entry("Roles", "The role of the service is to hold a key.")
    assert listed(find(editor, q='"service role key"')) == ["Keys"]
    assert sorted(listed(find(editor, q="service role key"))) == ["Keys", "Roles"]


def test_a_minus_excludes_a_word_and_or_takes_either(editor, make_entry):
    make_entry("Quokka care", "Feeding the quokka.")
    make_entry("Quokka photos", "A quokka and a heliotrope.")
    make_entry("Garden", "The heliotrope flowers.")
    assert listed(find(editor, q="quokka -heliotrope")) == ["Quokka care"]
    assert sorted(listed(find(editor, q="quokka or heliotrope"))) == [
        "Garden",
        "Quokka care",
        "Quokka photos",
    ]


def test_a_half_typed_title_word_finds_the_title(editor, make_entry):
    make_entry("Pipeline basics", "How data moves.")
    make_entry("Ingest", "The pipeline is mentioned only in the text.")
    assert listed(find(editor, q="pipel")) == ["Pipeline basics"]
    # with words before it, those must match too
    assert listed(find(editor, q="data pipel")) == ["Pipeline basics"]
    assert listed(find(editor, q="nothing pipel")) == []
    # the start of a word, not any part of one
    make_entry("Roles guide", "text")
    make_entry("Control panel", "text")
    assert listed(find(editor, q="rol")) == ["Roles guide"]


def test_matches_are_highlighted_in_the_title_and_a_snippet(editor, make_entry):
    make_entry(
        "Rotating keys", "Long text. " * 20 + "Rotate the signing key first. " + "More. " * 20
    )
    html = find(editor, q="key").content.decode()
    assert "Rotating <mark>keys</mark>" in html
    assert '<p class="kb-snippet">' in html and "signing <mark>key</mark> first" in html


def test_the_search_looks_only_at_what_the_user_may_read(client_as, make_entry):
    make_entry("Published zygomorphic", "text")
    make_entry("Draft zygomorphic", "text", is_active=False)
    assert listed(find(client_as("viewer"), q="zygomorphic")) == ["Published zygomorphic"]
    assert sorted(listed(find(client_as("auditor"), q="zygomorphic"))) == [
        "Draft zygomorphic",
        "Published zygomorphic",
    ]


def test_every_match_is_listed_once_when_there_are_more_than_the_ranked_pool(
    editor, make_entry, backdate, monkeypatch
):
    monkeypatch.setattr(search_module, "POOL", 2)
    monkeypatch.setattr(search_module, "TITLE_POOL", 1)
    for n in range(7):
        backdate(make_entry(f"Note {n}", f"vexillology text {n}"), hours=n)
    make_entry("Vexillology handbook", "flags")
    response = find(editor, q="vexillology", per_page=25)
    html = response.content.decode()
    assert "Most relevant first among" in html  # and it says the rest follow
    assert "8 results" in html  # few enough to be counted exactly
    seen = listed(response)
    assert seen[0] == "Vexillology handbook"  # the title match leads the ranked part
    assert len(seen) == len(set(seen)) == 8
    rest = seen[3:]  # after the pool of three, newest first
    assert rest == sorted(rest)


def test_many_matches_are_counted_by_estimate(editor, make_entry, monkeypatch):
    monkeypatch.setattr(search_module, "POOL", 2)
    monkeypatch.setattr(search_module, "EXACT_COUNT_BELOW", 0)  # as with 2,000 matches or more
    for n in range(4):
        make_entry(f"Note {n}", "vexillology")
    html = find(editor, q="vexillology").content.decode()
    assert "About " in html


@pytest.mark.parametrize(
    "query",
    [
        "'",
        "\\",
        "&|!",
        "!!",
        "(((",
        '"',
        "-",
        "or",
        "a:*",
        "'; drop table knowledge_base_entries; --",
        "<script>alert(1)</script>",
        "NUL\x00byte",
        "\x00",
        "x" * 10_000,
        "agent " * 3000,
        "日本語 ключ",
    ],
)
def test_hostile_queries_give_results_or_a_clear_message_never_an_error(editor, make_entry, query):
    make_entry("Agent handbook", "agent text")
    response = find(editor, q=query)
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert Entry.objects.count() == 1  # nothing was dropped


def test_a_query_with_no_words_says_so(editor, make_entry):
    make_entry("Anything", "text")
    response = find(editor, q="&|!")
    assert "Nothing to search for" in response.content.decode()
    assert listed(response) == []
    assert listed(find(editor, q="the and")) == []  # stop words alone


def test_a_long_query_is_cut_and_says_so(editor, make_entry):
    make_entry("Agent handbook", "agent text")
    response = find(editor, q="agent " + "y" * 10_000)
    assert "Only the first 200 characters" in response.content.decode()
    assert clean_query("a" * 10_000) == ("a" * MAX_QUERY_LENGTH, True)
    assert clean_query(" a\x00b\tc  ") == ("a b c", False)


def test_nul_bytes_in_any_filter_are_a_form_error_not_a_crash(editor, make_entry):
    make_entry("Agent handbook", "agent text")
    for name in ("category", "tags", "author", "updated_from", "sort", "tags_match", "is_active"):
        response = editor.get("/knowledge/", {name: "a\x00b"})
        assert response.status_code == 200, name
    assert editor.get("/knowledge/", {"updated_until": "9999-12-31"}).status_code == 200


def test_an_empty_search_lists_everything_newest_first(editor, make_entry, backdate):
    backdate(make_entry("Old", "text"), days=3)
    make_entry("New", "text")
    assert listed(find(editor, q="   ")) == ["New", "Old"]


def test_filters_category_tags_active_author_and_dates(client_as, make_entry, backdate):
    editor = client_as("editor")
    mine = make_entry("Mine", "agent", category="security", tags=["rls", "postgres"])
    make_entry("Theirs", "agent", category="security", tags=["rls"], created_by=None)
    make_entry("Ops", "agent", category="operations", tags=["postgres"])
    make_entry("Draft", "agent", category="operations", tags=["rls"], is_active=False)
    Entry.objects.filter(pk=mine.pk).update(created_by=editor.user.id)
    backdate(make_entry("Old", "agent", category="security"), days=30)
    today = timezone.localdate().isoformat()

    def titles(**params):
        return sorted(listed(find(editor, **params)))

    for q in ("", "agent"):  # the same with and without a search
        assert titles(q=q, category="security") == ["Mine", "Old", "Theirs"]
        assert titles(q=q, tags="RLS, postgres") == ["Draft", "Mine", "Ops", "Theirs"]
        assert titles(q=q, tags="rls, postgres", tags_match="all") == ["Mine"]
        assert titles(q=q, is_active="false") == ["Draft"]
        assert titles(q=q, author="me") == ["Mine"]
        assert titles(q=q, author=str(editor.user.id)) == ["Mine"]
        assert titles(
            q=q, updated_until=(timezone.localdate() - timedelta(days=7)).isoformat()
        ) == ["Old"]
        assert "Old" not in titles(q=q, updated_from=today, updated_until=today)


def test_sorting_by_title_or_date_instead_of_relevance(editor, make_entry, backdate):
    make_entry("Beta", "agent agent agent")
    make_entry("Alpha", "agent")
    backdate(make_entry("Gamma agent", "text"), days=1)
    assert listed(find(editor, q="agent")) == ["Gamma agent", "Beta", "Alpha"]
    assert listed(find(editor, q="agent", sort="title")) == ["Alpha", "Beta", "Gamma agent"]
    assert listed(find(editor, q="agent", sort="-title")) == ["Gamma agent", "Beta", "Alpha"]
    assert listed(find(editor, q="agent", sort="updated_at"))[0] == "Gamma agent"


def test_htmx_gets_only_the_results_and_the_url_keeps_the_search(editor, make_entry):
    make_entry("Agent handbook", "agent")
    response = editor.get("/knowledge/", {"q": "agent", "category": ""}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html and listed(response) == ["Agent handbook"]
    assert response["Vary"].count("HX-Request")
    page = editor.get("/knowledge/", {"q": "agent"}).content.decode()
    assert 'value="agent"' in page  # the search box shows the query after a reload


def test_highlight_escapes_everything_but_its_own_markers():
    start, stop = search_module.START_SEL, search_module.STOP_SEL
    text = f"<b>x</b> {start}<img src=x onerror=alert(1)>{stop} {stop}{start}{start}open"
    html = str(highlight(text))
    assert html == (
        "&lt;b&gt;x&lt;/b&gt; <mark>&lt;img src=x onerror=alert(1)&gt;</mark> <mark>open</mark>"
    )


def test_the_search_index_is_used(make_entry):
    """EXPLAIN of what the search runs: the GIN indexes, never a scan of every row."""
    make_entry("Pipeline zygomorphic", "rare", tags=["rls"])
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.knowledge_base_entries (title, content, tags)"
            " select 'Entry ' || md5(g::text), 'filler words ' || g, array['t' || g % 50]"
            " from generate_series(1, 3000) g"
        )
        for index in ("search", "title_search", "title_trgm", "tags"):  # as after a vacuum
            cursor.execute(f"select gin_clean_pending_list('public.idx_kb_entries_{index}')")
        cursor.execute("analyze public.knowledge_base_entries")
        cursor.execute("set local enable_seqscan = off")
        plans = []
        for sql in (
            "select e.id from public.knowledge_base_entries e"
            " where e.search_vector @@ websearch_to_tsquery('english', 'zygomorphic')",
            "select e.id from public.knowledge_base_entries e"
            " where to_tsvector('english', e.title) @@ websearch_to_tsquery('english', 'pipeline')",
            "select e.id from public.knowledge_base_entries e where lower(e.title) like '%zygom%'",
            "select e.id from public.knowledge_base_entries e where e.tags && array['rls']",
        ):
            cursor.execute("explain " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        cursor.execute("set local enable_seqscan = on")
    assert "idx_kb_entries_search" in plans[0]
    assert "idx_kb_entries_title_search" in plans[1]
    assert "idx_kb_entries_title_trgm" in plans[2]
    assert "idx_kb_entries_tags" in plans[3]


def test_half_typed_words_in_any_script(editor, make_entry):
    make_entry("Ключевые слова", "текст")
    make_entry("Überblick", "text")
    assert listed(find(editor, q="ключ")) == ["Ключевые слова"]
    assert listed(find(editor, q="überb")) == ["Überblick"]


def test_a_word_that_is_only_a_tag_or_the_category_finds_the_entry(editor, make_entry):
    """The search vector holds the tags and the category too (below title and text)."""
    make_entry("Quarterly notes", "Nothing about it here.", tags=["zebrafish"])
    make_entry("Other notes", "Nothing either.", category="okapiology")
    make_entry("Zebrafish care", "Title match first.")
    assert listed(find(editor, q="zebrafish")) == ["Zebrafish care", "Quarterly notes"]
    assert listed(find(editor, q="okapiology")) == ["Other notes"]
