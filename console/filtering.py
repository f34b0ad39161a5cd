"""Filter pieces every app's filterset uses, so the same question looks the same everywhere."""

import django_filters
from django import forms

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
