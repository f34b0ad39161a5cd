"""A signed-in request's queries have a statement and a lock timeout (transaction-local):
a query that waits too long ends with a 503 page, never a hung worker, and nothing of the
request is written."""

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection


def _owner_url() -> str:
    db = django_settings.DATABASES["default"]
    return f"postgresql://{db['USER']}:@/{db['NAME']}?host={db['HOST']}" + (
        f"&port={db['PORT']}" if db["PORT"] else ""
    )


@pytest.fixture
def table_held():
    """Another session holds knowledge_base_entries exclusively, as a long migration would."""
    with psycopg.connect(_owner_url()) as other:
        other.execute("lock table public.knowledge_base_entries in access exclusive mode")
        yield
        other.rollback()


def _entries(title):
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from public.knowledge_base_entries where title = %s", [title]
        )
        entries = cursor.fetchone()[0]
        cursor.execute(
            "select count(*) from public.audit_logs where table_name = 'knowledge_base_entries'"
            " and new_values ->> 'title' = %s",
            [title],
        )
        return entries, cursor.fetchone()[0]


def test_a_slow_query_stops_at_the_statement_timeout_with_a_503(signed_in, settings, table_held):
    settings.DATABASE_STATEMENT_TIMEOUT = 300
    settings.DATABASE_LOCK_TIMEOUT = 10_000
    editor = signed_in("editor")
    page = editor.get("/knowledge/")
    assert page.status_code == 503
    assert "took too long for the database" in page.content.decode()


def test_a_write_that_waits_for_a_lock_stops_at_the_lock_timeout_and_writes_nothing(
    signed_in, settings
):
    settings.DATABASE_STATEMENT_TIMEOUT = 10_000
    settings.DATABASE_LOCK_TIMEOUT = 300
    editor = signed_in("editor")
    with psycopg.connect(_owner_url()) as other:
        other.execute("lock table public.knowledge_base_entries in share mode")
        response = editor.post(
            "/knowledge/new/",
            {"title": "Never written", "content": "Blocked.", "is_active": "on"},
        )
        other.rollback()
    assert response.status_code == 503
    assert "took too long for the database" in response.content.decode()
    assert _entries("Never written") == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_lists_table_facts_do_not_wait_for_a_table_someone_holds(table_held):
    """A list learns its table's size and RLS correction on the side connection; with the
    table locked (a migration) it gives up within its own lock timeout and goes on without
    them, instead of holding the request (and the worker) for as long as the lock lasts."""
    import threading
    import time

    from console import pagination
    from knowledge.models import Entry

    pagination.forget_statistics()
    found, started = [], time.monotonic()

    def learn():
        found.append(pagination._table_facts(Entry.objects.all()))

    worker = threading.Thread(target=learn, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert found, "still waiting for the lock after 10 s"
    assert time.monotonic() - started < 5
    assert found[0].rows == -1 and found[0].policy_factor == 1.0  # unknown: learnt again soon
    assert found[0].until - time.monotonic() <= pagination.FACTS_RETRY_SECONDS
