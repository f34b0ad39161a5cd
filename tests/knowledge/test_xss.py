"""An XSS payload in any field of an entry — content, title, tags, category, metadata — is
shown as text on every page that shows it."""

import json

import pytest

from knowledge.models import Entry
from tests.knowledge.helpers import unsafe_elements

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
SVG = "<svg onload=alert(2)>"
LINK = "[click me](javascript:alert(3))"


@pytest.fixture
def hostile(make_entry):
    return make_entry(
        f"{IMG} quokka {SCRIPT}",
        f'quokka {SCRIPT} {IMG} {LINK} <a href="#" onclick="steal()">x</a> {SVG}',
        category=f"{SVG}cat",
        tags=[f"{IMG}", "<b>bold</b>"],
        metadata={SVG: SCRIPT, "nested": {"k": IMG}},
        is_active=True,
    )


def assert_safe(response):
    assert response.status_code in (200, 400, 409), response.status_code
    html = response.content.decode()
    assert unsafe_elements(html) == []
    assert "&lt;script&gt;" in html or "&lt;img" in html or "&lt;svg" in html  # shown as text


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_list_search_and_entry_pages_show_payloads_as_text(client_as, hostile, role):
    client = client_as(role)
    for url, params in [
        ("/knowledge/", {}),
        ("/knowledge/", {"q": "quokka"}),  # title and snippet highlighted
        ("/knowledge/", {"q": "quokka", "sort": "title"}),
        ("/knowledge/", {"q": "quok"}),  # a half-typed title word
        ("/knowledge/", {"category": hostile.category}),
        (f"/knowledge/{hostile.pk}/", {}),
        ("/knowledge/categories/", {}),
    ]:
        assert_safe(client.get(url, params))
    htmx = client.get("/knowledge/", {"q": "quokka"}, HTTP_HX_REQUEST="true")
    assert_safe(htmx)


def test_forms_conflicts_and_bulk_pages_show_payloads_as_text(client_as, hostile):
    editor = client_as("editor")
    assert_safe(editor.get(f"/knowledge/{hostile.pk}/edit/"))
    conflict = editor.post(
        f"/knowledge/{hostile.pk}/edit/",
        {
            "title": f"{SCRIPT} mine",
            "content": IMG,
            "tags": IMG,
            "metadata": json.dumps({SVG: 1}),
            "version": "old",
        },
    )
    assert conflict.status_code == 409
    assert_safe(conflict)
    assert_safe(
        editor.post(
            "/knowledge/bulk/", {"action": "publish", "pk": [str(hostile.pk)], "filters": ""}
        )
    )
    # the import's report: tests/knowledge/test_import_export.py


def test_the_history_shows_payloads_as_text(client_as, make_entry):
    entry = make_entry("Plain", "Plain")
    editor = client_as("editor")
    version = Entry.objects.get(pk=entry.pk).updated_at.isoformat()
    editor.post(
        f"/knowledge/{entry.pk}/edit/",
        {
            "title": SCRIPT,
            "content": IMG,
            "tags": SVG,
            "metadata": json.dumps({IMG: SCRIPT}),
            "version": version,
        },
    )
    assert_safe(editor.get(f"/knowledge/{entry.pk}/"))
