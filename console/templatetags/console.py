from django import template
from django.utils.safestring import SafeString

from console import registry
from console.diff import changes_html
from console.display import display as display_value
from console.display import status_badge as status_badge_html
from console.filtering import fields_html
from console.rows import cell_html, head_html, pages_html, rows_html

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


@register.simple_tag
def filter_fields(form):
    """{% filter_fields filter.form %}: a list's filter fields (console.filtering.fields_html)."""
    return fields_html(form)


@register.simple_tag(takes_context=True)
def nav_links(context):
    """{% nav_links %}: the <li>s of the areas in the navigation (`nav_areas`), the current
    one (`area`) marked for assistive technology."""
    areas = context.get("nav_areas") or []
    current = context.get("area")
    return SafeString(
        "".join(
            cell_html(
                '<li><a href="{}"{}>{}</a></li>',
                href,
                SafeString(' aria-current="page"' if area.key == current else ""),
                area.label,
            )
            for area, href in zip(areas, registry.list_hrefs(areas), strict=True)
        )
    )
