"""Filter pieces every app's filterset uses, so the same question looks the same everywhere."""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
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


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of(day: date) -> datetime | None:
    """Where a day ends (the next one's start); None after the calendar's last day, which no
    later day follows (the range is then open-ended)."""
    return start_of(day + timedelta(days=1)) if day < date.max else None


def between(queryset, field: str, since: date | None, until: date | None):
    """`field` within the days from `since` to `until`, both included."""
    if since:
        queryset = queryset.filter(**{f"{field}__gte": start_of(since)})
    end = end_of(until) if until else None
    if end:
        queryset = queryset.filter(**{f"{field}__lt": end})
    return queryset


class DateRangeForm(forms.Form):
    """A filter form whose `<prefix>_from` must not be after its `<prefix>_until` (the
    filterset applies both days together: `between`)."""

    range_prefix = ""

    def clean(self):
        cleaned = super().clean()
        since = cleaned.get(f"{self.range_prefix}_from")
        until = cleaned.get(f"{self.range_prefix}_until")
        if since and until and since > until:
            self.add_error(
                f"{self.range_prefix}_until", "The end of the range is before its start."
            )
        return cleaned


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
