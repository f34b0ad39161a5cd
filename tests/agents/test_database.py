"""The database's own rules for agents and crew runs, whoever writes: statuses, the run
lifecycle (SQLSTATE BG101), RLS for the other roles, and the rollup behind the crews overview
agreeing with the runs themselves."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from agents import crews
from agents.models import Agent, Crew
from console.rls import as_user, is_permission_error
from tests.factories import db_user

pytestmark = pytest.mark.django_db


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params or None)
        return cursor.rowcount


def _error(fn):
    """Run fn in a savepoint and return the database error it raised (None if none)."""
    try:
        with transaction.atomic():
            fn()
    except DatabaseError as exc:
        return exc
    return None


@pytest.fixture
def admin():
    return db_user("admin")


def _run(name="Nightly", status="pending", **values):
    return Crew.objects.create(crew_name=name, crew_type="research", status=status, **values)


def test_an_agent_status_is_active_paused_or_error():
    agent = Agent.objects.create(name="A", type="analyzer")
    assert agent.status == "active"
    exc = _error(
        lambda: _sql("update public.ai_agents set status = 'sleeping' where id = %s", [agent.pk])
    )
    assert isinstance(exc, IntegrityError) and exc.__cause__.sqlstate == "23514"
    for status in ("paused", "error", "active"):
        assert (
            _sql("update public.ai_agents set status = %s where id = %s", [status, agent.pk]) == 1
        )


def test_as_admin_a_run_goes_pending_running_complete_and_no_other_way(admin):
    with as_user(admin.claims):
        _sql("insert into public.crew_nuclear_system (crew_name, crew_type) values ('C', 't')")
        run = Crew.objects.get(crew_name="C")
        assert run.status == "pending"
        for illegal in ("complete", "failed"):
            exc = _error(
                lambda s=illegal: _sql(
                    "update public.crew_nuclear_system set status = %s where id = %s", [s, run.pk]
                )
            )
            assert crews.is_illegal_transition(exc), exc
            assert exc.__cause__.sqlstate == "BG101"
        assert (
            _sql("update public.crew_nuclear_system set status = 'running' where id = %s", [run.pk])
            == 1
        )
        run.refresh_from_db()
        assert run.status == "running" and run.last_execution is not None
        assert (
            _sql(
                "update public.crew_nuclear_system set status = 'complete' where id = %s", [run.pk]
            )
            == 1
        )
        for back in ("running", "pending", "failed"):
            exc = _error(
                lambda s=back: _sql(
                    "update public.crew_nuclear_system set status = %s where id = %s", [s, run.pk]
                )
            )
            assert crews.is_illegal_transition(exc)
    assert Crew.objects.get(pk=run.pk).status == "complete"


def test_the_guard_holds_for_the_consoles_own_role_too():
    run = _run(status="running")
    exc = _error(
        lambda: _sql(
            "update public.crew_nuclear_system set status = 'pending' where id = %s", [run.pk]
        )
    )
    assert crews.is_illegal_transition(exc)
    assert (
        _sql("update public.crew_nuclear_system set status = 'failed' where id = %s", [run.pk]) == 1
    )
    unknown = _error(lambda: _run(name="X", status="exploded"))
    assert unknown is not None and unknown.__cause__.sqlstate == "23514"


def test_a_run_without_a_status_or_start_gets_pending_and_now():
    _sql(
        "insert into public.crew_nuclear_system (crew_name, crew_type, status, created_at) values ('N', 't', null, null)"
    )
    run = Crew.objects.get(crew_name="N")
    assert run.status == "pending" and run.created_at is not None


@pytest.mark.parametrize("role", ["editor", "auditor", "viewer"])
def test_other_roles_read_but_rls_refuses_their_writes(role):
    user = db_user(role)
    agent = Agent.objects.create(name="A", type="analyzer")
    run = _run()
    with as_user(user.claims):
        assert (
            Agent.objects.filter(pk=agent.pk).exists() and Crew.objects.filter(pk=run.pk).exists()
        )
        insert = _error(
            lambda: _sql(
                "insert into public.crew_nuclear_system (crew_name, crew_type) values ('Z', 't')"
            )
        )
        assert insert is not None and is_permission_error(insert)
        insert = _error(lambda: _sql("insert into public.ai_agents (name, type) values ('Z', 't')"))
        assert insert is not None and is_permission_error(insert)
        assert (
            _sql("update public.crew_nuclear_system set status = 'running' where id = %s", [run.pk])
            == 0
        )
        assert _sql("update public.ai_agents set status = 'paused' where id = %s", [agent.pk]) == 0
        assert _sql("delete from public.crew_nuclear_system where id = %s", [run.pk]) == 0
        assert _sql("delete from public.ai_agents where id = %s", [agent.pk]) == 0
        assert [s.crew_name for s in crews.overview()] == ["Nightly"]  # the overview reads
    assert Crew.objects.get(pk=run.pk).status == "pending"
    assert Agent.objects.get(pk=agent.pk).status == "active"


def _quantile(durations, q):
    """The smallest duration with at least q of the runs at or below it."""
    for d in durations:
        if sum(1 for x in durations if x <= d) >= q * len(durations):
            return d
    return None


def _brute_force():
    """The overview computed from the runs themselves, as the rollup must agree."""
    out = {}
    for name in Crew.objects.values_list("crew_name", flat=True).distinct():
        runs = list(Crew.objects.filter(crew_name=name))
        durations = sorted(
            int(d) for d in (crews.duration_seconds(r) for r in runs) if d is not None
        )

        newest = max(runs, key=lambda r: (r.created_at, str(r.pk)))
        out[name] = (
            len(runs),
            sum(r.status == "complete" for r in runs),
            sum(r.status == "failed" for r in runs),
            newest.pk,
            newest.status,
            _quantile(durations, 0.5),
            _quantile(durations, 0.95),
        )
    return out


def _from_overview():
    return {
        s.crew_name: (
            s.runs,
            s.complete,
            s.failed,
            s.last_run_id,
            s.last_status,
            None if s.median_seconds is None else int(s.median_seconds),
            None if s.p95_seconds is None else int(s.p95_seconds),
        )
        for s in crews.overview()
    }


def test_the_overview_rollup_follows_inserts_updates_and_deletes(admin):
    # a bulk insert (one statement), then single writes of every kind
    _sql(
        "insert into public.crew_nuclear_system (crew_name, crew_type, status, performance_data, created_at)"
        " select 'Bulk', 'research', (array['pending','running','complete','failed'])[1 + g % 4],"
        "  jsonb_build_object('duration', 10 + g * 7 % 300), now() - make_interval(mins => g)"
        " from generate_series(1, 400) g"
    )
    with as_user(admin.claims):
        first = _run("Solo", performance_data={"duration": 12.5})
        _run("Solo", status="running", performance_data={"duration": "n/a"})
        assert _from_overview() == _brute_force()
        _sql("update public.crew_nuclear_system set status = 'running' where id = %s", [first.pk])
        _sql(
            "update public.crew_nuclear_system set status = 'failed', performance_data = '{\"duration\": 99}' where id = %s",
            [first.pk],
        )
        _sql(
            "update public.crew_nuclear_system set crew_name = 'Solo' where crew_name = 'Bulk' and status = 'complete'"
        )
        assert _from_overview() == _brute_force()
        _sql(
            "delete from public.crew_nuclear_system where crew_name = 'Bulk' and status = 'failed'"
        )
        Crew.objects.filter(pk=first.pk).delete()
        assert _from_overview() == _brute_force()
    summary = {s.crew_name: s for s in crews.overview()}["Solo"]
    assert summary.success_rate == 1.0  # only complete ones are left among finished runs
    _sql("delete from public.crew_nuclear_system")
    assert crews.overview() == []


def test_failed_in_the_last_day_counts_only_recent_failures():
    _run("F", status="running")
    _sql("update public.crew_nuclear_system set status = 'failed' where crew_name = 'F'")
    old = _run("F", status="running")
    _sql(
        "update public.crew_nuclear_system set status = 'failed', created_at = now() - interval '2 days' where id = %s",
        [old.pk],
    )
    (summary,) = crews.overview()
    assert (summary.failed, summary.failed_24h) == (2, 1)


def test_without_a_role_the_overview_is_refused():
    nobody = db_user(None)
    with as_user(nobody.claims):
        exc = _error(crews.overview)
    assert exc is not None and is_permission_error(exc)


def test_the_migration_runs_again_over_data_and_maps_old_statuses(admin):
    from console.schema import MIGRATIONS_DIR

    sql = (MIGRATIONS_DIR / "20261127150000_agents_and_crews.sql").read_text()
    _run("R", status="running", performance_data={"duration": 42})
    _run("R", status="pending")
    before = _from_overview()
    # Rows from before the constraints (another client, an old seed): mapped, not refused.
    _sql("alter table public.ai_agents drop constraint ai_agents_status_check")
    _sql("alter table public.crew_nuclear_system drop constraint crew_nuclear_system_status_check")
    _sql("alter table public.crew_nuclear_system disable trigger guard_crew_run_status")
    _sql("insert into public.ai_agents (name, type, status) values ('Old', 't', 'Paused ')")
    _sql(
        "insert into public.ai_agents (name, type, status, is_active) values ('N', 't', null, false)"
    )
    _sql("insert into public.ai_agents (name, type, status) values ('Odd', 't', 'sleeping')")
    _sql(
        "insert into public.crew_nuclear_system (crew_name, crew_type, status)"
        " values ('Legacy', 't', 'Completed'), ('Legacy', 't', 'error'), ('Legacy', 't', null)"
    )
    _sql(sql)
    statuses = dict(
        Agent.objects.filter(name__in=["Old", "N", "Odd"]).values_list("name", "status")
    )
    assert statuses == {"Old": "paused", "N": "paused", "Odd": "error"}
    legacy = sorted(Crew.objects.filter(crew_name="Legacy").values_list("status", flat=True))
    assert legacy == ["complete", "failed", "pending"]
    after = _from_overview()
    assert after["R"] == before["R"] and after == _brute_force()
    exc = _error(lambda: _sql("update public.ai_agents set status = 'x' where name = 'Old'"))
    assert exc is not None and exc.__cause__.sqlstate == "23514"
    exc = _error(
        lambda: _sql(
            "update public.crew_nuclear_system set status = 'pending' where crew_name = 'R'"
        )
    )
    assert crews.is_illegal_transition(exc)
