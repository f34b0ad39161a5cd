"""The benchmark's floor for the users search (bench/pages.py, users-search) is what the
console runs: the trigram index's expression (console/users/filters.py, SEARCH_TEXT) on the
view the list reads, and it returns the page's rows in the page's order."""

import pytest
from django.db import connection

from bench.measure import ids_in
from bench.pages import selected
from console.rls import as_user
from console.users.filters import SEARCH_TEXT
from console.users.models import UserAccount
from tests.factories import db_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_users_search_floor_is_the_consoles_query_and_shows_its_rows(client_as):
    row = next(r for r in selected("users-search"))
    assert SEARCH_TEXT in row.floor
    view = UserAccount._meta.db_table.replace('"', "")  # private.user_list
    assert f"from {view} p" in row.floor
    for n in range(4):  # created in one transaction: the same created_at, so id breaks ties
        db_user("viewer", email=f"zq12-{n}@bench.example.test")
    db_user("viewer", email="someone-else@bench.example.test")
    auditor = client_as("auditor")
    params = {"email_prefix": "zq12", "email_prefix_like": "%zq12%"}
    with as_user(auditor.user.claims), connection.cursor() as cursor:
        cursor.execute(row.floor, params)
        floor_ids = [str(r[0]) for r in cursor.fetchall()]
    page = auditor.get(row.ours.format(**params)).content.decode()
    assert len(floor_ids) == 4
    assert ids_in(page, row.id_link) == floor_ids
