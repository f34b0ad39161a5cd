"""The database goes away under a running console (gunicorn, production settings, signed-in
sessions) and comes back: every page a clear 503 within the connect timeout, /healthz 503,
then recovery without a restart and nothing written before lost. A write whose connection
dies half-way leaves neither the write nor its audit row."""

import time
import uuid

import httpx
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


@pytest.fixture(scope="module")
def dev_server(stack):
    """Django's development server on the same stack, as `make run` serves it (DEBUG on)."""
    return stack.start_dev_server()


def dev_sign_in(port: int, email: str) -> httpx.Client:
    """A browser on the development server (plain HTTP, its own cookie jar)."""
    browser = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    browser.get("/login/")
    signed_in = browser.post(
        "/login/",
        data={
            "email": email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    return browser


def assert_database_page(response, what):
    """The console's 503 page, not Django's technical page nor a 500."""
    assert response.status_code == 503, (what, response.status_code, response.text[:300])
    assert "The database is not answering" in response.text, what
    assert "Traceback" not in response.text and "OperationalError" not in response.text, what


def test_every_page_gives_the_503_page_under_both_servers_and_recovers(stack, admin, dev_server):
    """Signed in or not, under the development server (DEBUG on, where Django would show its
    technical page) and under gunicorn (DEBUG off); both connect as billygoat_console."""
    email = f"dev-admin-{uuid.uuid4().hex[:8]}@example.test"
    stack.make_user("admin", email, PASSWORD)
    developer = dev_sign_in(dev_server, email)
    dev_pages = ["/", "/knowledge/", "/dev/outbox/", "/healthz"]
    for path in dev_pages:
        assert developer.get(path).status_code == 200, path
    sessions = stack.sql(
        "select distinct usename from pg_stat_activity where application_name like 'billygoat%'"
    )
    assert sessions == [("billygoat_console",)]

    signing_in = httpx.Client(base_url=f"http://127.0.0.1:{dev_server}")
    signing_in.get("/login/")  # the form, and its CSRF cookie, before the database stops
    stack.stop_database()
    try:
        signed_in = [("runserver", developer, path) for path in ["/login/", *dev_pages]]
        signed_in += [("gunicorn", admin, path) for path in ["/login/", "/dev/outbox/", "/healthz"]]
        for server, browser, path in signed_in:
            started = time.monotonic()
            page = browser.get(path)
            assert time.monotonic() - started < CONNECT_TIMEOUT + 1, (server, path)
            assert_database_page(page, (server, path))
        for anonymous in (
            httpx.Client(base_url=f"http://127.0.0.1:{dev_server}"),
            Browser(stack.port),
        ):
            # The forms that need no data still ask: nobody types into a form that cannot be sent.
            for path in ("/login/", "/password/forgot/"):
                assert_database_page(anonymous.get(path), ("anonymous", path))
            health = anonymous.get("/healthz")
            assert health.status_code == 503 and health.json() == {"status": "unavailable"}
        refused = signing_in.post(
            "/login/",
            data={
                "email": "someone@example.test",
                "password": "x" * 12,
                "csrfmiddlewaretoken": signing_in.cookies["csrftoken"],
            },
        )
        assert_database_page(refused, "sign-in on the development server")
    finally:
        stack.start_database()

    # The next request works, with neither server restarted.
    for path in dev_pages:
        assert developer.get(path).status_code == 200, path
    assert admin.get("/").status_code == 200
    assert admin.get("/login/").status_code == 302  # signed in: on to the dashboard
