"""The deployments pages as each role reads them, and what they cost."""

import json
import re

import pytest

from deployments.models import Package

pytestmark = pytest.mark.django_db

# Middleware (session, user state, role), the page's own queries, the test's savepoint/reset.
LIST_QUERIES = 9
DETAIL_QUERIES = 10  # the version, the other versions of its name, the creator, the history
TIMELINE_QUERIES = 8  # the versions, their audit rows


def versions_in(html: str) -> list[str]:
    return re.findall(r'/deployments/[0-9a-f-]{36}/">([^<]+)</a>', html)


@pytest.fixture
def history(ops):
    """api: 1.0.0 deployed, then 1.1.0 deployed (1.0.0 retired), rolled back to 1.0.0;
    1.2.0-rc.1 in staging, 1.10.0 a draft; web 2.0.0 deployed."""
    old = ops.deploy("1.0.0", config={"replicas": 2, "limits": {"cpu": "1"}})
    new = ops.deploy("1.1.0", config={"replicas": 4, "limits": {"cpu": "2"}})
    old.refresh_from_db()
    ops.rollback(old, "1.1.0 leaks memory")
    ops.promote(ops.create("1.2.0-rc.1"))
    ops.create("1.10.0")
    ops.deploy("2.0.0", name="web", kind="system", data={"regions": ["eu-west-1"]})
    return {"old": old, "new": new}


@pytest.mark.parametrize("role", ["admin", "editor", "auditor", "viewer"])
def test_every_role_reads_the_list_the_version_and_the_timeline(client_as, history, role):
    client = client_as(role)
    assert client.get("/deployments/").status_code == 200
    assert client.get(f"/deployments/{history['old'].pk}/").status_code == 200
    page = client.get("/deployments/name/api/")
    assert page.status_code == 200
    html = page.content.decode()
    writes = "Roll back to…" in client.get(f"/deployments/{history['old'].pk}/").content.decode()
    assert writes is (role == "admin")
    assert "deployed now" in html


def test_the_list_sorts_by_semantic_version(client_as, history):
    admin = client_as("admin")
    html = admin.get("/deployments/", {"sort": "version"}).content.decode()
    assert versions_in(html) == ["1.0.0", "1.1.0", "1.2.0-rc.1", "1.10.0", "2.0.0"]
    html = admin.get("/deployments/", {"sort": "-version"}).content.decode()
    assert versions_in(html) == ["2.0.0", "1.10.0", "1.2.0-rc.1", "1.1.0", "1.0.0"]


def test_the_list_searches_by_name_and_filters(client_as, history):
    admin = client_as("admin")
    html = admin.get("/deployments/", {"q": "web"}).content.decode()
    assert '<span class="badge badge-ok">deployed</span>' in html
    assert versions_in(admin.get("/deployments/", {"q": "we"}).content.decode()) == ["2.0.0"]
    assert set(
        versions_in(admin.get("/deployments/", {"status": "deployed"}).content.decode())
    ) == {
        "1.0.0",
        "2.0.0",
    }
    html = admin.get("/deployments/", {"package_type": "system"}).content.decode()
    assert versions_in(html) == ["2.0.0"]
    Package.objects.filter(version="2.0.0").update()  # no-op: deployed_at stays the database's
    html = admin.get(
        "/deployments/", {"deployed_from": "2000-01-01", "deployed_until": "2000-12-31"}
    ).content.decode()
    assert versions_in(html) == []
    html = admin.get("/deployments/", {"deployed_from": "2000-01-01", "sort": "version"})
    assert versions_in(html.content.decode()) == ["1.0.0", "1.1.0", "2.0.0"]


def test_the_deployed_range_reaches_the_calendars_ends(client_as, history):
    admin = client_as("admin")
    ends = {"deployed_from": "0001-01-01", "deployed_until": "9999-12-31", "sort": "version"}
    response = admin.get("/deployments/", ends)
    assert response.status_code == 200
    assert versions_in(response.content.decode()) == ["1.0.0", "1.1.0", "2.0.0"]
    backwards = {"deployed_from": "2026-02-01", "deployed_until": "2026-01-01"}
    html = admin.get("/deployments/", backwards).content.decode()
    assert "The end of the range is before its start." in html


@pytest.mark.parametrize(
    "params", [{"status": "nope"}, {"deployed_from": "yesterday"}, {"sort": "; drop"}]
)
def test_bad_filters_are_form_errors_not_500(client_as, history, params):
    assert client_as("viewer").get("/deployments/", params).status_code in (200, 400)


