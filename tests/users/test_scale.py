"""The users list at 100,000 users: every filter and sort answered through an index, no full
COUNT(*), and the same handful of queries on every page."""

import re
import time
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django_htmx.middleware import HtmxDetails

from console.auth.session import ConsoleUser
from console.rls import as_user
from console.roles import Role
from console.users.views.accounts import UserListView
from tests.factories import db_user

pytestmark = pytest.mark.django_db

USERS = 100_000


@pytest.fixture
def hundred_thousand_users():
    """100,000 users in this test's transaction (rolled back after it), with every state.
    Set-based: the per-row triggers (profile, auth-state copy) are tested elsewhere, and here
    they would make the set-up slow."""
    with connection.cursor() as cursor:
        cursor.execute("alter table auth.users disable trigger user")
        cursor.execute(
            "insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at,"
            " last_sign_in_at, banned_until, created_at, updated_at)"
            " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',"
            " 'authenticated', 'person' || g || '@scale.example.test',"
            " case when g %% 20 <> 0 then now() - make_interval(days => g %% 300) end,"
            " case when g %% 3 = 0 then now() - make_interval(mins => g) end,"
            " case when g %% 97 = 0 then now() + interval '1 day' end,"
            " now() - make_interval(secs => g), now()"
            " from generate_series(1, %s) g",
            [USERS],
        )
        cursor.execute("alter table auth.users enable trigger user")
        cursor.execute(
            "insert into public.profiles (id, email, display_name, role, created_at)"
            " select id, email, 'Person ' || split_part(split_part(email, '@', 1), 'person', 2)"
            "   || ' Surname' || (abs(hashtext(email)) % 500),"
            " (array['viewer','editor','auditor','viewer'])[1 + abs(hashtext(id::text)) % 4],"
            " created_at from auth.users where email like '%@scale.example.test'"
        )
        cursor.execute(
            "insert into private.user_auth_state (id, email_confirmed_at, last_sign_in_at,"
            " banned_until) select id, email_confirmed_at, last_sign_in_at, banned_until"
            " from auth.users where email like '%@scale.example.test'"
        )
        cursor.execute("analyze public.profiles")
        cursor.execute("analyze private.user_auth_state")


def _list(admin, query: str):
    request = RequestFactory().get(f"/users/?{query}")
    request.console_user = ConsoleUser(admin.id, admin.email, None, Role.ADMIN, admin.claims)
    request.htmx = HtmxDetails(request)
    request.session = {}
    with as_user(admin.claims), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = UserListView.as_view()(request)
        response.render()
        elapsed = time.perf_counter() - started
    return response, elapsed, [q["sql"] for q in queries.captured_queries]


def _plan(admin, sql: str) -> str:
    with as_user(admin.claims), connection.cursor() as cursor:
        cursor.execute(f"explain {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


# Each view of the list, and the indexes that may serve it (any one will do: the planner picks
# by the data).
QUERIES = {
    "": {"idx_profiles_created_id"},
    "sort=email": {"idx_profiles_email_id"},
    "sort=-display_name": {"idx_profiles_display_name_id"},
    "sort=role": {"idx_profiles_role_created"},
    "sort=-role": {"idx_profiles_role_created"},
    "sort=-last_sign_in_at": {"idx_user_auth_state_last_sign_in"},
    "sort=email_confirmed_at": {"idx_user_auth_state_confirmed"},
    "sort=-banned_until": {"idx_user_auth_state_banned"},
    "sort=created_at&page=40": {"idx_profiles_created_id"},
    "role=auditor": {"idx_profiles_role_created", "idx_profiles_role", "idx_profiles_created_id"},
    "role=viewer&sort=email": {"idx_profiles_email_id", "idx_profiles_role_created"},
    "state=banned": {"idx_user_auth_state_banned"},
    "state=unconfirmed": {"idx_user_auth_state_confirmed", "idx_profiles_created_id"},
    "state=active&sort=-last_sign_in_at": {"idx_user_auth_state_last_sign_in"},
    "q=person4242": {"idx_profiles_search_trgm"},
    "q=son4242": {"idx_profiles_search_trgm"},
    "q=surname17": {"idx_profiles_search_trgm", "idx_profiles_created_id"},
    "q=surname17%20person": {"idx_profiles_search_trgm", "idx_profiles_created_id"},
    "q=scale.example": {"idx_profiles_search_trgm", "idx_profiles_created_id"},
    # The matches are read in full with their count (console.pagination.ids_and_count): by
    # its sample the planner may read the editors by the role index and check the search on
    # them, or the trigrams and check the role; both are index reads.
    "q=person12&role=editor&state=active": {
        "idx_profiles_search_trgm",
        "idx_profiles_role_created",
        "idx_profiles_role",
    },
    # One or two characters: the start of the email or of a name word.
    "q=pe": {"idx_profiles_email_lower", "idx_profiles_created_id"},
    "q=p": {"idx_profiles_email_lower", "idx_profiles_created_id"},
}


def test_every_filter_and_sort_is_served_by_an_index_at_100000_users(hundred_thousand_users):
    admin = db_user("admin")
    problems = []
    for query, indexes in QUERIES.items():
        response, elapsed, queries = _list(admin, f"{query}&per_page=100")
        assert response.status_code == 200, query
        page_sql = [q for q in queries if q.startswith("SELECT") and "LIMIT" in q][-1]
        plan = _plan(admin, page_sql)
        # the page, and the planner's estimate (plus an exact count below 10,000 rows)
        uses_index = any(index in plan for index in indexes)
        # The plan is the evidence; the clock only catches the pathological (it is shared
        # with whatever else the machine runs).
        if not uses_index or elapsed > 3.0 or len(queries) > 3:
            problems.append((query, uses_index, round(elapsed, 3), len(queries), plan))
    assert not problems, "\n\n".join(map(str, problems))

    # No COUNT(*) of the whole table: the planner's estimate, said as such.
    response, _elapsed, queries = _list(admin, "")
    assert not any("COUNT(" in q.upper() for q in queries), queries
    assert re.search(r"About 10\d,\d{3} results", response.content.decode())


# Fragments from the middle of an email or a name, each found by few users: every query the
# list makes for them goes through an index: the matches (the page's ids and their count, in
# one query) through the trigram index, then the page's rows by primary key.
RARE_FRAGMENTS = {
    "son4242@": {"person4242@scale.example.test"},
    "42424@scale": {"person42424@scale.example.test"},
    "rson 4242 ": {f"person4242{n}@scale.example.test" for n in ["", *range(10)]},
}


def test_search_anywhere_is_served_by_the_trigram_index_at_100000_users(
    hundred_thousand_users,
):
    admin = db_user("admin")
    for fragment, expected in RARE_FRAGMENTS.items():
        response, elapsed, queries = _list(admin, f"q={quote(fragment)}&per_page=100")
        assert response.status_code == 200, fragment
        shown = set(re.findall(r">([\w.+-]+@[\w.-]+)</a>", response.content.decode()))
        assert shown >= expected and all(e.endswith("@scale.example.test") for e in shown)
        reads = [q for q in queries if q.startswith("SELECT") and "user_list" in q]
        assert reads, queries
        matches = [sql for sql in reads if " like " in sql]
        assert len(matches) == 1 and "COUNT(*) OVER ()" in matches[0], reads
        for sql in reads:
            plan = _plan(admin, sql)
            index = "idx_profiles_search_trgm" if sql in matches else "profiles_pkey"
            assert index in plan and "Seq Scan" not in plan, (sql, plan)
        assert elapsed < 3.0, (fragment, elapsed)
