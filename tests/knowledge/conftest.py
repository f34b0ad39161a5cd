"""Fixtures for the knowledge base's tests.

`client_as(role)` is a Django test client whose session holds an access token signed with the
project's JWT secret for a fresh `db_user(role)`: every request goes through the console's
real middleware (token check, user state, the RLS transaction as that user), without a
round trip to the auth server per test. Sign-in itself is covered by tests/test_login.py and
the browser test, which use `signed_in` / the login page.

Inside a test's own transaction a request's transaction is a savepoint, and the role it set
outlives it (set_config(..., true) lasts until the outer transaction ends); the client puts
the console's own role back after each request, as the end of a real transaction would.
A view that writes the Django session (the import's dry run) needs a transactional test.
"""

import time
from dataclasses import asdict
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from console.auth.session import SESSION_KEY, StoredTokens
from knowledge.models import Entry
from tests.factories import db_user


class AsUserClient(Client):
    def request(self, **request):
        try:
            return super().request(**request)
        finally:
            if connection.in_atomic_block:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "select set_config('role', 'none', true),"
                        " set_config('request.jwt.claims', '', true)"
                    )


@pytest.fixture
def client_as():
    def make(role: str = "editor", **user_kwargs) -> Client:
        user = db_user(role, **user_kwargs)
        token = jwt.encode(user.claims, settings.SUPABASE_JWT_SECRET, algorithm="HS256")
        client = AsUserClient(HTTP_USER_AGENT="pytest-knowledge")
        session = client.session
        session[SESSION_KEY] = asdict(
            StoredTokens(token, "unused-refresh-token", int(time.time()) + 3600, user.id)
        )
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        client.user = user
        return client

    return make


@pytest.fixture
def make_entry(db):
    """make_entry(title, content="…", **columns): a row written directly (no RLS, no audit)."""

    def make(title: str, content: str = "Some text.", **values) -> Entry:
        values.setdefault("is_active", True)
        return Entry.objects.create(title=title, content=content, **values)

    return make


@pytest.fixture
def backdate(db):
    """backdate(entry, days=…, hours=…): set updated_at in the past (the touch_updated_at
    trigger would put now() back on a plain UPDATE)."""

    def set_back(entry: Entry, **delta) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "alter table public.knowledge_base_entries disable trigger touch_updated_at"
            )
            cursor.execute(
                "update public.knowledge_base_entries set updated_at = now() - %s where id = %s",
                [timedelta(**delta), entry.pk],
            )
            cursor.execute(
                "alter table public.knowledge_base_entries enable trigger touch_updated_at"
            )
        entry.refresh_from_db()

    return set_back
