"""Keyset pages: every row exactly once, newest first, whatever is inserted meanwhile; no
count; a jump to a date. First the shared mechanism (console.pagination.Keyset), then the
audit trail's pages that use it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Agent
from console.audit_log import AuditLog
from console.pagination import BadCursor, Keyset
from tests.audit_trail.conftest import BASE, link, row_ids

NEWEST_FIRST = Keyset(("-created_at", "-id"))


def walk(queryset, keyset, per_page, **start):
    """Follow the "next" cursors from the first page to the end; the pages' rows."""
    pages, params = [], start
    while True:
        page = keyset.page(queryset, per_page=per_page, **params)
        pages.append(page)
        if page.next_cursor is None:
            return pages
        params = {keyset.next_param: page.next_cursor}


def ids(rows):
    return [str(row.pk) for row in rows]


@pytest.mark.django_db
def test_walking_older_shows_every_row_once_newest_first_ties_included(trail):
    # 23 rows, with runs of equal timestamps: the id breaks the tie.
    expected = []
    for minute in range(8):
        for _ in range(3 if minute % 2 else 2):
            expected.append(trail.row(created_at=BASE - timedelta(minutes=minute)))
    queryset = AuditLog.objects.filter(table_name=trail.table)
    order = ids(queryset.order_by("-created_at", "-id"))
    assert sorted(order) == sorted(expected)

    pages = walk(queryset, NEWEST_FIRST, per_page=4)

    assert [len(p.rows) for p in pages] == [4, 4, 4, 4, 4]
    assert [i for p in pages for i in ids(p.rows)] == order
    assert pages[0].first and pages[0].previous_cursor is None
    assert all(p.previous_cursor for p in pages[1:])
    assert pages[-1].next_cursor is None


@pytest.mark.django_db
def test_walking_back_newer_from_the_oldest_page_gives_the_same_pages(trail):
    trail.rows(10)
    queryset = AuditLog.objects.filter(table_name=trail.table)
    forward = walk(queryset, NEWEST_FIRST, per_page=3)
    back, cursor = [forward[-1]], forward[-1].previous_cursor
    while cursor:
        page = NEWEST_FIRST.page(queryset, per_page=3, after=cursor)
        back.append(page)
        cursor = page.previous_cursor
    assert [ids(p.rows) for p in back[1:]] == [ids(p.rows) for p in forward[-2::-1]]


@pytest.mark.django_db
def test_rows_inserted_between_page_loads_neither_repeat_nor_vanish(trail):
    old = trail.rows(9)
    queryset = AuditLog.objects.filter(table_name=trail.table)
    first = NEWEST_FIRST.page(queryset, per_page=4)
    assert ids(first.rows) == old[:4]

    # Five new rows arrive while the auditor reads the first page.
    new = trail.rows(5, start=BASE + timedelta(hours=1))
    second = NEWEST_FIRST.page(queryset, per_page=4, before=first.next_cursor)
    third = NEWEST_FIRST.page(queryset, per_page=4, before=second.next_cursor)
    assert ids(second.rows) + ids(third.rows) == old[4:]
    assert third.next_cursor is None

    # Going back up from the second page: the first page as it was, then the new rows.
    up = NEWEST_FIRST.page(queryset, per_page=4, after=second.previous_cursor)
    assert ids(up.rows) == old[:4]
    newest = NEWEST_FIRST.page(queryset, per_page=4, after=up.previous_cursor)
    assert ids(newest.rows) == new[1:]
    top = NEWEST_FIRST.page(queryset, per_page=4, after=newest.previous_cursor)
    assert ids(top.rows) == new[:1] and top.previous_cursor is None
    seen = [*ids(top.rows), *ids(newest.rows), *ids(up.rows), *ids(second.rows), *ids(third.rows)]
    assert seen == new + old


@pytest.mark.django_db
def test_a_jump_starts_at_the_newest_row_of_that_day_or_moment(trail):
    day = [trail.row(created_at=BASE.replace(hour=h)) for h in (20, 15, 9)]  # 2025-06-01
    before = trail.row(created_at=BASE - timedelta(days=1))
    after = trail.row(created_at=BASE + timedelta(days=1))
    queryset = AuditLog.objects.filter(table_name=trail.table)

    page = NEWEST_FIRST.page(queryset, per_page=10, jump="2025-06-01")
    assert ids(page.rows) == [*day, before]
    assert page.previous_cursor  # the next day's row is newer
    assert ids(NEWEST_FIRST.page(queryset, per_page=10, after=page.previous_cursor).rows) == [after]

    at_moment = NEWEST_FIRST.page(queryset, per_page=10, jump="2025-06-01 15:00")
    assert ids(at_moment.rows) == [day[1], day[2], before]  # 15:00 itself included
    assert ids(NEWEST_FIRST.page(queryset, per_page=10, jump="2025-01-01").rows) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"before": "not-a-cursor"},
        {"after": "2025-06-01T12:00:00Z,not-a-uuid"},
        {"before": "2025-99-01T12:00:00Z,00000000-0000-0000-0000-000000000000"},
        {"before": "x" * 10_000},
        {"jump": "yesterday"},
        {"jump": "0000-01-01"},
        {"jump": "2025-02-30"},
    ],
)
def test_a_bad_cursor_or_jump_is_refused_with_a_message(params):
    with pytest.raises(BadCursor) as refused:
        NEWEST_FIRST.page(AuditLog.objects.all(), per_page=5, **params)
    assert str(refused.value)


