"""Helpers for the local auth server tests: real supabase-py clients over HTTP, raw httpx for
wire-level checks, and direct reads of the auth tables through Django's connection."""

import httpx
import pytest
from django.conf import settings
from django.db import connection

from tests.fixtures_auth import supabase_client


@pytest.fixture
def anon(auth_server):
    """A factory of fresh anon-key clients (one per simulated browser/app)."""
    return lambda: supabase_client(auth_server.url, settings.SUPABASE_ANON_KEY)


@pytest.fixture
def admin(transactional_db, auth_admin):
    return auth_admin


@pytest.fixture
def api(auth_server):
    """A raw httpx client on <server>/auth/v1 (no version header unless a test sends one)."""
    with httpx.Client(base_url=auth_server.url + "/auth/v1", timeout=10) as client:
        yield client


@pytest.fixture
def outbox_dir(auth_server):
    return auth_server.config.outbox_dir


@pytest.fixture
def token_lifetime(auth_server):
    """Set the access-token lifetime for one test: token_lifetime(2)."""
    original = auth_server.config.access_token_lifetime

    def set_lifetime(seconds: int) -> None:
        auth_server.config.access_token_lifetime = seconds

    yield set_lifetime
    auth_server.config.access_token_lifetime = original


def service_headers(**extra) -> dict:
    key = settings.SUPABASE_SERVICE_ROLE_KEY
    return {"apikey": key, "Authorization": f"Bearer {key}", **extra}


def fetch(sql: str, params=()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def fetch_one(sql: str, params=()) -> dict | None:
    rows = fetch(sql, params)
    return rows[0] if rows else None
