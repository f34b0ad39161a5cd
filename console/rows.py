"""The rows of every list, rendered once per column instead of once per cell.

Tables are ordinary django-tables2 tables: columns, `render_<column>` methods (which return
`format_html(...)`), `linkify`, `default`, `attrs`. django-tables2 renders each cell by
inspecting the render method's signature, resolving the accessor, checking for choices and
building the cell's attributes, and the template engine then loops over the cells; on a page
of 100 rows that cost more than the page's SQL. `rows_html(table)` works all that out once per
column, so a row is one call per cell and a join. Every value goes through
`conditional_escape` (render methods' `format_html`/`cell_html` output is already safe); no
HTML is escaped by hand. A render method that takes only `value` is called once per distinct value
on a page (it must not depend on anything else that changes from row to row).

Templates: `{% load console %}{{ table|table_rows }}` (console/table.html does it).
"""

import re
import uuid
from collections.abc import Callable
from html import escape as _escape
from operator import attrgetter
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2 import Column, Table
from django_tables2.columns.base import LinkTransform
from django_tables2.templatetags.django_tables2 import table_page_range
from django_tables2.utils import Accessor, AttributeDict, computed_values, signature

from console.display import display, zone_fixed


def html_of(value) -> str:
    """`conditional_escape` without its lazy-string wrapper: markup (anything with __html__)
    as it is, everything else through str() and html.escape, quotes included."""
    return value.__html__() if hasattr(value, "__html__") else _escape(str(value))


def cell_html(template: str, *args) -> SafeString:
    """`format_html` for cells: the same escaping (every argument through str() and
    html.escape, quotes included, as django.utils.html.escape; an argument with __html__ is
    kept), without Django's per-call lazy-string checks, which cost more than the rest of a
    cell on a page of hundreds."""
    return SafeString(template.format(*map(html_of, args)))


CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")
# How a header's sort link and a page link refresh the results: in place, the URL pushed.
HX_RESULTS = 'hx-target="#results" hx-swap="outerHTML" hx-push-url="true"'


def query_link(query, **changes) -> str:
    """`?<query>` with `changes` applied (None removes a key), as Django's {% querystring %}
    writes it, without copying the QueryDict (a deep copy per link)."""
    pairs = []
    for key, values in query.lists():
        if key not in changes:
            pairs.extend((key, value) for value in values)
        elif changes[key] is not None:
            pairs.append((key, changes[key]))
    pairs.extend(
        (key, value) for key, value in changes.items() if value is not None and key not in query
    )
    if not pairs and not query:
        return ""
    return f"?{urlencode(pairs)}"


def head_html(table, query) -> SafeString:
    """The <th>s of the table's header row: sort links (the request's `query` with the
    column's next sort, back to the first page) that refresh the results in place."""
    cells = []
    for column in table.columns:
        attrs = column.attrs["th"].as_html()
        opener = f'<th scope="col" {attrs}' if attrs else '<th scope="col" '
        if column.is_ordered:
            direction = "descending" if column.order_by_alias.is_descending else "ascending"
            opener += f' aria-sort="{direction}"'
        header = html_of(column.header)
        if column.orderable:
            href = _escape(query_link(query, sort=column.order_by_alias.next, page=None))
            header = f'<a href="{href}" hx-get="{href}" {HX_RESULTS}>{header}</a>'
        cells.append(f"{opener}>{header}</th>")
    return mark_safe("".join(cells))  # noqa: S308 - attributes and headers escaped above


def pages_html(table, query) -> SafeString:
    """The numbered page links of a paginated table (django-tables2's page range, with
    "…" for the gaps), refreshed in place; nothing when there is one page."""
    page = getattr(table, "page", None)
    if not page or table.paginator.num_pages <= 1:
        return SafeString("")

    def link(number, text, rel=""):
        href = _escape(query_link(query, page=number))
        rel = f' rel="{rel}"' if rel else ""
        return f'<li><a href="{href}"{rel} hx-get="{href}" {HX_RESULTS}>{text}</a></li>'

    items = [
        link(page.previous_page_number(), "Previous", "prev")
        if page.has_previous()
        else '<li class="disabled"><span>Previous</span></li>'
    ]
    for number in table_page_range(page, table.paginator):
        if number == "...":
            items.append('<li class="disabled"><span>…</span></li>')
        elif number == page.number:
            items.append(f'<li class="current"><span aria-current="page">{number}</span></li>')
        else:
            items.append(link(number, number))
    items.append(
        link(page.next_page_number(), "Next", "next")
        if page.has_next()
        else '<li class="disabled"><span>Next</span></li>'
    )
    return mark_safe(  # noqa: S308 - links built from escaped URLs and numbers
        f'<nav class="pagination" aria-label="Pages"><ul>{"".join(items)}</ul></nav>'
    )


