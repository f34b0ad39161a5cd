"""Export of the current filter as CSV and JSON Lines: streamed in keyset chunks as the user,
newest first, exactly the filtered rows, and itself audited as EXPORT with the filter used."""

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from console.audit_log import AuditLog
from console.export import CHUNK
from tests.audit_trail.conftest import BASE
from tests.factories import db_user

pytestmark = pytest.mark.django_db(transaction=True)


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def test_csv_export_has_exactly_the_filtered_rows_newest_first_and_is_audited(signed_in, trail):
    client = signed_in("auditor")
    actor = db_user("editor")
    wanted = trail.rows(
        3, action="DELETE", user_id=actor.id, old={"title": "=cmd()"}, ip="10.0.0.7"
    )
    trail.rows(2, action="UPDATE")

    response = client.get(f"/audit/export/?format=csv&table={trail.table}&action=delete")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="audit-trail.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [r["id"] for r in rows] == wanted
    expected = {
        "actor_email": actor.email,
        "user_id": actor.id,
        "action": "DELETE",
        "table_name": trail.table,
        "record_id": "r1",
        "ip_address": "10.0.0.7",
        "user_agent": "pytest",
        "old_values": json.dumps({"title": "=cmd()"}),  # a JSON cell, not a formula
    }
    assert {name: rows[0][name] for name in expected} == expected
    export = AuditLog.objects.get(action="EXPORT", user_id=client.user.id)
    assert export.table_name == "audit_logs"
    assert export.new_values == {
        "format": "csv",
        "filters": {"table": trail.table, "action": "delete"},
    }


def test_jsonl_export_streams_every_row_across_chunks(signed_in, trail):
    client = signed_in("admin")
    trail.bulk(CHUNK + 150)
    response = client.get(f"/audit/export/?format=jsonl&table={trail.table}")
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in body(response).splitlines()]
    assert len(lines) == CHUNK + 150
    assert [line["record_id"] for line in lines[:3]] == ["n1", "n2", "n3"]  # newest first
    assert len({line["id"] for line in lines}) == len(lines)
    assert lines[-1]["new_values"] == {"n": CHUNK + 150}
    assert lines[0]["created_at"].startswith(BASE.strftime("%Y-%m-%dT"))
    assert AuditLog.objects.get(action="EXPORT", user_id=client.user.id).new_values == {
        "format": "jsonl",
        "filters": {"table": trail.table},
    }


def test_an_export_of_a_broken_filter_or_format_is_refused_and_not_audited(signed_in, trail):
    client = signed_in("auditor")
    response = client.get(f"/audit/export/?format=csv&table={trail.table}&ip=10.0.0.0/99")
    assert response.status_code == 400
    assert "IP or network" in response.content.decode()
    assert client.get("/audit/export/?format=xlsx").status_code == 400
    assert not AuditLog.objects.filter(action="EXPORT", user_id=client.user.id).exists()
