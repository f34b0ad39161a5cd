"""Pytest fixtures for the local auth server (localauth/), loaded by tests/conftest.py.

- `auth_server` (session): a LocalAuthServer on a free port over the test database, with
  settings.SUPABASE_URL / SUPABASE_JWKS_URL pointing at it for the whole session.
- `auth_admin` (session): a supabase-py client with the service-role key (admin API only).
- `auth_server_factory` (function): more servers on free ports, same database/secret/outbox,
  with config overrides (e.g. `signing_jwk=...` for ES256); stopped after the test.
- `make_user` (function): creates confirmed users through the admin API, then sets
  public.profiles.role.
- `signed_in` (function): a Django test client signed in through the console's login view.
- `client_as` (function): a Django test client with a session for a fresh `db_user(role)`,
  no round trip to the auth server.
"""

import dataclasses
import uuid
from types import SimpleNamespace

import pytest

DEFAULT_TEST_PASSWORD = "Correct-Horse-42-battery"


@pytest.fixture(scope="session")
def auth_server(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings
    from django.db import connection

    from localauth.db import conninfo_from_django
    from localauth.server import LocalAuthConfig, LocalAuthServer

    with django_db_blocker.unblock():
        dsn = conninfo_from_django(connection.settings_dict)
    config = LocalAuthConfig(
        dsn=dsn,
        jwt_secret=settings.SUPABASE_JWT_SECRET,
        outbox_dir=tmp_path_factory.mktemp("outbox"),
        # Django's test client builds absolute URLs on http://testserver.
        redirect_allow_list=["http://testserver/**"],
        # Every test signs in from 127.0.0.1: GoTrue's per-IP /token limit (150 per 5
        # minutes) is off here; tests of the limit turn it on (tests/test_auth_like_gotrue.py).
        rate_limit_token_refresh=0,
    )
    server = LocalAuthServer(config, port=0).start()
    saved = settings.SUPABASE_URL, settings.SUPABASE_JWKS_URL
    settings.SUPABASE_URL = server.url
    settings.SUPABASE_JWKS_URL = server.url + "/auth/v1/.well-known/jwks.json"
    try:
        yield server
    finally:
        settings.SUPABASE_URL, settings.SUPABASE_JWKS_URL = saved
        server.stop()


@pytest.fixture
def auth_server_factory(auth_server):
    """auth_server_factory(**config_overrides) -> a started LocalAuthServer on a free port."""
    from localauth.server import LocalAuthServer

    servers = []

    def start(**overrides):
        config = dataclasses.replace(auth_server.config, **overrides)
        server = LocalAuthServer(config, port=0).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def supabase_client(url: str, key: str):
    """A supabase-py client that neither starts refresh timers nor shares state."""
    from supabase import ClientOptions, create_client

    return create_client(url, key, ClientOptions(auto_refresh_token=False, persist_session=False))


@pytest.fixture(scope="session")
def auth_admin(auth_server):
    """supabase-py's admin API (`.auth.admin`) with the service-role key."""
    from django.conf import settings

    client = supabase_client(auth_server.url, settings.SUPABASE_SERVICE_ROLE_KEY)
    yield client.auth.admin


@pytest.fixture
def make_user(transactional_db, auth_server, auth_admin):
    """make_user(role="viewer", email=None, password=..., confirmed=True, display_name=None)
    -> SimpleNamespace(id, email, password, role, display_name)."""
    from django.db import connection

    def make(
        role="viewer", email=None, password=DEFAULT_TEST_PASSWORD, confirmed=True, display_name=None
    ):
        email = email or f"user-{uuid.uuid4().hex[:12]}@example.test"
        attributes = {"email": email, "password": password, "email_confirm": confirmed}
        if display_name is not None:
            attributes["user_metadata"] = {"display_name": display_name}
        user = auth_admin.create_user(attributes).user
        with connection.cursor() as cursor:
            cursor.execute("update public.profiles set role = %s where id = %s", [role, user.id])
        return SimpleNamespace(
            id=user.id, email=user.email, password=password, role=role, display_name=display_name
        )

    return make


@pytest.fixture
def signed_in(make_user):
    """signed_in(role="viewer", **make_user_kwargs) -> a django.test.Client signed in through
    the console's login view as a new user; the user is `client.user`."""
    from django.test import Client
    from django.urls import reverse

    def sign_in(role="viewer", **user_kwargs):
        user = make_user(role, **user_kwargs)
        client = Client()
        response = client.post(
            reverse("console:login"),
            {"email": user.email, "password": user.password},
            HTTP_USER_AGENT="pytest-signed-in",
        )
        assert response.status_code == 302, f"sign-in failed: {response.status_code}"
        client.user = user
        return client

    return sign_in


@pytest.fixture
def client_as(transactional_db):
    """client_as(role="editor", **db_user_kwargs) -> a Django test client whose session holds
    an access token signed with the project's JWT secret for a fresh `db_user(role)`; the user
    is `client.user`.

    Every request goes through the console's real middleware (token check, user state, the
    RLS transaction as that user) on the console's own connection, without a round trip to
    the auth server per test. Sign-in itself is covered by tests/test_login.py and the
    browser tests, which use `signed_in` / the login page."""
    import time

    import jwt
    from django.conf import settings
    from django.test import Client

    from console.auth.session import SESSION_KEY, StoredTokens
    from tests.factories import db_user

    def make(role: str = "editor", **user_kwargs) -> Client:
        user = db_user(role, **user_kwargs)
        token = jwt.encode(user.claims, settings.SUPABASE_JWT_SECRET, algorithm="HS256")
        client = Client(HTTP_USER_AGENT="pytest-client-as")
        session = client.session
        session[SESSION_KEY] = dataclasses.asdict(
            StoredTokens(token, "unused-refresh-token", int(time.time()) + 3600, user.id)
        )
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        client.user = user
        return client

    return make
