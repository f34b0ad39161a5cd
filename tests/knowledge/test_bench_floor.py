"""The benchmark's floor for a ranked search (bench/pages.py, ranked_search_floor) returns the
rows of the console's first page in the console's order (title matches first, then
ts_rank_cd, newest, id), with the same highlighted title and snippet. Else the bench would
compare the page with other work."""

import pytest
from django.db import connection

from bench.measure import ids_in
from bench.pages import selected
from console.rls import as_user
from knowledge.models import Entry
from knowledge.search import HEADLINE_FRAGMENTS, HEADLINE_WHOLE, Search

pytestmark = pytest.mark.django_db


def test_the_ranked_search_floor_shows_the_pages_rows_in_its_order(client_as, make_entry):
    # Title matches, a half-typed title word, text matches of different strength, ties in
    # rank, and entries that do not match.
    for n in range(3):
        make_entry(f"Agent handbook {n}", "How agents work. " * (n + 1))
        make_entry(f"Agentic flows {n}", "Nothing about the word itself.")
        make_entry(f"Notes {n}", "An agent here, an agent there. " * (n + 1))
        make_entry(f"Plain {n}", "Unrelated text.")
    make_entry("Agentless setups", "Nothing about the word itself.")  # marked as a prefix only
    make_entry("One agent", "agent agent agent", tags=["agent"], category="agent")
    auditor = client_as("auditor")
    row = next(r for r in selected("knowledge-common") if r.key == "knowledge-common")
    with as_user(auditor.user.claims), connection.cursor() as cursor:
        cursor.execute(
            row.floor,
            {
                "common": "agent",
                "headline_whole": HEADLINE_WHOLE,
                "headline_fragments": HEADLINE_FRAGMENTS,
            },
        )
        floor_rows = cursor.fetchall()
        page = Search.parse("agent", window=(0, 50)).pool.rows
    floor_ids = [str(r[0]) for r in floor_rows]
    shown = ids_in(auditor.get(row.ours.format(common="agent")).content.decode(), row.id_link)
    titles = {str(pk): title for pk, title in Entry.objects.values_list("pk", "title")}
    assert [titles[pk] for pk in floor_ids] == [
        "One agent",  # the title, and the most text
        *(f"Agent handbook {n}" for n in (2, 1, 0)),  # then the rank, here the text's
        "Agentless setups",  # a half-typed title word; newest first
        *(f"Agentic flows {n}" for n in (2, 1, 0)),
        *(f"Notes {n}" for n in (2, 1, 0)),  # text matches only, after every title match
    ]
    assert shown == floor_ids
    # the title and the snippet as the page shows them
    marked = {str(r[0]): (r[-2], r[-1]) for r in floor_rows}
    assert marked == {str(pk): (e.title_marked, e.snippet) for pk, e in page.items()}
    assert "\ue000" in marked[floor_ids[0]][0] and "\ue000" in marked[floor_ids[0]][1]
