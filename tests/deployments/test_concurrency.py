"""Two admins deploying different versions of one name at the same moment end with exactly
one deployed: real concurrent transactions, each on its own connection."""

import threading
import time

import pytest
from django.db import connection, transaction

from console import audited
from console.rls import as_user
from deployments import lifecycle
from deployments.models import Package, Status
from tests.deployments.helpers import deployed, new_package, set_status, sql, status_of
from tests.factories import db_user

pytestmark = pytest.mark.django_db(transaction=True)


def _actor(user):
    return audited.Actor(user.id, "127.0.0.1", "pytest")


def _staged(admin, version):
    package = new_package(admin, version=version)
    set_status(admin, package, "staging")
    return package


def _waiting_for_a_lock(timeout=10.0) -> bool:
    """Whether some other backend waits for a lock (ours, held by the first transaction)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "select count(*) from pg_locks where not granted and pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


class Worker(threading.Thread):
    """Runs `work` in a transaction as `user`; optionally holds the transaction open until
    `hold` is set."""

    def __init__(self, user, work, *, started=None, hold=None):
        super().__init__(daemon=True)
        self.user, self.work, self.started, self.hold = user, work, started, hold
        self.error = None

    def run(self):
        try:
            with transaction.atomic(), as_user(self.user.claims):
                self.work()
                if self.started:
                    self.started.set()
                if self.hold:
                    assert self.hold.wait(20)
        except Exception as exc:  # reported by the test
            self.error = exc
            if self.started:
                self.started.set()
        finally:
            connection.close()


def _deployed_versions(name="api"):
    return sorted(
        Package.objects.filter(name=name, status=Status.DEPLOYED).values_list("version", flat=True)
    )


def test_a_second_deployment_waits_for_the_first_and_retires_it():
    first_admin, second_admin = db_user("admin"), db_user("admin")
    old = deployed(first_admin, version="1.0.0")
    a, b = _staged(first_admin, "1.1.0"), _staged(first_admin, "1.2.0")

    def promote(user, pk):
        return lambda: lifecycle.promote(_actor(user), Package.objects.get(pk=pk))

    a_done, release_a = threading.Event(), threading.Event()
    first = Worker(first_admin, promote(first_admin, a), started=a_done, hold=release_a)
    first.start()
    assert a_done.wait(20) and first.error is None
    second = Worker(second_admin, promote(second_admin, b))
    second.start()
    assert _waiting_for_a_lock(), "the second deployment should wait for the first"
    assert second.is_alive()
    release_a.set()
    first.join(20)
    second.join(20)
    assert first.error is None and second.error is None
    assert _deployed_versions() == ["1.2.0"]
    assert status_of(old)[0] == status_of(a)[0] == "retired"


def test_two_deployments_started_together_leave_exactly_one_deployed():
    admins = [db_user("admin"), db_user("admin")]
    deployed(admins[0], version="1.0.0")
    staged = [_staged(admins[0], "1.1.0"), _staged(admins[0], "1.2.0")]
    barrier = threading.Barrier(2)

    def deploy(user, pk):
        def work():
            barrier.wait(10)
            lifecycle.promote(_actor(user), Package.objects.get(pk=pk))

        return work

    workers = [Worker(u, deploy(u, pk)) for u, pk in zip(admins, staged, strict=True)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [w.error for w in workers] == [None, None]
    assert len(_deployed_versions()) == 1
    assert Package.objects.filter(name="api").count() == 3


def test_plain_sql_deployments_take_turns_too():
    """No console involved: two SQL sessions as admins; the trigger's lock serialises them."""
    admins = [db_user("admin"), db_user("admin")]
    deployed(admins[0], version="1.0.0")
    a, b = _staged(admins[0], "1.1.0"), _staged(admins[0], "1.2.0")
    update = "update public.deployment_packages set status = 'deployed' where id = %s"

    a_done, release_a = threading.Event(), threading.Event()
    first = Worker(admins[0], lambda: sql(admins[0], update, [a]), started=a_done, hold=release_a)
    first.start()
    assert a_done.wait(20) and first.error is None
    second = Worker(admins[1], lambda: sql(admins[1], update, [b]))
    second.start()
    assert _waiting_for_a_lock()
    release_a.set()
    first.join(20)
    second.join(20)
    assert first.error is None and second.error is None
    assert _deployed_versions() == ["1.2.0"]
