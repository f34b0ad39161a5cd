"""Table columns shared by every list."""

import django_tables2 as tables

from console.display import DATETIME_FORMAT, status_badge, time_html
from console.rows import cell_html


class DateTimeColumn(tables.Column):
    """A date and time in the given format, inside <time datetime="…">.

    django-tables2's own DateTimeColumn compiles a template for every cell; on a page of 100
    rows that alone cost more than the page's SQL."""

    def __init__(self, *args, format: str = DATETIME_FORMAT, **kwargs):  # noqa: A002 - as tables2
        super().__init__(*args, **kwargs)
        self.format = format

    def render(self, value):
        return time_html(value, self.format)


class SelectionColumn(tables.CheckBoxColumn):
    """The row checkbox of a list with bulk actions (console.bulk), written in one call per
    row; django-tables2's CheckBoxColumn builds and serialises an attribute dict per cell."""

    def render(self, value, bound_column, record):
        return cell_html(
            '<input type="checkbox" name="pk" value="{}" aria-label="Select row">', value
        )


class StatusColumn(tables.Column):
    """A status as a coloured badge (console.display.status_badge), rendered once per status
    on a page."""

    def render(self, value):
        return status_badge(value)
