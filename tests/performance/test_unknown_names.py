"""Names the data does not hold (a metric, a system) are a 400 with a message, and the
database computes and keeps nothing for them: the per-type rollup stores a row per closed
bucket of each metric asked for, so made-up names would grow it at any role's will."""

import pytest
from django.db import connection

from tests.performance.conftest import generated_samples

pytestmark = pytest.mark.django_db(transaction=True)

KEPT = ("private.performance_rollup_done", "private.performance_top_body_done")


def kept_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in KEPT:
            cursor.execute(f"select count(*) from {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def viewer(signed_in):
    generated_samples(days=31, every_minutes=120, systems=[("crew", "c-1"), ("agent", "a-1")])
    return signed_in("viewer")


@pytest.mark.parametrize(
    "query",
    [
        "metric=made_up_1&range=30d",
        "metric=made_up_2&range=7d&system_type=crew",
        "metric=latency_ms&range=30d&system_id=nobody",
        "metric=latency_ms&range=30d&system_type=agent&system_id=c-1",  # another type's
    ],
)
def test_series_json_of_unknown_names_is_400_and_writes_nothing(viewer, query):
    before = kept_rows()
    response = viewer.get(f"/performance/series.json?{query}")
    assert response.status_code == 400
    assert "no s" in response.json()["error"]  # "no samples have…" / "no system…"
    assert kept_rows() == before


def test_the_explorer_of_an_unknown_metric_is_400_and_writes_nothing(viewer):
    before = kept_rows()
    response = viewer.get("/performance/?metric=made_up&range=30d")
    assert response.status_code == 400
    assert "no samples have a metric named made_up" in response.content.decode()
    assert viewer.get("/performance/?metric=latency_ms&system_id=ghost").status_code == 400
    assert kept_rows() == before


def test_known_names_are_charted_and_their_buckets_kept(viewer):
    before = kept_rows()
    response = viewer.get("/performance/series.json?metric=latency_ms&range=30d")
    assert response.status_code == 200 and response.json()["series"]
    one = viewer.get("/performance/series.json?metric=cpu&range=1h&system_id=c-1&system_id=a-1")
    assert one.status_code == 200
    assert (
        kept_rows()["private.performance_rollup_done"] > before["private.performance_rollup_done"]
    )


def test_system_suggestions_of_an_unknown_type_are_400(viewer):
    assert viewer.get("/performance/systems/?q=c&system_type=satellite").status_code == 400
    assert viewer.get("/performance/systems/?q=c&system_type=crew").status_code == 200
