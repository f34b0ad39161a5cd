"""Hostile input on every page the URL resolver serves: never a 500.

Nothing here is a hand-kept list of pages or fields. The pages are the resolver's patterns;
the query parameters are what each page shows, sent where the page sends them (its forms'
fields, its links' and htmx requests' query names: a list's own, its export's, a suggestion
box's) plus the names every list reads (search, page, size, sort, a keyset's cursors); each
gets the calendar's ends, a NUL byte, control characters and a 5,000-character
value in turn. Every pattern with path converters gets the same values, and percent-encoded
junk, in each converter. An answer may refuse (400, 404, 405, a form error, a redirect to
sign in) but never fail.
"""

import re
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.test import Client
from django.urls import get_resolver

from console.demo import seed_rows
from console.lists import KeysetListView, ObjectListView
from tests.test_url_guards import walk

HOSTILE = {
    "first day": "0001-01-01",
    "last day": "9999-12-31",
    "last minute": "9999-12-31T23:59",
    "NUL": "a\x00b",
    "control characters": "\x01\x1f\x7f",
    "5,000 characters": "x" * 5000,
}
# Already percent-encoded: bytes that are no UTF-8, a lone "%", a NUL, a newline, dot segments.
ENCODED_JUNK = {
    "not UTF-8": "%ff%fe%c0%ae",
    "lone percent": "%",
    "bad escape": "%zz",
    "encoded NUL": "%00",
    "encoded newline": "a%0ab",
    "dot segments": "..%2f..%2f",
}
# The names every list page reads whatever its form shows (console/lists.py).
LIST_PARAMS = ("q", "page", "per_page", "sort")
_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_SAMPLE = {"uuid": lambda: str(uuid.uuid4()), "int": lambda: "1"}


def _routes():
    """(route, name, view) of every URL pattern, includes followed."""
    return list(walk(get_resolver().url_patterns))


def _view_class(view):
    return getattr(view, "view_class", None)


def _is_list_view(view) -> bool:
    view_class = _view_class(view)
    return isinstance(view_class, type) and issubclass(view_class, ObjectListView)


PLAIN_ROUTES = [r for r in _routes() if not _CONVERTER.search(r[0])]
LIST_ROUTES = [r for r in PLAIN_ROUTES if _is_list_view(r[2])]
OTHER_ROUTES = [r for r in PLAIN_ROUTES if not _is_list_view(r[2])]
CONVERTER_ROUTES = [r for r in _routes() if _CONVERTER.search(r[0])]


