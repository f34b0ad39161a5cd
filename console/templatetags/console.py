from django import template

from console.display import display as display_value
from console.rows import rows_html

register = template.Library()


@register.filter
def display(value):
    """{{ value|display }}: one date format, Yes/No, a dash for nothing (console.display)."""
    return display_value(value)


@register.filter
def table_rows(table):
    """{{ table|table_rows }}: the <tr>s of a django-tables2 table's page (console.rows)."""
    return rows_html(table)