def rows_html(table) -> SafeString:
    """The <tr>s of the table's current page (all its rows when it is not paginated)."""
    cells = None
    row_attrs = bool(table.row_attrs)
    rows = []
    with zone_fixed():  # (the time zone looked up once for the page's dates)
        for row in table.paginated_rows:
            if cells is None:  # (not for an empty page)
                cells = [_cell_renderer(table, bound_column) for bound_column in table.columns]
            record = row.record
            tr = format_html("<tr {}>", row.attrs.as_html()) if row_attrs else "<tr>"
            rows.append(tr + "".join([cell(record, row) for cell in cells]) + "</tr>")
    # Every piece is either our markup or went through conditional_escape above.
    return mark_safe("\n".join(rows))  # noqa: S308


def _cell_renderer(table, bound_column) -> Callable:
    """A function (record, bound_row) -> '<td …>…</td>' for one column, as django-tables2's
    BoundRow.get_cell would render it, with everything that does not depend on the row
    worked out here."""
    column = bound_column.column
    render = bound_column.render  # the table's render_<name>, or the column's render
    if getattr(render, "__func__", None) is Column.render:
        render = display  # a plain value: the console's one format (dates, Yes/No, "—")
    call = _caller(render, column, bound_column, table)
    link = _fast_link(bound_column.link) or bound_column.link
    default = conditional_escape(bound_column.default)
    empty = column.empty_values
    value_of = _value_getter(table, bound_column)
    td = _td_opener(table, bound_column)
    per_row_td = callable(td)

    def cell(record, row) -> str:
        value = value_of(record)
        if value in empty:
            content = default
        else:
            content = call(value, record, row)
            if link:
                content = link(content, record=record, value=value, bound_column=bound_column)
            if type(content) is not SafeString:
                content = html_of(content)
        return f"{td(record, value) if per_row_td else td}{content}</td>"

    return cell


def _caller(render, column, bound_column, table) -> Callable:
    """(value, record, bound_row) -> render(<the arguments it names>), the signature read
    once (django-tables2 reads it for every cell)."""
    wanted = _arguments(render)
    if wanted == {"value"}:
        # Depends on the value alone: rendered once per distinct value on the page (an
        # action, a table name, a status repeat from row to row).
        seen = {}

        def by_value(value, record, row):
            try:
                return seen[value]
            except KeyError:
                seen[value] = content = render(value=value)
                return content
            except TypeError:  # unhashable (a list of tags)
                return render(value=value)

        return by_value
    if wanted == {"value", "record"}:
        return lambda value, record, row: render(value=value, record=record)
    if wanted == {"record"}:
        return lambda value, record, row: render(record=record)
    fixed = {"column": column, "bound_column": bound_column, "table": table}
    fixed = {name: value for name, value in fixed.items() if name in wanted}

    def call(value, record, row):
        given = {**fixed, "value": value, "record": record, "bound_row": row}
        return render(**{name: given[name] for name in wanted if name in given})

    return call


_ARGUMENTS: dict[Callable, frozenset[str]] = {}  # render function -> the cell arguments it takes


