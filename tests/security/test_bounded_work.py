"""Bounded work per request: page sizes only from the offered choices, a statement
timeout per signed-in transaction, and no parameter or form value that answers 500."""

import uuid

import pytest
from django.db import connection
from django.urls import resolve, reverse

from agents.models import Agent
from console.lists import PAGE_SIZES
from console.registry import all_areas
from console.rls import as_user
from knowledge.models import Entry
from tests.factories import db_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Use '__' to separate path components"),
]

HOSTILE = [
    "-1",
    "1000000000",
    "9" * 400,
    "1.5",
    "1e400",
    "\x00",
    "not-a-uuid",
    str(uuid.uuid4()),
    "2026-13-45",
    "2026-02-30T25:61",
    "10.0.0.0/33",
    "999.1.1.1",
    "'; drop table public.audit_logs; --",
    "<script>alert(1)</script>",
    "x" * 20_000,
]
MEGABYTE = "m" * (1024 * 1024)
POSITION = ("page", "per_page", "sort", "before", "after", "jump", "format", "unknown_key")


def list_views():
    """(area key, list URL, its filters) for every list of the registry."""
    for area in all_areas():
        url = reverse(area.list_url)
        view = resolve(url).func
        view_class = getattr(view, "view_class", None)
        filterset_class = getattr(view_class, "filterset_class", None)
        filters = list(filterset_class.base_filters) if filterset_class else []
        yield area.key, url, filters


@pytest.fixture
def admin(client_as):
    client = client_as("admin")
    client.raise_request_exception = False  # a 500 is a status to assert on, not a raise
    return client


def test_a_huge_page_size_shows_at_most_200_rows(admin):
    Agent.objects.bulk_create(Agent(name=f"Agent {n:03}", type="x") for n in range(230))
    for per_page in ("1000000000", "-1", "0", "201", "abc"):
        response = admin.get(f"/agents/?per_page={per_page}")
        assert response.status_code == 200
        table = response.context["table"]
        assert len(table.page.object_list) <= max(PAGE_SIZES)
        assert table.paginator.per_page in PAGE_SIZES
    response = admin.get("/agents/?per_page=200")
    assert len(response.context["table"].page.object_list) == 200


def test_every_list_offers_and_keeps_only_the_offered_sizes(admin):
    from console.lists import ObjectListView

    for _key, url, _filters in list_views():
        view_class = getattr(resolve(url).func, "view_class", None)
        if not (view_class and issubclass(view_class, ObjectListView)):
            continue  # not a paged list (the crews overview: one line per crew)
        response = admin.get(f"{url}?per_page=1000000000")
        assert response.status_code == 200, url
        assert response.context.get("per_page") in PAGE_SIZES, url


def test_every_list_parameter_with_hostile_values_answers_no_500(admin):
    Entry.objects.create(title="Entry", content="x")
    Agent.objects.create(name="Agent", type="x")
    failures = []
    for key, url, filters in list_views():
        for name in (*POSITION, *filters):
            for value in HOSTILE:
                response = admin.get(url, {name: value})
                if response.status_code >= 500:
                    failures.append((key, name, value[:20], response.status_code))
            # Not UTF-8 at all (a lone surrogate's bytes), as a client may send it.
            response = admin.get(f"{url}?{name}=%ED%A0%80&{name}=%FF")
            if response.status_code >= 500:
                failures.append((key, name, "bad UTF-8", response.status_code))
        response = admin.get(url, dict.fromkeys((*POSITION, *filters), MEGABYTE[:200_000]))
        if response.status_code >= 500:
            failures.append((key, "all", "200 KB", response.status_code))
    assert failures == []


def test_the_other_get_endpoints_answer_no_500(admin):
    entry = Entry.objects.create(title="Entry", content="x")
    endpoints = [
        ("/history/", {"table": "knowledge_base_entries", "record": str(entry.pk)}),
        ("/audit/actors/", {"actor": "a"}),
        ("/audit/export/", {"format": "jsonl"}),
        ("/knowledge/export/", {"format": "csv"}),
    ]
    failures = []
    for url, base in endpoints:
        for name in (*base, "before", "q", "unknown_key"):
            for value in HOSTILE:
                response = admin.get(url, {**base, name: value})
                if response.status_code >= 500:
                    failures.append((url, name, value[:20], response.status_code))
    assert failures == []


def test_a_nul_byte_in_the_history_or_actor_parameters_is_a_400(admin):
    assert admin.get("/audit/actors/", {"actor": "a\x00"}).status_code == 400
    assert admin.get("/history/", {"table": "profiles", "record": "\x00"}).status_code == 400


def form_posts(entry_id, user_id):
    """(URL, fields) of every form a signed-in admin can post."""
    return [
        ("/knowledge/new/", ["title", "content", "category", "tags", "metadata", "is_active"]),
        (
            f"/knowledge/{entry_id}/edit/",
            ["title", "content", "category", "tags", "metadata", "is_active", "version"],
        ),
        ("/knowledge/preview/", ["content"]),
        ("/knowledge/bulk/", ["action", "pk", "_all", "filters", "confirm", "confirmation", "tag"]),
        ("/agents/bulk/", ["action", "pk", "_all", "filters", "confirm", "confirmation"]),
        ("/users/bulk/", ["action", "pk", "_all", "filters", "confirm", "role", "duration"]),
        ("/knowledge/import/", ["token"]),
        ("/users/promote/", ["email"]),
        ("/users/me/", ["display_name", "version"]),
        (f"/users/{user_id}/role/", ["role", "version", "confirm"]),
        (f"/users/{user_id}/name/", ["display_name", "version"]),
        (f"/users/{user_id}/ban/", ["duration", "version"]),
        (f"/users/{user_id}/delete/", ["confirm_email", "version"]),
    ]


def test_every_form_with_hostile_values_answers_no_500(admin):
    entry = Entry.objects.create(title="Entry", content="x")
    target = db_user("viewer")
    failures = []
    for url, fields in form_posts(entry.pk, target.id):
        for value in [*HOSTILE, MEGABYTE]:
            data = dict.fromkeys(fields, value)
            data["unknown_key"] = value
            response = admin.post(url, data)
            if response.status_code >= 500:
                failures.append((url, value[:20], response.status_code))
        raw = "&".join(f"{field}=%ED%A0%80" for field in fields)
        response = admin.post(url, raw, content_type="application/x-www-form-urlencoded")
        if response.status_code >= 500:
            failures.append((url, "bad UTF-8", response.status_code))
    assert failures == []


def test_a_query_past_the_statement_timeout_answers_503(admin, settings, monkeypatch):
    settings.DATABASE_STATEMENT_TIMEOUT = 200
    viewer = db_user("viewer")
    with as_user(viewer.claims), connection.cursor() as cursor:
        cursor.execute("show statement_timeout")
        assert cursor.fetchone()[0] == "200ms"
        cursor.execute("savepoint slow")
        with pytest.raises(Exception) as cancelled:
            cursor.execute("select pg_sleep(2)")
        assert getattr(cancelled.value.__cause__, "sqlstate", None) == "57014"
        cursor.execute("rollback to savepoint slow")
    # A list whose query runs longer than the limit: the page says so (503), nothing is lost.
    Agent.objects.create(name="Slow", type="x")
    from agents import views as agent_views

    monkeypatch.setattr(
        agent_views.AgentListView,
        "queryset",
        Agent.objects.extra(where=["(select true from pg_sleep(2))"]),
    )
    response = admin.get("/agents/")
    assert response.status_code == 503
    assert "took too long" in response.content.decode()
