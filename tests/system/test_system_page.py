"""The system page (admins and auditors) and /healthz (public, up or down only)."""

import threading
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client

from console import registry
from console.auth import breaker
from console.rls import as_user
from console.system import figures, latency
from localauth.db import conninfo_from_django
from tests.factories import claims_for, db_user

pytestmark = pytest.mark.django_db(transaction=True)

MARKER = "system_page_marker_4711"


@pytest.fixture(autouse=True)
def _fresh_figures():
    figures.clear_cache()
    latency.reset_interval()
    yield
    figures.clear_cache()


@pytest.fixture
def running_query():
    """Another session running a slow statement while the test looks at the page."""
    dsn = conninfo_from_django(connection.settings_dict)
    ready = threading.Event()

    def run():
        with psycopg.connect(dsn, autocommit=True) as conn:
            ready.set()
            conn.execute(f"select pg_sleep(3) /* {MARKER} */")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)
    time.sleep(0.3)
    yield
    thread.join(10)


def test_only_admins_and_auditors_see_the_system_page(signed_in):
    for role, status in (("admin", 200), ("auditor", 200), ("editor", 403), ("viewer", 403)):
        assert signed_in(role).get("/system/").status_code == status, role
    assert Client().get("/system/").status_code == 302  # to the sign-in page


def test_the_system_page_is_in_the_navigation_of_admins_and_auditors_only(signed_in):
    assert registry.get("system").access_for(None).can_list is False
    assert 'href="/system/"' in signed_in("auditor").get("/").content.decode()
    assert 'href="/system/"' not in signed_in("editor").get("/").content.decode()


def test_the_page_shows_the_backend(signed_in):
    page = signed_in("auditor").get("/system/")
    html = page.content.decode()
    overview = page.context["overview"]
    with connection.cursor() as cursor:
        cursor.execute("show server_version")
        assert overview["version"] == cursor.fetchone()[0]
    assert f"PostgreSQL {overview['version']}" in html
    assert overview["max_connections"] > 0 and overview["connections"] >= 1
    apps = {row["application"] for row in overview["by_application"]}
    assert "billygoat-console" in apps  # the console's own connections, named
    assert page.context["latency_now"] > 0
    # The seven tables of the console's areas, with sizes and estimated rows.
    shown = {table.name for table in page.context["tables"]}
    assert shown == set(registry.tables()) and len(shown) == 7
    for table in page.context["tables"]:
        assert table.total_bytes >= table.index_bytes > 0
    assert "20261127170000" in {m["version"] for m in page.context["migrations"]}
    assert page.context["auth"]["ok"] is True and page.context["auth"]["ms"] > 0
    assert page.context["breaker"].state == "closed"
    assert 'id="breaker-state"' in html and "closed" in html


def test_admins_see_the_text_of_running_queries_and_auditors_do_not(signed_in, running_query):
    admin_page = signed_in("admin").get("/system/")
    texts = [row["query"] for row in admin_page.context["activity"]]
    assert any(MARKER in (text or "") for text in texts)
    assert MARKER in admin_page.content.decode()
    auditor_page = signed_in("auditor").get("/system/")
    assert auditor_page.context["activity"], "the auditor sees that something runs"
    assert all(row["query"] is None for row in auditor_page.context["activity"])
    assert MARKER not in auditor_page.content.decode()


def test_the_database_refuses_the_readers_to_other_roles():
    from django.db import DatabaseError, transaction

    for role in ("editor", "viewer"):
        user = db_user(role)
        for function in ("system_overview()", "system_activity(5)", "system_tables()"):
            with (
                pytest.raises(DatabaseError) as refused,
                transaction.atomic(),
                as_user(claims_for(user.id)),
                connection.cursor() as cursor,
            ):
                cursor.execute(f"select * from private.{function}")
            assert refused.value.__cause__.sqlstate == "42501"


def test_an_open_breaker_shows_on_the_page(signed_in, settings):
    client = signed_in("admin")
    settings.AUTH_BREAKER_FAILURES = 1
    breaker.record_failure("ConnectError: test")
    page = client.get("/system/")
    assert page.context["breaker"].state == "open"
    assert "ConnectError: test" in page.content.decode()
    assert page.context["auth"]["detail"] == "not asked: the circuit breaker is open"


def test_latency_is_sampled_by_healthz_and_shown_for_the_last_hour(signed_in):
    client = signed_in("admin")
    with connection.cursor() as cursor:
        cursor.execute("delete from console.db_latency_samples")
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/healthz").status_code == 200  # within the interval: no sample
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from console.db_latency_samples")
        assert cursor.fetchone()[0] == 1
    page = client.get("/system/")
    slots = page.context["latency_history"]
    assert sum(slot.samples for slot in slots) == 1 and slots[0].median_ms > 0
    assert 'id="latency-history"' in page.content.decode()


def test_the_page_is_cheap_and_its_expensive_parts_are_cached(
    signed_in, django_assert_max_num_queries
):
    client = signed_in("admin")
    # Cold: every signed-in request's five (session, BEGIN, the user's state, the role switch,
    # COMMIT) and one query per figure. The round trip and the breaker's state are read on the
    # console's side connection, not counted here: two more, both trivial.
    with django_assert_max_num_queries(12):
        assert client.get("/system/").status_code == 200
    # Warm (within SYSTEM_CACHE_SECONDS): every signed-in request's five, nothing more.
    with django_assert_max_num_queries(5):
        started = time.monotonic()
        assert client.get("/system/").status_code == 200
    assert time.monotonic() - started < 0.5


def test_pg_stat_statements_shows_or_says_it_is_not_installed(signed_in):
    page = signed_in("admin").get("/system/")
    html = page.content.decode()
    if page.context["overview"]["statements_installed"]:
        assert page.context["statements"], "statements recorded"
        assert page.context["statements"][0]["query"]  # admins see the text
    else:
        assert "pg_stat_statements is not installed" in html


def test_healthz_says_up_or_down_and_nothing_else_to_anyone():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b'{"status": "ok"}'
    allowed = {
        "content-type",
        "content-length",
        "cache-control",
        "expires",
        "x-content-type-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "x-frame-options",
        "content-security-policy",
        "vary",
    }
    assert {name.lower() for name in response.headers} <= allowed
    assert all("postgres" not in value.lower() for value in response.headers.values())