def _arguments(render) -> frozenset[str]:
    """The cell arguments `render` takes, read once per function (inspect.signature costs
    more than a column of cells)."""
    key = getattr(render, "__func__", render)  # a bound method: one entry per class
    try:
        return _ARGUMENTS[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable callable: read each time
        key = None
    wanted, takes_all = signature(render)
    names = frozenset(CELL_ARGUMENTS) if takes_all else frozenset(wanted)
    if key is not None and len(_ARGUMENTS) < 1024:  # (not every render made on the fly)
        _ARGUMENTS[key] = names
    return names


# Stand-ins reversed once per column and type of key (a UUID, a number, a text): the URL
# of each row is the stand-in replaced by the row's key.
_STAND_INS = {
    uuid.UUID: uuid.UUID(int=0xB111_600A7),
    int: 987_654_320_123,
    str: "billygoat-stand-in",
}
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # text every str/slug/path converter takes as it is


def url_of(viewname: str) -> Callable[[object], str]:
    """key -> reverse(viewname, args=[key]), reversing once per type of key (as the links of
    a column do) for pages that link many rows outside a table (a chart's bars)."""
    patterns = {}
    reversed_keys = {}  # keys reversed one by one (a text with spaces), each once

    def url(key) -> str:
        kind = type(key)
        if kind not in patterns:
            patterns[kind] = None  # reverse each key (a type without a stand-in, or a URL
            placeholder = _STAND_INS.get(kind)  # that does not take the stand-in)
            if placeholder is not None:
                try:
                    parts = reverse(viewname, args=[placeholder]).split(str(placeholder))
                except NoReverseMatch:
                    parts = []
                if len(parts) == 2:
                    patterns[kind] = parts
        parts = patterns[kind]
        if parts is None or (kind is str and not _SLUG.fullmatch(key)):
            try:
                return reversed_keys[(kind, key)]
            except (KeyError, TypeError):  # (TypeError: an unhashable key)
                found = reverse(viewname, args=[key])
            if len(reversed_keys) < 1024:
                reversed_keys[(kind, key)] = found
            return found
        return f"{parts[0]}{key}{parts[1]}"

    return url


def _fast_link(link) -> Callable | None:
    """For `linkify=("view", {"pk": A("pk")})` (one accessor, nothing else): a link function
    that reverses the URL once per column, not once per row, and writes the same
    `<a href="…">…</a>` as django-tables2. None when the link is anything else."""
    if not isinstance(link, LinkTransform) or link.url is not None or link.attrs:
        return None
    params = dict(link.reverse_args)
    viewname = params.pop("viewname", None)
    args, kwargs = params.pop("args", None) or (), params.pop("kwargs", None) or {}
    if not isinstance(viewname, str) or params:
        return None
    accessors = [value for value in (*args, *kwargs.values()) if isinstance(value, Accessor)]
    if len(accessors) != 1:
        return None
    accessor = accessors[0]
    templates = {}  # type of key -> (head, tail) of its URL, or None: reverse each row

    def template(kind):
        if kind not in templates:
            templates[kind] = None
            placeholder = _STAND_INS.get(kind)
            if placeholder is not None:

                def with_(given):
                    return placeholder if isinstance(given, Accessor) else given

                try:
                    url = reverse(
                        viewname,
                        args=[with_(a) for a in args] or None,
                        kwargs={k: with_(v) for k, v in kwargs.items()} or None,
                    )
                except NoReverseMatch:
                    url = ""
                if url.count(str(placeholder)) == 1:
                    templates[kind] = tuple(_escape(part) for part in url.split(str(placeholder)))
        return templates[kind]

    def fast(content, *, record, value, bound_column):
        key = accessor.resolve(record, quiet=True)
        kind = type(key)
        parts = template(kind)
        if parts is None or (kind is str and not _SLUG.fullmatch(key)):
            return link(content, record=record, value=value, bound_column=bound_column)
        href = f"{parts[0]}{_escape(str(key))}{parts[1]}"
        return SafeString(f'<a href="{href}">{html_of(content)}</a>')

    return fast


def _value_getter(table, bound_column) -> Callable:
    """record -> the cell's value, as django-tables2 resolves it (a choices field shows its
    label), decided once for the column."""
    accessor = bound_column.accessor
    name = str(accessor)
    model = getattr(table._meta, "model", None)
    if "." in name or "__" in name:
        return lambda record: accessor.resolve(record, quiet=True)
    field = None
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
    if field is not None and getattr(field, "choices", None):
        display_name = f"get_{name}_display"
        labels = {}
        for key, text in field.flatchoices:
            try:
                labels[key] = str(text)
            except TypeError:  # an unhashable choice: leave it to the model's method
                labels = None
                break
        attname = field.attname

        def label(record):
            if isinstance(record, models.Model):
                if labels is None:
                    return getattr(record, display_name)()
                value = getattr(record, attname)
                try:
                    return labels.get(value, value)  # as get_<name>_display, looked up once
                except TypeError:  # an unhashable value
                    return getattr(record, display_name)()
            return record.get(name) if isinstance(record, dict) else getattr(record, name, None)

        return label

    if field is not None:  # a column of the model: no dict rows, no methods to call
        return attrgetter(field.attname)

    def plain(record):
        if isinstance(record, dict):
            return record.get(name)
        value = getattr(record, name, None)
        if callable(value) and not getattr(value, "do_not_call_in_templates", False):
            value = value()
        return value

    return plain


def _td_opener(table, bound_column):
    """'<td …>' for the column: a string, or a function of (record, value) when an attribute
    is computed per row."""
    raw = {**dict(table.attrs), **dict(bound_column.column.attrs)}
    raw = raw.get("td", raw.get("cell", {}))
    if not raw and type(table).get_column_class_names is Table.get_column_class_names:
        return "<td>"  # nothing to add (BoundColumn.attrs costs more than a page of cells)
    if not any(callable(v) for v in raw.values()):
        html = bound_column.attrs["td"].as_html()
        return format_html("<td {}>", html) if html else "<td>"

    def opener(record, value):
        attrs = AttributeDict(
            computed_values(
                raw,
                kwargs={
                    "table": table,
                    "bound_column": bound_column,
                    "record": record,
                    "value": value,
                },
            )
        )
        return format_html("<td {}>", attrs.as_html())

    return opener
