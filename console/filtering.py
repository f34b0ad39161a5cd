"""Filter pieces every app's filterset uses, so the same question looks the same everywhere."""

import django_filters
from django import forms
from django.utils.safestring import SafeString

from console.rows import cell_html

YES_NO_ANY = [("", "Any"), ("true", "Yes"), ("false", "No")]


class YesNoAnyWidget(django_filters.widgets.BooleanWidget):
    """A select of Any / Yes / No (the stock widget says "Unknown" for Any)."""

    def __init__(self, attrs=None):
        forms.Select.__init__(self, attrs, choices=YES_NO_ANY)


def active_filter(label: str = "Active") -> django_filters.BooleanFilter:
    return django_filters.BooleanFilter(field_name="is_active", label=label, widget=YesNoAnyWidget)


def search_widget(placeholder: str = "") -> forms.TextInput:
    """A search box: htmx refreshes the results as the user types (debounced)."""
    return forms.TextInput(
        attrs={"type": "search", "autocomplete": "off", "placeholder": placeholder}
    )


def fields_html(form) -> SafeString:
    """A list's filter form, field by field: label, widget, errors (the list's template loop,
    written in Python: it ran on every list page, a dozen lookups per field)."""
    parts = []
    for field in form:
        label_for = field.id_for_label
        errors = ""
        if field.errors:
            items = SafeString("".join(cell_html("<li>{}</li>", e) for e in field.errors))
            errors = cell_html('<ul class="errorlist" id="{}-errors">{}</ul>', label_for, items)
        parts.append(
            cell_html(
                '<div class="field"><label for="{}">{}</label>{}{}</div>',
                label_for,
                field.label,
                field,
                errors,
            )
        )
    return SafeString("\n".join(parts))
