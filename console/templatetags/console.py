from django import template

from console.diff import changes_html
from console.display import display as display_value
from console.display import status_badge as status_badge_html
from console.rows import head_html, pages_html, rows_html

register = template.Library()


@register.filter
def display(value):
    """{{ value|display }}: one date format, Yes/No, a dash for nothing (console.display)."""
    return display_value(value)


@register.filter
def status_badge(value):
    """{{ status|status_badge }}: the status as a coloured badge (console.display)."""
    return status_badge_html(value)


@register.filter
def changes_table(changes):
    """{{ entry.changes|changes_table }}: an audit entry's changes, before and after
    (console.diff.changes_html)."""
    return changes_html(changes)


@register.filter
def table_rows(table):
    """{{ table|table_rows }}: the <tr>s of a django-tables2 table's page (console.rows)."""
    return rows_html(table)


@register.simple_tag(takes_context=True)
def table_head(context, table):
    """{% table_head table %}: the header cells, with sort links (console.rows.head_html)."""
    return head_html(table, context.request.GET)


@register.simple_tag(takes_context=True)
def table_pages(context, table):
    """{% table_pages table %}: the page links of a paginated table (console.rows.pages_html)."""
    return pages_html(table, context.request.GET)
