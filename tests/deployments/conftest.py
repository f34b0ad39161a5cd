"""Fixtures for the deployments tests. `client_as(role)` is the knowledge tests' client: a
session holding a token for a fresh `db_user(role)`, through the console's real middleware."""

import pytest

from console import audited
from console.rls import as_user
from deployments import lifecycle
from deployments.models import Package
from tests.factories import db_user


@pytest.fixture
def admin(db):
    return db_user("admin")


@pytest.fixture
def ops(admin):
    """ops.create(version, name=…, config=…, data=…), ops.promote(p), ops.deploy(version…),
    ops.rollback(target, reason), ops.retire(p): lifecycle steps as `admin`, audited."""

    actor = audited.Actor(admin.id, "127.0.0.1", "pytest-deployments")

    class Ops:
        user = admin

        def create(self, version, name="api", config=None, data=None, kind="agent") -> Package:
            with as_user(admin.claims):
                return lifecycle.create(
                    actor,
                    name=name,
                    package_type=kind,
                    version=version,
                    configuration=config or {},
                    deployment_data=data or {},
                )

        def promote(self, package, reason="") -> Package:
            with as_user(admin.claims):
                return lifecycle.promote(actor, package, reason)

        def deploy(self, version, **kwargs) -> Package:
            package = self.create(version, **kwargs)
            return self.promote(self.promote(package))

        def retire(self, package, reason="") -> Package:
            with as_user(admin.claims):
                return lifecycle.retire(actor, package, reason)

        def rollback(self, target, reason) -> Package:
            with as_user(admin.claims):
                return lifecycle.rollback(actor, target, reason)

    return Ops()