def test_export_streams_the_filtered_rows(client_as, history):
    response = client_as("auditor").get("/deployments/export/", {"format": "jsonl", "q": "web"})
    assert response.status_code == 200
    rows = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [(r["name"], r["version"], r["status"]) for r in rows] == [("web", "2.0.0", "deployed")]
    assert client_as("auditor").get("/deployments/export/", {"format": "xls"}).status_code == 400


def test_a_versions_page_shows_its_json_as_tables_and_a_diff(client_as, history):
    admin = client_as("admin")
    old, new = history["old"], history["new"]
    html = admin.get(f"/deployments/{old.pk}/", {"compare": str(new.pk)}).content.decode()
    assert '<th scope="row" class="mono">limits.cpu</th>' in html  # a key/value row, no dict dump
    assert "{&#x27;" not in html and "{'" not in html
    assert 'class="diff-changed"' in html and "configuration.replicas" in html
    assert "History" in html  # the audit rows of this version
    assert admin.get(f"/deployments/{old.pk}/", {"compare": "nope"}).status_code == 400
    other = Package.objects.get(name="web")
    assert admin.get(f"/deployments/{old.pk}/", {"compare": str(other.pk)}).status_code == 404


def test_the_timeline_shows_each_step_with_who_and_why(client_as, history, ops):
    html = client_as("auditor").get("/deployments/name/api/").content.decode()
    assert ops.user.email in html
    assert "rollback: 1.1.0 leaks memory" in html
    assert "rolled back to 1.0.0: 1.1.0 leaks memory" in html
    assert "replaced by 1.1.0" in html
    steps = re.findall(r"</a> became <strong>(\w+)</strong>", html)
    # Newest first: 1.10.0 created, 1.2.0-rc.1 staged and created, then the rollback (1.1.0
    # retired, 1.0.0 deployed again, in one transaction)…
    assert steps[:3] == ["draft", "staging", "draft"]
    assert steps[3:5] == ["deployed", "retired"]
    # …every status each version entered: 1.0.0 five times, 1.1.0 four, 1.2.0-rc.1 two,
    # 1.10.0 one.
    assert len(steps) == 12
    assert client_as("viewer").get("/deployments/name/nothing-here/").status_code == 404


def test_roles_without_the_audit_trail_see_the_dates_the_rows_keep(client_as, history, ops):
    html = client_as("viewer").get("/deployments/name/api/").content.decode()
    assert ops.user.email not in html
    assert "admins and auditors read" in html


def test_query_counts_do_not_grow_with_the_versions(
    client_as, ops, history, django_assert_max_num_queries
):
    admin = client_as("admin")
    old = history["old"]
    counts = []
    for extra in range(2):
        for i in range(5):
            ops.deploy(f"3.{extra}.{i}")
        for url, limit in (
            ("/deployments/?sort=version", LIST_QUERIES),
            (f"/deployments/{old.pk}/?compare={history['new'].pk}", DETAIL_QUERIES),
            ("/deployments/name/api/", TIMELINE_QUERIES),
        ):
            with django_assert_max_num_queries(limit) as captured:
                assert admin.get(url).status_code == 200
            counts.append(len(captured))
    assert counts[:3] == counts[3:], counts


def test_htmx_gets_the_results_fragment_and_admins_a_cleanup_tab(client_as, history):
    admin = client_as("admin")
    fragment = admin.get("/deployments/", {"q": "api"}, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="results"')
    assert "Cleanup" in admin.get("/deployments/").content.decode()
    assert "Cleanup" not in client_as("editor").get("/deployments/").content.decode()


def test_any_name_has_a_timeline(client_as, ops):
    ops.deploy("1.0.0", name="team/api gateway ü")
    viewer = client_as("viewer")
    listed = viewer.get("/deployments/").content.decode()
    link = re.search(r'href="(/deployments/name/[^"]+/)"', listed).group(1)
    page = viewer.get(link)
    assert page.status_code == 200
    assert "team/api gateway ü: release timeline" in page.content.decode()


def test_a_name_no_row_can_have_is_no_timeline(client_as, ops):
    ops.deploy("1.0.0", name="api")
    viewer = client_as("viewer")
    for path in ("/deployments/name/%00/", "/deployments/name/a%00b/", "/deployments/name/api%00/"):
        assert viewer.get(path).status_code == 404, path


def test_the_timeline_escapes_versions_and_reasons(client_as, ops):
    package = ops.create("1.0.0", name="x")
    ops.promote(package, reason="<script>alert(1)</script> & more")
    html = client_as("auditor").get("/deployments/name/x/").content.decode()
    assert "<script>alert" not in html
    assert "— &lt;script&gt;alert(1)&lt;/script&gt; &amp; more</span>" in html  # versions table
    assert "became <strong>staging</strong> by " in html  # steps list, with its actor
    assert html.count("&lt;script&gt;alert(1)") == 2
