"""Fixtures for the knowledge base's tests: entries and their dates written directly. The
signed-in client `client_as(role)` is shared by every area (tests/fixtures_auth.py)."""

from datetime import timedelta

import pytest
from django.db import connection

from knowledge.models import Entry


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
