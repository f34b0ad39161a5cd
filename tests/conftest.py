import pytest
from django.db import connection

pytest_plugins = ["tests.console_role", "tests.fixtures_auth", "tests.fixtures_browser"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database gets the full Supabase schema: local bootstrap, then migrations."""
    from console.schema import apply_schema
    from tests import console_role

    with django_db_blocker.unblock():
        apply_schema(connection, local=True)
    console_role.install()
    yield
    # The console's connections (its requests', console/sideband.py's) would keep the test
    # database from being dropped.
    from console import sideband

    console_role.close()
    sideband.close_all()


@pytest.fixture(autouse=True)
def _close_auth_breaker(django_db_blocker):
    """A test that made Supabase Auth calls fail leaves the circuit breaker closed again."""
    yield
    from console.auth import breaker

    if breaker.failures_counted():
        with django_db_blocker.unblock():
            breaker.reset()


# What a transactional test leaves in Supabase's tables (pytest-django flushes only Django's
# own) is removed after it, so no test depends on the order they run in. audit_logs is
# append-only even here: tests look only at rows about the users and records they made.
def _supabase_cleanup() -> str:
    """Every table an area shows (the registry), but profiles, which go with auth.users, and
    audit_logs, which is append-only."""
    from console.registry import tables

    kept = {"profiles", "audit_logs"}
    data_tables = ", ".join(f"public.{table}" for table in tables() if table not in kept)
    return (
        f"truncate {data_tables}; delete from auth.users;"
        " delete from private.login_throttle;"  # sign-in counters (console/auth/throttle.py)
    )


@pytest.fixture(autouse=True)
def _clean_supabase_tables(request, django_db_blocker):
    from console import pagination

    pagination.forget_statistics()  # (each test's tables are its own)
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    )
    if marker is not None and marker.kwargs.get("transaction"):
        transactional = True
    if transactional:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(_supabase_cleanup())
