"""console.form_renderer writes the common widget templates in Python: its output must be
Django's Jinja2 templates' to the byte, widget by widget and on every page with a form."""

import re
from pathlib import Path

import django
import pytest
from django import forms
from django.forms.renderers import Jinja2
from django.test import override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe

from audit.filters import SuggestingInput
from console.filtering import YesNoAnyWidget, search_widget
from console.form_renderer import INPUT_TEMPLATES, FormRenderer
from knowledge.filters import AuthorSelect

TRICKY = ['a "quoted" <b>&amp;</b> it\'s', "ünïcödé ✓", "", "0", 0, 12.5]
CHOICES = [("", "Any"), ("a&b", "A & B"), ("<x>", "<X>"), (1, "one"), ("quote'", 'say "hi"')]


def widgets():
    yield forms.TextInput()
    yield forms.TextInput(attrs={"placeholder": 'say "x" & <y>', "required": True, "off": False})
    yield search_widget("Title or text")
    yield forms.DateInput(attrs={"type": "date"})
    yield forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1})
    yield forms.NumberInput(attrs={"min": 0, "max": 10})
    yield forms.EmailInput(attrs={"autocomplete": "email"})
    yield forms.URLInput()
    yield forms.PasswordInput()
    yield forms.PasswordInput(render_value=True)
    yield forms.HiddenInput()
    yield forms.CheckboxInput()
    yield forms.TimeInput()
    yield SuggestingInput("list-x", options=["<a>", "b"])
    yield forms.Select(choices=CHOICES)
    yield forms.Select(choices=[("Group <1>", CHOICES[1:3]), ("", "none"), ("Two", [(5, "five")])])
    yield forms.SelectMultiple(choices=CHOICES)
    yield forms.NullBooleanSelect()
    yield YesNoAnyWidget()
    yield AuthorSelect(choices=[("", "Anyone"), ("me", "Me")])
    yield forms.Textarea()  # not written in Python: Jinja2 as before
    yield forms.RadioSelect(choices=CHOICES)


@pytest.mark.parametrize("widget", list(widgets()), ids=lambda w: type(w).__name__)
def test_each_widget_renders_as_the_jinja2_templates_do(widget):
    ours, theirs = FormRenderer(), Jinja2()
    values = [None, True, False, ["a&b", "<x>"], mark_safe("<i>safe</i>"), *TRICKY]
    for value in values:
        for attrs in (None, {"id": "id_f", "aria-describedby": "h e"}, {"disabled": True}):
            try:
                expected = widget.render("f<n>", value, attrs=attrs, renderer=theirs)
            except TypeError:  # a value the widget itself cannot take (a list for a boolean)
                with pytest.raises(TypeError):
                    widget.render("f<n>", value, attrs=attrs, renderer=ours)
                continue
            assert widget.render("f<n>", value, attrs=attrs, renderer=ours) == expected


def test_the_templates_written_in_python_are_djangos_own_and_include_input_html():
    """A template of the same name elsewhere (an app's jinja2/ folder) would win in Jinja2 and
    be ignored here; and a Django upgrade that changes these templates must be noticed."""
    renderer = FormRenderer()
    widgets_dir = Path(django.__file__).parent / "forms/jinja2/django/forms/widgets"
    for name in INPUT_TEMPLATES - {"django/forms/widgets/input.html"}:
        template = renderer.get_template(name)
        assert Path(template.origin.name) == widgets_dir / Path(name).name
        assert (widgets_dir / Path(name).name).read_text().strip() == (
            '{% include "django/forms/widgets/input.html" %}'
        )
    sources = {
        name: (widgets_dir / name).read_text().strip()
        for name in ("input.html", "attrs.html", "select.html", "select_option.html")
    }
    # As console/form_renderer.py writes them (Django 5.2's templates).
    assert sources["input.html"] == (
        '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %}'
        ' value="{{ widget.value }}"{% endif %}{% include "django/forms/widgets/attrs.html" %}>'
    )
    assert sources["select_option.html"] == (
        '<option value="{{ widget.value }}"{% include "django/forms/widgets/attrs.html" %}>'
        "{{ widget.label }}</option>"
    )
    assert "sameas False" in sources["attrs.html"] and "sameas True" in sources["attrs.html"]
    assert sources["select.html"].startswith('<select name="{{ widget.name }}"')


CSRF = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return CSRF.sub(r"\1…", response.content.decode())


@pytest.mark.django_db(transaction=True)
def test_every_page_with_a_form_is_the_same_with_either_renderer(signed_in):
    client = signed_in("admin")
    urls = [
        "/audit/?action=INSERT&ip=1.2.3.4&since=2026-01-01",
        "/knowledge/?q=agent&is_active=true&sort=-updated_at&tags_match=all&author=me",
        "/knowledge/?updated_from=nonsense",  # errors shown next to the fields
        "/deployments/?status=deployed&package_type=agent",
        "/performance/samples/?system_type=crew&since=2026-01-01T00:00",
        "/users/?role=admin",
        "/agents/?q=a%22b&is_active=false",
        "/crews/runs/?status=failed",
        reverse("knowledge:entry_create"),
        reverse("agents:agent_create"),
        reverse("deployments:package_create"),
        reverse("users:user_new"),
        reverse("users:my_profile"),
    ]
    ours = {url: page(client, url) for url in urls}
    with override_settings(FORM_RENDERER="django.forms.renderers.Jinja2"):
        theirs = {url: page(client, url) for url in urls}
    for url in urls:
        assert "<input" in ours[url] or "<select" in ours[url], url
        assert ours[url] == theirs[url], url
