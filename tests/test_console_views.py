"""Console pages beyond sign-in: my profile (an audited write), the outbox, demo data."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from agents.models import Agent
from console.audit_log import AuditLog
from console.demo import RARE_MATCHES, RARE_WORDS
from console.users.models import Profile
from knowledge.models import Entry

pytestmark = pytest.mark.django_db(transaction=True)


def test_my_profile_saves_the_display_name_with_an_audit_row(signed_in):
    client = signed_in("viewer")
    user = client.user
    response = client.post(
        reverse("users:my_profile"),
        {"display_name": "  Vera Viewer "},
        HTTP_USER_AGENT="pytest-ua",
    )
    assert response.status_code == 302
    assert Profile.objects.get(pk=user.id).display_name == "Vera Viewer"
    row = AuditLog.objects.get(user_id=user.id, action="UPDATE", table_name="profiles")
    assert set(row.new_values) == {"display_name", "updated_at"}  # only what changed
    assert row.new_values["display_name"] == "Vera Viewer"
    assert row.old_values["display_name"] != "Vera Viewer"
    assert row.user_agent == "pytest-ua"


def test_my_profile_rejects_bad_input_and_changes_nothing(signed_in):
    client = signed_in("editor")
    before = Profile.objects.get(pk=client.user.id).display_name
    response = client.post(reverse("users:my_profile"), {"display_name": "x" * 500})
    assert response.status_code == 400
    assert Profile.objects.get(pk=client.user.id).display_name == before
    assert not AuditLog.objects.filter(user_id=client.user.id, action="UPDATE").exists()


def test_htmx_posts_need_the_csrf_token(signed_in):
    client = signed_in("viewer")
    client.handler.enforce_csrf_checks = True
    response = client.post(
        reverse("users:my_profile"), {"display_name": "No token"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    page = client.get("/")
    assert 'hx-headers=\'{"X-CSRFToken": "' in page.content.decode()


def test_the_outbox_page_lists_local_email(signed_in, auth_server, settings):
    client = signed_in("admin")
    settings.BASE_DIR = (
        auth_server.config.outbox_dir.parent.parent
    )  # the page reads <BASE_DIR>/.data/outbox
    settings.DEBUG = True
    client.post(reverse("console:password_forgot"), {"email": client.user.email})
    page = client.get(reverse("console:outbox"))
    assert page.status_code == 200
    assert client.user.email in page.content.decode()


def test_the_outbox_is_not_there_in_production(signed_in, settings):
    client = signed_in("admin")
    settings.DEBUG = False
    assert client.get(reverse("console:outbox")).status_code == 404


def test_seed_demo_creates_every_table_once_and_keeps_data_on_a_second_run(auth_server):
    call_command("seed_demo")
    counts = (Agent.objects.count(), Entry.objects.count())
    assert counts[0] >= 6 and counts[1] >= 10
    with connection.cursor() as cursor:
        cursor.execute(
            "select role, count(*) from public.profiles where email like '%%@example.com'"
            " and email in ('admin@example.com','editor@example.com','auditor@example.com',"
            "'viewer@example.com') group by role order by role"
        )
        assert cursor.fetchall() == [("admin", 1), ("auditor", 1), ("editor", 1), ("viewer", 1)]
        for table in (
            "crew_nuclear_system",
            "deployment_packages",
            "system_performance_logs",
            "audit_logs",
        ):
            cursor.execute(f"select count(*) from public.{table}")
            assert cursor.fetchone()[0] > 0, table
    call_command("seed_demo")
    assert (Agent.objects.count(), Entry.objects.count()) == counts


def test_seed_demo_scale_adds_volume_fast(auth_server):
    call_command("seed_demo", "--scale", "0.002")
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from public.profiles where email like '%%@bench.example.com'"
        )
        assert cursor.fetchone()[0] == 200
        cursor.execute(
            "select count(*) from public.audit_logs where user_agent = 'bench-agent/1.0'"
        )
        assert cursor.fetchone()[0] == 2000
        cursor.execute(
            "select count(*) from public.system_performance_logs where system_id like 'system-%%'"
        )
        assert cursor.fetchone()[0] == 10000  # 5,000,000 at scale 1
    assert Entry.objects.filter(metadata__source="bench").count() == 200
    # the benchmark's rare word: in as many entries at every scale
    rare = Entry.objects.filter(metadata__source="bench", content__contains=RARE_WORDS[0])
    assert rare.count() == RARE_MATCHES


def test_the_demo_accounts_sign_in_with_the_documented_password(client, auth_server):
    from console.demo import DEFAULT_DEMO_PASSWORD

    call_command("seed_demo")
    response = client.post(
        "/login/", {"email": "auditor@example.com", "password": DEFAULT_DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/audit/").status_code == 200


def test_list_and_dashboard_query_counts_stay_bounded(signed_in, django_assert_max_num_queries):
    client = signed_in("admin")
    Agent.objects.bulk_create([Agent(name=f"N{n}", type="t") for n in range(80)])
    with django_assert_max_num_queries(9):
        assert client.get("/users/?per_page=100").status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get("/audit/?per_page=100").status_code == 200
    # The dashboard counts seven tables: at most two queries each (estimate, exact count).
    with django_assert_max_num_queries(7 * 2 + 8):
        assert client.get("/").status_code == 200


def test_an_unexpected_error_gives_the_500_page_without_a_traceback(rf):
    from console.views.errors import server_error

    try:
        raise RuntimeError("secret detail")
    except RuntimeError:
        response = server_error(rf.get("/"))
    body = response.content.decode()
    assert response.status_code == 500 and "secret detail" not in body and "Traceback" not in body


def test_the_navigation_lists_the_roles_areas_and_marks_the_current_one(signed_in):
    import re

    from console.registry import navigation
    from console.roles import Role

    for role, url, current in (
        ("auditor", "/audit/", "audit"),
        ("viewer", "/knowledge/", "knowledge"),
    ):
        html = signed_in(role).get(url).content.decode()
        nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
        areas = navigation(Role(role))
        links = re.findall(r'<li><a href="([^"]+)"( aria-current="page")?>([^<]+)</a></li>', nav)
        assert [(href, label) for href, _, label in links][1:] == [
            (area.list_href, area.label) for area in areas
        ]  # after the dashboard, every area the role may list, in order
        assert [label for _, marked, label in links if marked] == [
            next(area.label for area in areas if area.key == current)
        ]


def test_a_filter_field_in_error_says_so_next_to_the_field(signed_in):
    html = signed_in("editor").get("/knowledge/?updated_from=nonsense").content.decode()
    field = html[html.index('<label for="id_updated_from">') :]
    field = field[: field.index("</div>")]
    assert 'name="updated_from"' in field
    assert '<ul class="errorlist" id="id_updated_from-errors"><li>' in field
