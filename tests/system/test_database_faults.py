"""The database goes away under a running console (gunicorn, production settings, signed-in
sessions) and comes back: every page a clear 503 within the connect timeout, /healthz 503,
then recovery without a restart and nothing written before lost. A write whose connection
dies half-way leaves neither the write nor its audit row."""

import time
import uuid

import pytest

from tests.system.stack import Browser, Stack

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Fault-Tolerant-2026"
PAGES = ["/", "/knowledge/", "/audit/", "/users/", "/system/", "/agents/"]
CONNECT_TIMEOUT = 2  # the stack's DATABASE_CONNECT_TIMEOUT


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        running = Stack().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def admin(stack):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.test"
    stack.make_user("admin", email, PASSWORD)
    browser = Browser(stack.port)
    assert browser.sign_in(email, PASSWORD).status_code == 302
    return browser


def create_entry(browser, title: str):
    return browser.post(
        "/knowledge/new/",
        {
            "title": title,
            "content": "Written before the fault.",
            "category": "faults",
            "tags": "",
            "metadata": "",
        },
    )


def test_a_stopped_database_gives_503s_and_the_console_recovers_with_nothing_lost(stack, admin):
    title = f"Kept {uuid.uuid4().hex[:8]}"
    created = create_entry(admin, title)
    assert created.status_code == 302, created.text[:500]
    entry_url = created.headers["location"]
    for path in PAGES:
        assert admin.get(path).status_code == 200, path

    stack.stop_database()
    try:
        anonymous = Browser(stack.port)
        for path in PAGES:
            started = time.monotonic()
            page = admin.get(path)
            took = time.monotonic() - started
            assert page.status_code == 503, (path, page.status_code)
            assert "The database is not answering" in page.text, path
            assert took < CONNECT_TIMEOUT + 1, (path, took)
        # Signing in needs the database too (throttle, session): a 503, not a crash.
        started = time.monotonic()
        refused = anonymous.post("/login/", {"email": "a@example.test", "password": "x" * 12})
        assert refused.status_code == 503 and time.monotonic() - started < CONNECT_TIMEOUT + 1
        health = anonymous.get("/healthz")
        assert health.status_code == 503 and health.json() == {"status": "unavailable"}
        assert create_entry(admin, "Never written").status_code == 503
    finally:
        stack.start_database()

    # Back without restarting gunicorn: the same session, the same data.
    assert Browser(stack.port).get("/healthz").status_code == 200
    for path in PAGES:
        assert admin.get(path).status_code == 200, path
    page = admin.get(entry_url)
    assert page.status_code == 200 and title in page.text
    rows = stack.sql(
        "select count(*) from public.audit_logs where table_name = 'knowledge_base_entries'"
        " and new_values->>'title' = %s",
        [title],
    )
    assert rows == [(1,)]
    assert stack.sql(
        "select count(*) from public.knowledge_base_entries where title = 'Never written'"
    ) == [(0,)]


def test_a_write_whose_connection_dies_half_way_leaves_no_write_and_no_audit_row(stack, admin):
    """The connection is cut inside the write's transaction, after the row went in and before
    the audit row: both go."""
    stack.sql(
        """
        create or replace function public.cut_my_connection() returns trigger
        language plpgsql security definer as $$
        begin
          perform pg_terminate_backend(pg_backend_pid());
          return new;
        end $$;
        create trigger cut_connection after insert on public.knowledge_base_entries
          for each row when (new.title like 'Half-way%')
          execute function public.cut_my_connection();
        """
    )
    title = f"Half-way {uuid.uuid4().hex[:8]}"
    try:
        response = create_entry(admin, title)
        assert response.status_code == 503 and "database" in response.text.lower()
    finally:
        stack.sql(
            "drop trigger cut_connection on public.knowledge_base_entries;"
            " drop function public.cut_my_connection()"
        )
    assert stack.sql(
        "select count(*) from public.knowledge_base_entries where title = %s", [title]
    ) == [(0,)]
    assert stack.sql(
        "select count(*) from public.audit_logs where new_values->>'title' = %s", [title]
    ) == [(0,)]
    assert admin.get("/knowledge/").status_code == 200  # and the console goes on
