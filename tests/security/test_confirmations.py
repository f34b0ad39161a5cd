"""A confirm-then-apply step runs once per confirmation (issue 9), however often, and however
concurrently, the confirmation is posted."""

import io
import json
import threading

import pytest
from django.db import connection

from agents.models import Agent
from audit.models import AuditLog
from knowledge.models import Entry


def upload(name: str, text: str) -> io.BytesIO:
    data = io.BytesIO(text.encode())
    data.name = name
    return data


def jsonl(*records) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def in_parallel(count: int, work) -> list:
    """Run work(i) in `count` threads released at once; each thread has its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported by the assertion that reads the results
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_four_concurrent_confirmations_of_one_import_create_its_rows_once(client_as):
    editor = client_as("editor")
    text = jsonl(*({"title": f"Imported {n}", "content": "Body"} for n in range(20)))
    report = editor.post("/knowledge/import/", {"file": upload("entries.jsonl", text)})
    token = report.context["token"]
    assert report.status_code == 200 and token

    def confirm(_i):
        return editor.post("/knowledge/import/", {"token": token}).status_code

    statuses = in_parallel(4, confirm)
    assert all(status == 302 for status in statuses), statuses
    assert Entry.objects.filter(title__startswith="Imported ").count() == 20
    created = AuditLog.objects.filter(
        table_name="knowledge_base_entries", action="CREATE", user_id=editor.user.id
    )
    assert created.count() == 20  # one audit row per row, once


@pytest.mark.django_db(transaction=True)
def test_a_replayed_import_confirmation_says_it_was_already_applied(client_as):
    editor = client_as("editor")
    report = editor.post(
        "/knowledge/import/",
        {"file": upload("one.jsonl", jsonl({"title": "Once", "content": "B"}))},
    )
    token = report.context["token"]
    dry_run = editor.session["knowledge_import"]
    assert editor.post("/knowledge/import/", {"token": token}).status_code == 302
    # The same dry run posted again while a session still holds it (another tab, a replay).
    session = editor.session
    session["knowledge_import"] = dry_run
    session.save()
    replay = editor.post("/knowledge/import/", {"token": token}, follow=True)
    assert "one.jsonl was already imported" in replay.content.decode()
    assert Entry.objects.filter(title="Once").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_bulk_confirmation_applies_once(client_as):
    admin = client_as("admin")
    agents = [Agent.objects.create(name=f"B{n}", type="x", status="active") for n in range(3)]
    pks = [str(a.pk) for a in agents]
    page = admin.post("/agents/bulk/", {"action": "pause", "pk": pks})
    confirmation = page.context["confirmation"]
    assert page.status_code == 200 and confirmation
    data = {"action": "pause", "pk": pks, "confirm": "yes", "confirmation": confirmation}

    statuses = in_parallel(3, lambda _i: admin.post("/agents/bulk/", data).status_code)
    assert statuses == [302, 302, 302]
    for agent in agents:
        assert AuditLog.objects.filter(record_id=str(agent.pk), action="UPDATE").count() == 1
    Agent.objects.filter(pk__in=pks).update(status="active")  # a change since, by someone else
    replay = admin.post("/agents/bulk/", data, follow=True)
    assert "already applied" in replay.content.decode()
    assert Agent.objects.filter(pk__in=pks, status="active").count() == 3
