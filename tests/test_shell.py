"""The shell: each role sees exactly its navigation and areas; the list pattern; errors."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from agents.models import Agent
from console.registry import all_areas, navigation
from console.roles import Access, Role

pytestmark = pytest.mark.django_db(transaction=True)

LIST_URLS = {
    "users": "/users/",
    "knowledge": "/knowledge/",
    "agents": "/agents/",
    "crews": "/crews/",
    "performance": "/performance/",
    "deployments": "/deployments/",
    "audit": "/audit/",
    "system": "/system/",
}
EXPECTED_NAV = {
    "admin": [
        "Users",
        "Knowledge base",
        "Agents",
        "Crews",
        "Performance",
        "Deployments",
        "Audit trail",
        "System",
    ],
    "editor": ["Knowledge base", "Agents", "Crews", "Performance", "Deployments"],
    "auditor": [
        "Users",
        "Knowledge base",
        "Agents",
        "Crews",
        "Performance",
        "Deployments",
        "Audit trail",
        "System",
    ],
    "viewer": ["Knowledge base", "Agents", "Crews", "Performance", "Deployments"],
}


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav[^>]*aria-label="Main"[^>]*>(.*?)</nav>', html, re.S).group(1)
    labels = [
        re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)
    ]
    return [label for label in labels if label in {a.label for a in all_areas()}]


@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_each_role_sees_exactly_its_navigation(role, signed_in):
    client = signed_in(role)
    page = client.get("/")
    assert page.status_code == 200
    assert nav_labels(page.content.decode()) == EXPECTED_NAV[role]
    assert [a.label for a in navigation(Role(role))] == EXPECTED_NAV[role]


@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_each_role_reaches_its_areas_and_gets_403_elsewhere(role, signed_in):
    client = signed_in(role)
    for area in all_areas():
        response = client.get(LIST_URLS[area.key])
        level = area.access_for(Role(role))
        expected = 200 if level.can_read and level is not Access.OWN else 403
        assert response.status_code == expected, (role, area.key)
        if expected == 403:
            assert "403" in response.content.decode()


def test_anonymous_users_are_sent_to_the_login_page(client, auth_server):
    for url in ["/", *LIST_URLS.values()]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_htmx_gets_only_the_results_and_the_same_url_gives_the_page(signed_in):
    client = signed_in("admin")
    full = client.get("/agents/?status=active")
    partial = client.get("/agents/?status=active", HTTP_HX_REQUEST="true")
    assert b"<html" in full.content and b'id="results"' in full.content
    assert b"<html" not in partial.content and b'id="results"' in partial.content
    assert "HX-Request" in partial["Vary"]


def test_lists_filter_sort_and_page_with_stable_order(signed_in):
    client = signed_in("admin")
    Agent.objects.bulk_create(
        [
            Agent(name=f"Bulk {n:03}", type="analyzer", status="paused" if n % 2 else "active")
            for n in range(60)
        ]
    )
    first = client.get("/agents/?status=active&sort=type&per_page=25")
    second = client.get("/agents/?status=active&sort=type&per_page=25&page=2")
    names = _names(first) + _names(second)
    assert len(names) == len(set(names)) == 30
    assert all(n.startswith("Bulk") for n in names)
    assert 'aria-sort="ascending"' in first.content.decode()
    assert "page=2" in first.content.decode()  # the links carry the filters
    assert "status=active" in first.content.decode()


def _names(response):
    return re.findall(r">(Bulk \d{3})</a>", response.content.decode())


def test_bad_list_parameters_never_break_the_page(signed_in):
    client = signed_in("admin")
    for query in (
        "page=abc",
        "page=999999",
        "per_page=100000",
        "sort=nonsense",
        "status=%27;drop%20table",
        "is_active=maybe",
    ):
        assert client.get(f"/agents/?{query}").status_code == 200, query


def test_list_queries_do_not_grow_with_the_page_size(signed_in, django_assert_max_num_queries):
    client = signed_in("admin")
    Agent.objects.bulk_create([Agent(name=f"Q {n}", type="t") for n in range(120)])
    for per_page in (25, 100):
        with django_assert_max_num_queries(9):
            assert client.get(f"/agents/?per_page={per_page}").status_code == 200


def test_the_dashboard_shows_real_figures(signed_in):
    client = signed_in("admin")
    Agent.objects.create(name="Counted", type="t", status="error")
    page = client.get("/")
    assert page.status_code == 200
    figures = {f.label: f.value for f in page.context["counts"]}
    assert figures["Agents"] == Agent.objects.count()
    panels = {key: value for panel in page.context["panels"] for key, value in panel.items()}
    assert ("error", Agent.objects.filter(status="error").count()) in panels["agents_by_status"]
    assert panels["latest_audit"]  # the admin's LOGIN at least
    html = page.content.decode()
    assert "Agents by status" in html and "Latest changes" in html


def test_an_unknown_page_is_a_styled_404(signed_in):
    response = signed_in("viewer").get("/no-such-page/")
    assert response.status_code == 404 and b"Traceback" not in response.content


def test_a_stopped_database_gives_the_503_page_and_healthz_503(signed_in):
    client, probe = signed_in("viewer"), Client()  # a monitor has no session cookie
    assert probe.get("/healthz").json() == {"status": "ok"}
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="9")  # nothing listens there
    try:
        health = probe.get("/healthz")
        assert health.status_code == 503 and health.json() == {"status": "unavailable"}
        client.raise_request_exception = False
        page = client.get("/agents/")  # the session itself lives in the database
        assert page.status_code == 503
        assert "database" in page.content.decode().lower()
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    assert probe.get("/healthz").status_code == 200


def test_healthz_stays_up_with_a_stopped_auth_server(client, auth_server, settings):
    """Signed-in sessions keep working without Supabase Auth: no reason to take the console
    out of a load balancer. The system page shows Auth's state."""
    settings.SUPABASE_URL = "http://127.0.0.1:9"
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_pages_carry_a_strict_content_security_policy(client, auth_server):
    response = client.get(reverse("console:login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()
