"""The agents list and the runs list: search, filters, keyset pages; bad input is a form error
or a warning, never a 500; and what every page costs in queries, whatever it shows."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from console import audited
from console.rls import as_user
from performance.models import PerformanceLog
from tests.factories import db_user

pytestmark = pytest.mark.django_db

_AGENT = re.compile(r'<td\s*><a href="/agents/[0-9a-f-]{36}/">(.*?)</a>')
_RUN = re.compile(r'<a href="/crews/([0-9a-f-]{36})/"><time')


def agents_listed(response) -> list[str]:
    assert response.status_code == 200
    return _AGENT.findall(response.content.decode())


@pytest.fixture
def agents(make_agent):
    now = timezone.now()
    return [
        make_agent("Ingest Pipeline", "data_processor", last_activity=now - timedelta(minutes=5)),
        make_agent("Market Analyzer", "analyzer", last_activity=now - timedelta(hours=3)),
        make_agent(
            "Risk Assessor",
            "analyzer",
            status="paused",
            is_active=False,
            last_activity=now - timedelta(days=3),
        ),
        make_agent("Deployment Orchestrator", "orchestrator", status="error", last_activity=None),
    ]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"q": "analy"}, ["Market Analyzer", "Risk Assessor"]),  # by type, as typed
        ({"q": "PIPE"}, ["Ingest Pipeline"]),  # by name, any case
        ({"type": "analyzer"}, ["Market Analyzer", "Risk Assessor"]),
        ({"status": "error"}, ["Deployment Orchestrator"]),
        ({"is_active": "false"}, ["Risk Assessor"]),
        ({"silent_hours": "2"}, ["Deployment Orchestrator", "Market Analyzer", "Risk Assessor"]),
        ({"silent_hours": "24"}, ["Deployment Orchestrator", "Risk Assessor"]),
        ({"active_from": "{3 days ago}", "active_until": "{3 days ago}"}, ["Risk Assessor"]),
        (
            {"sort": "-name"},
            ["Risk Assessor", "Market Analyzer", "Ingest Pipeline", "Deployment Orchestrator"],
        ),
    ],
)
def test_agent_search_and_filters(client_as, agents, params, names):
    day = (timezone.localtime() - timedelta(days=3)).date().isoformat()
    params = {k: v.replace("{3 days ago}", day) for k, v in params.items()}
    assert agents_listed(client_as("viewer").get("/agents/", params)) == names


def test_the_agent_list_shows_a_badge_and_a_relative_time_with_the_exact_one(client_as, agents):
    html = client_as("viewer").get("/agents/").content.decode()
    assert '<span class="badge badge-danger">error</span>' in html
    assert re.search(
        r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]+">3\xa0hours ago</time>',
        html,
    )
    assert "/agents/export/?format=csv" in html


@pytest.mark.parametrize(
    "params",
    [
        {"silent_hours": "-1"},
        {"silent_hours": "lots"},
        {"active_from": "2026-13-01"},
        {"active_from": "2026-11-20", "active_until": "2026-11-01"},
        {"status": "sleeping"},
        {"type": "x" * 500},
    ],
)
def test_bad_agent_filters_are_form_errors_not_500(client_as, agents, params):
    response = client_as("viewer").get("/agents/", params)
    assert response.status_code == 200
    assert "Check the filters" in response.content.decode() or agents_listed(response) == []


@pytest.fixture
def runs(make_run):
    made = []
    for i in range(130):
        made.append(
            make_run(
                "Nightly Research" if i % 2 else "Incident Response",
                status="failed" if i % 5 == 0 else "complete",
                crew_type="research" if i % 2 else "response",
                ago={"hours": i},
            )
        )
    return made


def test_runs_page_by_keyset_newest_first_with_filters(client_as, runs):
    viewer = client_as("viewer")
    first = viewer.get("/crews/runs/", {"per_page": 50}).content.decode()
    ids = _RUN.findall(first)
    assert ids[:2] == [str(runs[0].pk), str(runs[1].pk)] and len(ids) == 50
    older = re.search(r'href="(/crews/runs/\?[^"]*before=[^"]+)"', first).group(1)
    second = _RUN.findall(viewer.get(older.replace("&amp;", "&")).content.decode())
    assert second[0] == str(runs[50].pk)
    failed = _RUN.findall(
        viewer.get(
            "/crews/runs/", {"status": "failed", "crew_name": "Incident Response"}
        ).content.decode()
    )
    assert (
        failed
        == [str(r.pk) for r in runs if r.status == "failed" and r.crew_name == "Incident Response"][
            :50
        ]
    )
    typed = _RUN.findall(viewer.get("/crews/runs/", {"crew_type": "research"}).content.decode())
    assert typed[0] == str(runs[1].pk)
    day = (timezone.localtime() - timedelta(days=2)).date().isoformat()
    between = _RUN.findall(
        viewer.get("/crews/runs/", {"started_from": day, "started_until": day}).content.decode()
    )
    assert between and all(
        timezone.localtime(r.created_at).date().isoformat() == day
        for r in runs
        if str(r.pk) in between
    )


@pytest.mark.parametrize(
    "params",
    [
        {"before": "garbage"},
        {"status": "exploded"},
        {"started_from": "yesterday"},
        {"jump": "not a day"},
    ],
)
def test_bad_run_list_input_is_not_a_500(client_as, runs, params):
    assert client_as("viewer").get("/crews/runs/", params).status_code in (200, 400)


# ---------- What each page costs ----------

# Every page: the session, a savepoint, the user's state, the role switch, the savepoint's
# release and the test client's role reset (6); then the page's own reads.
LIST_QUERIES = 10  # + types for the filter, the planner's estimate, the count, the rows
AGENT_QUERIES = 10  # + the agent, the crews overview, its samples, its history
OVERVIEW_QUERIES = 7  # + the overview
RUNS_QUERIES = 8  # + the page of runs, the crew names for the filter (no count at all)
CREW_QUERIES = 10  # + the overview, the runs, the agents, the history
RUN_QUERIES = 10  # + the run, its agents, its samples, its history


def _costs(client, url, max_queries, django_assert_max_num_queries, grow):
    counts = []
    for _ in range(2):
        with django_assert_max_num_queries(max_queries) as captured:
            assert client.get(url).status_code == 200, url
        counts.append(len(captured))
        grow()
    assert counts[0] == counts[1], (url, counts)


def test_each_page_costs_a_few_queries_whatever_it_shows(
    client_as, make_agent, make_run, django_assert_max_num_queries
):
    admin = client_as("admin")
    agent = make_agent("Analyst")
    run = make_run(configuration={"agents": [str(agent.pk), "Ghost"]})
    writer = db_user("admin")

    def grow():
        for n in range(20):
            make_agent(f"Agent {n}", last_activity=timezone.now())
            make_run(configuration={"agents": [str(agent.pk)]}, ago={"minutes": n})
            PerformanceLog.objects.create(
                system_id=str(agent.pk),
                system_type="agent",
                metrics={"n": n},
                timestamp=run.created_at,
            )
        with as_user(writer.claims):
            for n in range(5):
                actor = audited.Actor(writer.id, None, "pytest")
                audited.update(actor, agent, configuration={"n": n})
                audited.update(actor, run, performance_data={"duration": n})

    pages = [
        ("/agents/?q=a&status=active&silent_hours=1", LIST_QUERIES),
        (f"/agents/{agent.pk}/", AGENT_QUERIES),
        ("/crews/", OVERVIEW_QUERIES),
        ("/crews/runs/?status=complete", RUNS_QUERIES),
        ("/crews/name/Nightly Research/", CREW_QUERIES),
        (f"/crews/{run.pk}/", RUN_QUERIES),
    ]
    for url, most in pages:
        _costs(admin, url, most, django_assert_max_num_queries, grow)


def test_the_write_pages_cost_a_few_queries_too(
    client_as, make_agent, make_run, django_assert_max_num_queries
):
    admin = client_as("admin")
    agent = make_agent("Analyst")
    run = make_run(configuration={"agents": [str(agent.pk)]})
    make_run("Other", configuration={"agents": ["Analyst"]})
    pages = [
        ("/agents/new/", 7),  # + the types for the datalist
        (f"/agents/{agent.pk}/edit/", 8),  # + the agent, the types
        (f"/agents/{agent.pk}/delete/", 8),  # + the agent, the crews naming it
        (f"/agents/{agent.pk}/history/", 8),  # + the agent, its history
        (f"/crews/{run.pk}/edit/", 8),  # + the run, its status for the form
        (f"/crews/{run.pk}/delete/", 7),  # + the run
    ]
    for url, most in pages:
        with django_assert_max_num_queries(most):
            assert admin.get(url).status_code == 200, url


def test_a_small_table_is_counted_without_asking_the_planner_first(client_as, agents):
    """Below SMALL_TABLE_ROWS (by the table's statistics) no filter can make the count big:
    the list counts at once, with the page's rows (one query instead of an EXPLAIN, a count
    and the page)."""
    from console import pagination

    with connection.cursor() as cursor:
        cursor.execute("analyze public.ai_agents")
    pagination._TABLE_FACTS.clear()
    viewer = client_as("viewer")
    viewer.get("/agents/", {"q": "analy"})
    with CaptureQueriesContext(connection) as captured:
        response = viewer.get("/agents/", {"q": "analy"})
    sql = [q["sql"].lower() for q in captured.captured_queries]
    assert not [q for q in sql if q.startswith("explain")]
    agents = [q for q in sql if 'from "ai_agents"' in q]
    assert len(agents) == 1 and "count(*) over ()" in agents[0], agents  # page and count
    assert "2 results." in response.content.decode()  # the two analyzers
    assert response.content.decode().count('href="/agents/') >= 2


def test_a_small_tables_pages_read_with_their_count_show_every_row_once(client_as, make_agent):
    from console import pagination

    for n in range(30):
        make_agent(f"Agent {n:02}")
    with connection.cursor() as cursor:
        cursor.execute("analyze public.ai_agents")
    pagination._TABLE_FACTS.clear()
    viewer = client_as("viewer")
    names = []
    for page in (1, 2):
        html = viewer.get("/agents/", {"per_page": 25, "page": page, "sort": "name"}).content
        names += re.findall(r">(Agent \d\d)</a>", html.decode())
        assert "30 results · page" in html.decode()
    assert names == [f"Agent {n:02}" for n in range(30)]
    # Past the end, and past any OFFSET: the last page, as the paginator says.
    for page in ("3", "99999999999999999999"):
        html = viewer.get("/agents/", {"per_page": 25, "page": page, "sort": "name"}).content
        assert re.findall(r">(Agent \d\d)</a>", html.decode()) == names[25:], page


def test_the_runs_list_suggests_each_crew_and_every_type_of_run(client_as, make_run):
    make_run("Nightly", crew_type="research", ago={"days": 2})
    make_run("Nightly", crew_type="analysis")
    make_run("Incident <Response>", crew_type="ops")
    viewer = client_as("viewer")
    with CaptureQueriesContext(connection) as captured:
        html = viewer.get("/crews/runs/").content.decode()
    assert not [q for q in captured.captured_queries if "crew_filter_values" in q["sql"]]
    # The list names where its suggestions come from; they are fetched when a field is focused.
    for datalist, field, url in (
        ("crew-names", "id_crew_name", "/crews/runs/names/"),
        ("crew-types", "id_crew_type", "/crews/runs/types/"),
    ):
        assert (
            f'<datalist id="{datalist}" hx-get="{url}" hx-trigger="focusin from:#{field} once"'
            in html
        )
        assert f'id="{field}"' in html and f'list="{datalist}"' in html
    names = viewer.get("/crews/runs/names/").content.decode()
    types = viewer.get("/crews/runs/types/").content.decode()
    assert re.findall(r'value="([^"]*)"', names) == ["Incident &lt;Response&gt;", "Nightly"]
    assert re.findall(r'value="([^"]*)"', types) == ["analysis", "ops", "research"]


def test_run_suggestions_are_for_roles_that_read_crews(client, client_as):
    assert client.get("/crews/runs/names/").status_code == 302  # signed out: to the sign-in
    assert client_as("viewer").get("/crews/runs/types/").status_code == 200


def test_the_agents_list_suggests_the_types_in_use_and_filters_by_one(client_as, make_agent):
    make_agent("Scout", type="monitor")
    make_agent("Quill", type="writer <b>")
    viewer = client_as("viewer")
    html = viewer.get("/agents/").content.decode()
    assert (
        '<datalist id="agent-types" hx-get="/agents/types/" hx-trigger="focusin from:#id_type once"'
        in html
    )
    assert 'list="agent-types"' in html
    options = viewer.get("/agents/types/").content.decode()
    assert re.findall(r'value="([^"]*)"', options) == ["monitor", "writer &lt;b&gt;"]
    found = viewer.get("/agents/", {"type": "writer <b>"}).content.decode()
    assert ">Quill</a>" in found and ">Scout</a>" not in found
    assert "No results." in viewer.get("/agents/", {"type": "nothing-like-it"}).content.decode()
    refused = viewer.get("/agents/", {"type": "a\x00b"})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
