"""The form renderer of every form (settings.FORM_RENDERER): Django's own Jinja2 widget
templates, with the ones every page uses — text-like inputs, selects and their options —
written here in Python with the same output.

A list page renders its filter form on every request: through the templates an input costs
about 30 µs and a select 100–300 µs (an include per option), a millisecond on some pages;
here a tenth of that. The output is the templates' to the byte: values and attribute names
go through markupsafe's `escape`, as Jinja2's autoescape does, and the same whitespace
(tests/test_form_renderer.py compares both on every widget of every form). Any other
template, or a select whose options use another template, goes to Jinja2 as before.
"""

from django.forms.renderers import Jinja2
from markupsafe import escape

WIDGETS = "django/forms/widgets/"
# Django's widget templates that are exactly `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)
SELECT_TEMPLATE = f"{WIDGETS}select.html"
OPTION_TEMPLATE = f"{WIDGETS}select_option.html"


def attrs_html(attrs: dict) -> str:
    """attrs.html: ` name="value"` each; True is a bare name, False leaves it out."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget: dict) -> str:
    """input.html."""
    value = "" if widget["value"] is None else f' value="{escape(widget["value"])}"'
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
        f"{value}{attrs_html(widget['attrs'])}>"
    )


def option_html(option: dict) -> str:
    """select_option.html."""
    return (
        f'<option value="{escape(option["value"])}"{attrs_html(option["attrs"])}>'
        f"{escape(option['label'])}</option>"
    )


def select_html(widget: dict) -> str | None:
    """select.html; None when an option has a template of its own."""
    parts = [f'<select name="{escape(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(f"\n  {option_html(option)}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FormRenderer(Jinja2):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if len(context) == 1 else None
        html = None
        if widget is not None:
            if template_name in INPUT_TEMPLATES:
                html = input_html(widget)
            elif template_name == SELECT_TEMPLATE:
                html = select_html(widget)
        if html is None:
            return super().render(template_name, context, request)
        return html