@pytest.mark.django_db
def test_an_ascending_keyset_pages_the_other_way_round():
    names = [f"Agent {n:02}" for n in range(7)]
    Agent.objects.bulk_create([Agent(name=name, type="t") for name in reversed(names)])
    keyset = Keyset(("name", "id"))
    pages = walk(Agent.objects.filter(name__startswith="Agent "), keyset, per_page=3)
    assert [a.name for p in pages for a in p.rows] == names
    assert keyset.next_param == "after" and keyset.previous_param == "before"
    with pytest.raises(ValueError):
        Keyset(("-created_at", "id"))


# The audit trail's list pages.


@pytest.mark.django_db(transaction=True)
def test_the_list_pages_through_every_row_once_with_new_rows_arriving(signed_in, trail):
    client = signed_in("auditor")
    old = trail.rows(60)
    url = f"/audit/?table={trail.table}&per_page=25"
    first = client.get(url)
    assert row_ids(first) == old[:25]
    assert link(first, "prev") is None

    trail.rows(3, start=BASE + timedelta(hours=1))  # arrive between page loads
    second = client.get(link(first, "next"))
    third = client.get(link(second, "next"))
    assert row_ids(second) == old[25:50]
    assert row_ids(third) == old[50:]
    assert link(third, "next") is None
    assert row_ids(first) + row_ids(second) + row_ids(third) == old

    back = client.get(link(second, "prev"))
    assert row_ids(back) == old[:25]
    assert len(row_ids(client.get(link(back, "prev")))) == 3  # the new rows, on top


@pytest.mark.django_db(transaction=True)
def test_the_list_counts_nothing_and_runs_a_fixed_number_of_queries(signed_in, trail):
    client = signed_in("auditor")
    trail.rows(120)
    first = client.get(f"/audit/?table={trail.table}&per_page=25")
    deep_url = link(client.get(link(client.get(link(first, "next")), "next")), "next")
    counts = []
    for url in (f"/audit/?table={trail.table}", deep_url, "/audit/"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        statements = [
            q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")
        ]
        sql = " ".join(statements).lower()
        assert "count(" not in sql and "explain" not in sql
        counts.append(len(statements))
        # session, user and role switch, the page (on later pages with its EXISTS for "newer")
        assert len(statements) <= 3, statements
    assert counts[0] == counts[1], "a deep page costs what the first does"


@pytest.mark.django_db
def test_a_page_from_a_cursor_is_one_query_and_knows_both_ends(trail, django_assert_num_queries):
    trail.rows(7)
    queryset = AuditLog.objects.filter(table_name=trail.table)
    first = NEWEST_FIRST.page(queryset, per_page=3)
    with django_assert_num_queries(1):
        middle = NEWEST_FIRST.page(queryset, per_page=3, before=first.next_cursor)
    assert middle.previous_cursor and middle.next_cursor
    with django_assert_num_queries(1):
        last = NEWEST_FIRST.page(queryset, per_page=3, before=middle.next_cursor)
    assert len(last.rows) == 1 and last.previous_cursor and last.next_cursor is None
    with django_assert_num_queries(1):
        back = NEWEST_FIRST.page(queryset, per_page=3, after=middle.previous_cursor)
    assert ids(back.rows) == ids(first.rows)
    assert back.previous_cursor is None and back.next_cursor  # the head: nothing newer
    with django_assert_num_queries(1):  # below the oldest row: an empty page
        beyond = NEWEST_FIRST.page(queryset, per_page=3, before=NEWEST_FIRST.cursor(last.rows[0]))
    assert beyond.rows == [] and beyond.previous_cursor is None and beyond.next_cursor is None


@pytest.mark.django_db(transaction=True)
def test_jump_to_a_date_in_the_list_and_a_broken_cursor_says_so(signed_in, trail):
    client = signed_in("auditor")
    ids_ = trail.rows(5, step=timedelta(days=-1))  # 2025-06-01 back to 2025-05-28
    jumped = client.get(f"/audit/?table={trail.table}&jump=2025-05-30")
    assert row_ids(jumped) == ids_[2:]
    assert link(jumped, "prev")  # newer rows exist
    assert 'value="2025-05-30"' in jumped.content.decode()

    broken = client.get(f"/audit/?table={trail.table}&before=garbage")
    assert broken.status_code == 200
    assert "That page link is not valid any more." in broken.content.decode()
    assert row_ids(broken) == ids_  # the newest page instead

    bad_jump = client.get(f"/audit/?table={trail.table}&jump=31/12/2025")
    assert "is not a date" in bad_jump.content.decode()


@pytest.mark.django_db(transaction=True)
def test_htmx_gets_only_the_results_and_the_url_carries_the_cursor(signed_in, trail):
    client = signed_in("auditor")
    trail.rows(30)
    first = client.get(f"/audit/?table={trail.table}&per_page=25")
    older = link(first, "next")
    assert "before=" in older and f"table={trail.table}" in older
    fragment = client.get(older, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body
    assert len(row_ids(fragment)) == 5
    assert fragment["Vary"] and "HX-Request" in fragment["Vary"]