class _Shown(HTMLParser):
    """The query names a page shows, by the local path they are sent to: a form's fields (to
    its action, the page itself by default), the query names of its links and htmx requests,
    and a field that makes an htmx request of its own (to that URL)."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.targets: dict[str, set[str]] = {path: set()}
        self.form_target: str | None = path
        self.status = None

    @property
    def fields(self) -> set[str]:
        return self.targets[self.path]

    def _add(self, url: str, names) -> None:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            return  # another site
        self.targets.setdefault(parts.path or self.path, set()).update(names)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = attrs.get("action") or self.path
            posted_elsewhere = attrs.get("method", "get").lower() == "post" and action != self.path
            self.form_target = None if posted_elsewhere else action
        for attr in ("href", "hx-get", "action"):
            url = attrs.get(attr)
            if url and "?" in url:
                self._add(url, (k for k, _v in parse_qsl(urlsplit(url).query, True)))
        name = attrs.get("name")
        if tag not in ("input", "select", "textarea") or not name or name == "csrfmiddlewaretoken":
            return
        if self.form_target:
            self._add(self.form_target, [name])
        if attrs.get("hx-get"):
            self._add(attrs["hx-get"], [name])

    def handle_endtag(self, tag):
        if tag == "form":
            self.form_target = self.path


def _shown(client, path: str, query=None) -> _Shown:
    shown = _Shown(path)
    response = client.get(path, query or {})
    shown.status = response.status_code
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        shown.feed(response.content.decode())
    return shown


def _answer(client, method: str, path: str, data=None) -> str | None:
    """None for an answer short of a failure; else what went wrong."""
    try:
        response = getattr(client, method)(path, data or {})
        try:
            if response.streaming:  # (an export: what fails, fails while it streams)
                b"".join(response.streaming_content)
        finally:
            response.close()  # a stream's request ends here
    except Exception as exc:  # the test client re-raises what a view raised
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    if response.status_code >= 500:
        return f"status {response.status_code}"
    return None


def _route_path(route: str, replace: str | None = None, value: str = "") -> str:
    """The route with each converter given a well-formed value, `replace` given `value`."""

    def fill(match):
        if match["name"] == replace:
            return value
        return _SAMPLE.get(match["kind"], lambda: "sample")()

    return "/" + _CONVERTER.sub(fill, route)


def _ids(routes):
    return [name if name != "(unnamed)" else route for route, name, _v in routes]


def test_the_sweep_reaches_the_lists_and_the_converters():
    """A discovery that broke would let every test below pass on nothing."""
    lists = _ids(LIST_ROUTES)
    assert len(PLAIN_ROUTES) >= 25
    assert len(lists) >= 6, lists
    assert {"agents:agent_list", "audit:log_list", "users:user_list"} <= set(lists)
    assert len(CONVERTER_ROUTES) >= 25
    assert {"agents:crew_detail", "deployments:timeline"} <= set(_ids(CONVERTER_ROUTES))


@pytest.fixture
def admin(signed_in, make_user):
    """An admin (who sees every page) over the demo rows, so that lists page, sort and link."""
    client = signed_in("admin")
    seed_rows(client.user.id, make_user("editor").id)
    return client


def _sweep_queries(admin, route: str, view, swept=None) -> tuple[list[str], _Shown]:
    """Every query name the page shows, to every path it sends them to, with every hostile
    value, as admin and, where the page is public, anonymously: the failures, and what the
    page showed. `swept`: the (path, name) pairs already swept, to skip (pages link alike)."""
    swept = set() if swept is None else swept
    path = "/" + route
    anonymous = Client()
    shown = _shown(admin, path)
    shown_anonymously = _shown(anonymous, path)  # a public page's (the sign-in's `next`)
    public = shown_anonymously.status == 200
    targets = {target: set(names) for target, names in shown.targets.items()}
    if _is_list_view(view):  # a filtered list's links (its export) carry its filters
        for names in targets.values():
            names |= shown.fields
    targets[path] |= shown_anonymously.fields | set(LIST_PARAMS)
    view_class = _view_class(view)
    if isinstance(view_class, type) and issubclass(view_class, KeysetListView):
        targets[path] |= set(view_class.CURSOR_PARAMS)
    failures = []
    for target, names in sorted(targets.items()):
        clients = [("admin", admin)] + ([("anonymous", anonymous)] if public else [])
        for param in sorted(names - {n for p, n in swept if p == target}):
            swept.add((target, param))
            for label, value in HOSTILE.items():
                for who, client in clients:
                    problem = _answer(client, "get", target, {param: value})
                    if problem:
                        failures.append(f"{who} GET {target}?{param}=<{label}>: {problem}")
    return failures, shown


@pytest.mark.parametrize(("route", "name", "view"), LIST_ROUTES, ids=_ids(LIST_ROUTES))
def test_every_filter_of_a_list_takes_hostile_values(admin, route, name, view):
    failures, shown = _sweep_queries(admin, route, view)
    assert len(shown.fields) >= 2, f"{name}: no filter form found on the list page"
    assert not failures, "\n".join(failures)


def test_every_other_page_takes_hostile_query_values(admin):
    failures, swept = [], set()
    for route, _name, view in OTHER_ROUTES:
        failures += _sweep_queries(admin, route, view, swept)[0]
    # Every page, and names beyond the four every page gets: the forms were read.
    assert len({path for path, _name in swept}) >= len(OTHER_ROUTES)
    assert len(swept) >= 4 * len(OTHER_ROUTES) + 40
    assert not failures, "\n".join(failures)


def test_every_path_converter_takes_hostile_values(admin):
    anonymous = Client()
    values = {label: quote(value, safe="") for label, value in HOSTILE.items()}
    values.update(ENCODED_JUNK)
    failures, requested = [], set()
    for route, _name, _view in CONVERTER_ROUTES:
        for match in _CONVERTER.finditer(route):
            for label, value in values.items():
                path = _route_path(route, match["name"], value)
                requested.add(path)
                for who, client in (("admin", admin), ("anonymous", anonymous)):
                    for method in ("get", "post"):
                        problem = _answer(client, method, path)
                        if problem:
                            failures.append(
                                f"{who} {method.upper()} {route} <{match['name']}>=<{label}>: "
                                f"{problem}"
                            )
    assert len(requested) >= len(CONVERTER_ROUTES) * len(values)
    assert not failures, "\n".join(failures)
