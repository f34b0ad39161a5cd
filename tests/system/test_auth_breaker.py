"""The circuit breaker in front of Supabase Auth, with the real local auth server stopped, and
with a server that accepts connections and never answers: a few slow failures open it, then
sign-in fails at once with a clear 503 while signed-in sessions keep working, and one probe
closes it again once Supabase Auth answers."""

import logging
import socket
import threading
import time
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from console.auth import breaker
from console.auth import session as session_store
from console.auth.client import drop_connections
from localauth.server import LocalAuthServer
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

OPEN_SECONDS = 2


@pytest.fixture
def breaker_settings(settings):
    settings.AUTH_BREAKER_FAILURES = 3
    settings.AUTH_BREAKER_WINDOW = 60
    settings.AUTH_BREAKER_OPEN_SECONDS = OPEN_SECONDS
    settings.SUPABASE_TIMEOUT = 1
    # The tests point SUPABASE_URL at dead servers; the tokens' issuer stays the real one.
    settings.SUPABASE_JWT_ISSUER = f"{settings.SUPABASE_URL}/auth/v1"
    breaker.reset()
    yield settings
    breaker.reset()


class SilentServer:
    """Accepts TCP connections and never answers (a hung auth server)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)  # held open, never read or answered

    def close(self):
        self.running = False
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def sign_in(client, email, password=DEFAULT_TEST_PASSWORD):
    started = time.monotonic()
    response = client.post(reverse("console:login"), {"email": email, "password": password})
    return response, time.monotonic() - started


def signed_in_client(user):
    client = Client()
    response, _ = sign_in(client, user.email, user.password)
    assert response.status_code == 302
    return client


def expire_locally(client):
    """Make the stored tokens look expired, so the next request must refresh them."""
    session = client.session
    request = SimpleNamespace(session=session)
    tokens = session_store.load(request)
    tokens.expires_at = int(time.time()) - 5
    session_store.store(request, tokens)
    session.save()


def test_a_stopped_auth_server_opens_the_breaker_and_sessions_keep_working(
    breaker_settings, auth_server_factory, make_user, caplog
):
    own = auth_server_factory()
    breaker_settings.SUPABASE_URL = own.url
    breaker_settings.SUPABASE_JWT_ISSUER = f"{own.url}/auth/v1"
    admin = make_user("admin")
    session = signed_in_client(admin)
    other = make_user("viewer")
    own.stop()  # Supabase Auth goes away during a signed-in session
    drop_connections()  # with its kept-alive connections

    caplog.set_level(logging.WARNING, logger="console.auth.breaker")
    for _ in range(3):
        response, _ = sign_in(Client(), other.email)
        assert response.status_code == 503
        assert "not answering" in response.content.decode()
    assert breaker.current().state == "open"
    assert any("-> open" in r.getMessage() for r in caplog.records)

    # Open: sign-in fails at once with the clear message, no call is made.
    response, took = sign_in(Client(), other.email)
    assert response.status_code == 503 and took < 0.5
    assert breaker.UNAVAILABLE_MESSAGE in response.content.decode().replace("\n", " ")
    assert 0 < int(response["Retry-After"]) <= OPEN_SECONDS + 1
    # Signed-in sessions keep working while their tokens are valid.
    assert session.get("/").status_code == 200
    # A token that needs refreshing cannot be refreshed: a fast 503 page that says why.
    expire_locally(session)
    started = time.monotonic()
    page = session.get("/")
    assert page.status_code == 503 and time.monotonic() - started < 0.5
    assert "Signed-in sessions keep working" in page.content.decode().replace("\n    ", " ")

    # Supabase Auth comes back on the same address; after the open period one probe decides.
    back = LocalAuthServer(own.config, port=own.port).start()
    try:
        time.sleep(OPEN_SECONDS + 0.2)
        response, _ = sign_in(Client(), other.email)
        assert response.status_code == 302
        assert breaker.current().state == "closed"
        assert any("-> closed" in r.getMessage() for r in caplog.records)
        assert session.get("/").status_code == 200  # refreshed through the probe's breaker
    finally:
        back.stop()


def test_a_server_that_never_answers_costs_the_timeout_only_until_the_breaker_opens(
    breaker_settings, auth_server, make_user
):
    user = make_user("editor")
    session = signed_in_client(user)
    silent = SilentServer()
    breaker_settings.SUPABASE_URL = silent.url
    try:
        for _ in range(3):
            response, took = sign_in(Client(), user.email)
            assert response.status_code == 503
            assert took >= 0.9  # each waited for the timeout
        state = breaker.current()
        assert state.state == "open" and "Timeout" in state.last_failure
        response, took = sign_in(Client(), user.email)
        assert response.status_code == 503 and took < 0.5
        assert session.get("/").status_code == 200

        # Still silent when the open period ends: the probe fails and it opens again.
        time.sleep(OPEN_SECONDS + 0.2)
        response, took = sign_in(Client(), user.email)
        assert response.status_code == 503 and took >= 0.9
        again = breaker.current()
        assert again.state == "open" and again.times_opened == 2
    finally:
        silent.close()

    # Supabase Auth answers again: the next probe closes the breaker.
    breaker_settings.SUPABASE_URL = auth_server.url
    time.sleep(OPEN_SECONDS + 0.2)
    response, _ = sign_in(Client(), user.email)
    assert response.status_code == 302
    assert breaker.current().state == "closed"


def test_while_one_probe_runs_every_other_call_still_fails_fast(breaker_settings, auth_server):
    breaker_settings.SUPABASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    for _ in range(3):
        with pytest.raises(Exception):  # noqa: B017,PT011 - supabase-py's retryable error
            breaker_call()
    time.sleep(OPEN_SECONDS + 0.2)
    assert breaker.before_call() is True  # this caller is the probe
    with pytest.raises(breaker.CircuitOpen):
        breaker.before_call()  # everyone else, while the probe runs
    breaker.record_success()
    assert breaker.current().state == "closed"
    assert breaker.before_call() is False


def test_admin_calls_fail_at_once_while_open(breaker_settings, auth_server):
    from supabase_auth.errors import AuthRetryableError

    from console.auth.client import admin_client

    breaker_settings.SUPABASE_URL = "http://127.0.0.1:9"
    for _ in range(3):
        with pytest.raises(AuthRetryableError):
            admin_client().auth.admin.list_users()
    started = time.monotonic()
    with pytest.raises(AuthRetryableError) as raised:
        admin_client().auth.admin.list_users()
    assert time.monotonic() - started < 0.3
    assert breaker.open_error(raised.value) is not None


def breaker_call():
    from console.auth.client import user_client

    user_client().auth.sign_in_with_password({"email": "x@example.test", "password": "x" * 12})


def test_user_administration_fails_at_once_while_open_and_changes_nothing(
    breaker_settings, signed_in, make_user
):
    from django.db import connection

    admin = signed_in("admin")
    target = make_user("viewer")
    breaker_settings.AUTH_BREAKER_FAILURES = 1
    breaker.record_failure("ConnectError: test")
    started = time.monotonic()
    response = admin.post(f"/users/{target.id}/ban/", {"duration": "24h"})
    assert time.monotonic() - started < 0.5
    assert response.status_code == 503
    assert "Supabase Auth is not answering" in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("select banned_until from auth.users where id = %s", [target.id])
        assert cursor.fetchone()[0] is None
        cursor.execute(
            "select count(*) from public.audit_logs where record_id = %s and action like 'BAN%%'",
            [str(target.id)],
        )
        assert cursor.fetchone()[0] == 0
