"""console.rows writes the same cells as django-tables2 would, faster: these tests compare the
two on the cases the shortcuts take (links reversed once per column, choices looked up once,
escaping without Django's lazy wrappers) and on the cases where they must step aside."""

import re
import uuid
from types import SimpleNamespace

import django_tables2 as tables
import pytest
from django.test import RequestFactory
from django.utils.html import conditional_escape

from console.rows import head_html, pages_html, query_link, rows_html, url_of
from console.users.models import Profile


class LinkedTable(tables.Table):
    email = tables.Column(linkify=("users:user_detail", {"pk": tables.A("pk")}))
    name = tables.Column(linkify=("deployments:timeline", {"name": tables.A("name")}))
    note = tables.Column(default="—")


RECORDS = [
    SimpleNamespace(pk=uuid.uuid4(), email="a<b>@example.com", name="pkg-1", note=None),
    SimpleNamespace(pk=uuid.uuid4(), email='"quoted"', name="has space é", note="x & y"),
    SimpleNamespace(pk=uuid.uuid4(), email="c@example.com", name="a.b?c#d", note=""),
    SimpleNamespace(pk=uuid.uuid4(), email="d@example.com", name="plain", note="n"),
]


def cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html)


def tables2_cells(table) -> list[str]:
    return [
        str(conditional_escape(row.get_cell(column.name)))
        for row in table.rows
        for column in table.columns
    ]


def test_linked_cells_are_the_ones_django_tables2_writes():
    table = LinkedTable(RECORDS)
    ours = cells(rows_html(table))
    assert ours == tables2_cells(LinkedTable(RECORDS))
    # (the cases: a uuid key, text keys a URL carries as they are and ones it must quote)
    assert '<a href="/deployments/name/has%20space%20%C3%A9/">has space é</a>' in ours


def test_a_key_of_another_type_than_the_url_takes_is_reversed_as_django_does():
    records = [SimpleNamespace(pk=7, email="seven", name="n", note=None)]

    class IntKeyTable(tables.Table):
        email = tables.Column(linkify=("deployments:timeline", {"name": tables.A("pk")}))

    assert cells(rows_html(IntKeyTable(records))) == tables2_cells(IntKeyTable(records))


@pytest.mark.parametrize(
    ("viewname", "keys"),
    [
        ("deployments:package_detail", [uuid.uuid4(), uuid.uuid4()]),
        ("deployments:timeline", ["api", "has space é/x?y", 7, "api"]),
        ("agents:run_detail", [str(uuid.uuid4())]),  # a str key a uuid URL takes
    ],
)
def test_url_of_writes_what_reverse_writes(viewname, keys):
    from django.urls import reverse

    url = url_of(viewname)
    assert [url(key) for key in keys] == [reverse(viewname, args=[key]) for key in keys]


def test_url_of_reverses_a_key_it_cannot_template_once(monkeypatch):
    from console import rows

    real, calls = rows.reverse, []

    def counting(viewname, args):
        calls.append(args[0])
        return real(viewname, args=args)

    monkeypatch.setattr(rows, "reverse", counting)
    url = url_of("agents:crew_detail")
    first = [url("Bench Crew 7"), url("Bench Crew 7"), url("Crew 2"), url("Bench Crew 7")]
    assert first == [
        real("agents:crew_detail", args=[k])
        for k in ("Bench Crew 7",) * 2 + ("Crew 2", "Bench Crew 7")
    ]
    assert calls.count("Bench Crew 7") == 1 and calls.count("Crew 2") == 1


@pytest.mark.django_db
def test_a_choices_column_shows_its_label_as_the_model_does():
    class RoleTable(tables.Table):
        class Meta:
            model = Profile
            fields = ("role",)

    profiles = [Profile(id=uuid.uuid4(), role=role) for role in ("admin", "viewer", "unheard")]
    assert cells(rows_html(RoleTable(profiles))) == tables2_cells(RoleTable(profiles))


def test_header_and_page_links_keep_the_query_and_drop_the_page():
    request = RequestFactory().get("/users/", {"q": "a b", "page": "3", "role": ["x", "y"]})

    class SortableTable(tables.Table):
        email = tables.Column()
        name = tables.Column(orderable=False)

    table = SortableTable([SimpleNamespace(email=f"{n}@x", name="n") for n in range(120)])
    table.paginate(page=3, per_page=10)
    head = head_html(table, request.GET)
    assert 'href="?q=a+b&amp;role=x&amp;role=y&amp;sort=email"' in head
    assert head.endswith('<th scope="col" >Name</th>')  # not sortable: no link
    pages = pages_html(table, request.GET)
    assert 'href="?q=a+b&amp;page=2&amp;role=x&amp;role=y"' in pages  # the page keeps its place
    assert '<span aria-current="page">3</span>' in pages
    assert query_link(request.GET, page=None) == "?q=a+b&role=x&role=y"


def test_rows_show_dates_in_the_time_zone_current_when_the_page_renders():
    from datetime import UTC, datetime

    from django.utils import timezone

    from console.columns import DateTimeColumn
    from console.display import display_datetime

    class Times(tables.Table):
        at = DateTimeColumn(format="Y-m-d H:i")

    moment = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    records = [SimpleNamespace(at=moment)]
    with timezone.override("Asia/Tokyo"):
        tokyo = rows_html(Times(records))
    with timezone.override("UTC"):
        utc = rows_html(Times(records))
        assert display_datetime(moment) == "2026-01-02 03:04"  # nothing left fixed after a table
    assert '<time datetime="2026-01-02T12:04:00+09:00">2026-01-02 12:04</time>' in tokyo
    assert '<time datetime="2026-01-02T03:04:00+00:00">2026-01-02 03:04</time>' in utc
