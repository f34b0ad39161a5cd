"""A confirm-then-apply step runs only with the token its confirmation page issued (to this
user, for this action and selection), and once per token, however often, and however
concurrently, the confirmation is posted. A post without one, with one the client made up or
with one issued for something else is a 400; a used one a 409; either way nothing changes."""

import io
import json
import threading

import pytest
from django.db import connection

from agents.models import Agent
from console.audit_log import AuditLog
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
    # One applies; the others find the claim taken (409) or the dry run gone (400).
    assert sorted(statuses)[0] == 302 and set(sorted(statuses)[1:]) <= {400, 409}, statuses
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
    replay = editor.post("/knowledge/import/", {"token": token})
    assert replay.status_code == 409
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
    assert sorted(statuses) == [302, 409, 409]
    for agent in agents:
        assert AuditLog.objects.filter(record_id=str(agent.pk), action="UPDATE").count() == 1
    Agent.objects.filter(pk__in=pks).update(status="active")  # a change since, by someone else
    replay = admin.post("/agents/bulk/", data)
    assert replay.status_code == 409 and "already applied" in replay.content.decode()
    assert Agent.objects.filter(pk__in=pks, status="active").count() == 3


# --- tokens only the confirmation page issues -------------------------------------------------


def not_confirmed(response) -> bool:
    return response.status_code == 400 and "confirmation page" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_bulk_ban_runs_only_with_its_own_unused_token(signed_in, make_user):
    admin = signed_in("admin")
    target, other = make_user("viewer"), make_user("viewer")

    def bans():
        return AuditLog.objects.filter(action="BAN", record_id=str(target.id)).count()

    ban = {"action": "ban", "pk": [target.id], "duration": "24h"}
    page = admin.post("/users/bulk/", ban)
    token = page.context["confirmation"]
    # Replays without the field, with a token of the client's making, or one of another
    # selection (the other user's confirmation page), all before the real one.
    other_token = admin.post("/users/bulk/", {**ban, "pk": [other.id]}).context["confirmation"]
    for confirmation in (None, "x" * 32, "made-up:token:by-the-client", other_token):
        data = {**ban, "confirm": "yes"}
        if confirmation is not None:
            data["confirmation"] = confirmation
        assert not_confirmed(admin.post("/users/bulk/", data)), confirmation
    assert bans() == 0
    # Another admin's page: the token is for whoever it was issued to.
    stranger = signed_in("admin")
    stolen = {**ban, "confirm": "yes", "confirmation": token}
    assert not_confirmed(stranger.post("/users/bulk/", stolen))
    assert bans() == 0

    done = admin.post("/users/bulk/", {**ban, "confirm": "yes", "confirmation": token})
    assert done.status_code == 302 and bans() == 1
    for replay in ({**ban, "confirm": "yes"}, {**ban, "confirm": "yes", "confirmation": token}):
        assert admin.post("/users/bulk/", replay).status_code in (400, 409)
    assert bans() == 1


@pytest.mark.django_db(transaction=True)
def test_a_token_is_for_its_action_and_the_rows_it_showed(client_as):
    admin = client_as("admin")
    agents = [Agent.objects.create(name=f"T{n}", type="x", status="active") for n in range(2)]
    pks = [str(a.pk) for a in agents]
    token = admin.post("/agents/bulk/", {"action": "pause", "pk": pks[:1]}).context["confirmation"]
    wider = {"action": "pause", "pk": pks, "confirm": "yes", "confirmation": token}
    assert not_confirmed(admin.post("/agents/bulk/", wider))
    other_action = {"action": "activate", "pk": pks[:1], "confirm": "yes", "confirmation": token}
    assert not_confirmed(admin.post("/agents/bulk/", other_action))
    assert not AuditLog.objects.filter(record_id__in=pks, action="UPDATE").exists()


def stale_draft(version: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.deployment_packages (name, package_type, version, status)"
            " values ('probe', 'agent', %s, 'draft') returning id",
            [version],
        )
        package_id = cursor.fetchone()[0]
        cursor.execute(
            "alter table public.deployment_packages disable trigger deployment_lifecycle"
        )
        cursor.execute(
            "update public.deployment_packages set updated_at = now() - interval '90 days'"
            " where id = %s",
            [package_id],
        )
        cursor.execute("alter table public.deployment_packages enable trigger deployment_lifecycle")
    return str(package_id)


@pytest.mark.django_db(transaction=True)
def test_a_cleanup_deletes_only_what_its_dry_run_listed_once(client_as):
    admin = client_as("admin")
    first = stale_draft("0.0.1")
    page = admin.get("/deployments/cleanup/", {"days": "30", "keep": "10"})
    token = page.context["confirmation"]
    settings = {"days": "30", "keep": "10"}
    assert not_confirmed(admin.post("/deployments/cleanup/", settings))
    assert not_confirmed(
        admin.post("/deployments/cleanup/", {**settings, "confirmation": "x" * 40})
    )
    second = stale_draft("0.0.2")  # listed by no dry run yet
    assert not_confirmed(admin.post("/deployments/cleanup/", {**settings, "confirmation": token}))
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from public.deployment_packages where id = any(%s::uuid[])",
            [[first, second]],
        )
        assert cursor.fetchone()[0] == 2
    token = admin.get("/deployments/cleanup/", settings).context["confirmation"]
    assert (
        admin.post("/deployments/cleanup/", {**settings, "confirmation": token}).status_code == 302
    )
    again = admin.post("/deployments/cleanup/", {**settings, "confirmation": token})
    assert again.status_code in (400, 409)  # its versions are gone: no longer this plan
    assert AuditLog.objects.filter(action="CLEANUP", user_id=admin.user.id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_retention_run_needs_its_dry_runs_token(client_as):
    admin = client_as("admin")
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into public.system_performance_logs (system_type, system_id, metrics,"
            " \"timestamp\") values ('api', 'old', '{}', now() - interval '400 days')"
        )
    apply = {"table": "system_performance_logs", "action": "apply"}
    assert not_confirmed(admin.post("/performance/retention/", apply))
    assert not_confirmed(admin.post("/performance/retention/", {**apply, "confirmation": "y" * 40}))
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from public.system_performance_logs where system_id = 'old'"
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_an_import_confirmation_of_the_clients_making_imports_nothing(client_as):
    editor = client_as("editor")
    report = editor.post(
        "/knowledge/import/",
        {"file": upload("made.jsonl", jsonl({"title": "Made", "content": "B"}))},
    )
    assert report.status_code == 200 and report.context["token"]
    refused = editor.post("/knowledge/import/", {"token": "z" * 40})
    assert refused.status_code == 400 and "out of date" in refused.content.decode()
    assert not Entry.objects.filter(title="Made").exists()
