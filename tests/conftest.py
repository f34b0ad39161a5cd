import pytest
from django.db import connection

pytest_plugins = ["tests.fixtures_auth"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database gets the full Supabase schema: local bootstrap, then migrations."""
    from console.schema import apply_schema

    with django_db_blocker.unblock():
        apply_schema(connection, local=True)
