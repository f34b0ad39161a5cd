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

from collections.abc import Callable
from html import escape as _escape
from operator import attrgetter

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2 import Column
from django_tables2.utils import AttributeDict, computed_values, signature

from console.display import display


def cell_html(template: str, *args) -> SafeString:
    """`format_html` for cells: the same escaping (every argument through str() and
    html.escape, quotes included, as django.utils.html.escape; an argument with __html__ is
    kept), without Django's per-call lazy-string checks, which cost more than the rest of a
    cell on a page of hundreds."""
    return SafeString(
        template.format(
            *(a.__html__() if hasattr(a, "__html__") else _escape(str(a)) for a in args)
        )
    )


CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")


def rows_html(table) -> SafeString:
    """The <tr>s of the table's current page (all its rows when it is not paginated)."""
    cells = [_cell_renderer(table, bound_column) for bound_column in table.columns]
    row_attrs = bool(table.row_attrs)
    rows = []
    for row in table.paginated_rows:
        record = row.record
        tr = format_html("<tr {}>", row.attrs.as_html()) if row_attrs else "<tr>"
        rows.append(tr + "".join(cell(record, row) for cell in cells) + "</tr>")
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
    link = bound_column.link
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
                content = conditional_escape(content)
        return f"{td(record, value) if per_row_td else td}{content}</td>"

    return cell


def _caller(render, column, bound_column, table) -> Callable:
    """(value, record, bound_row) -> render(<the arguments it names>), the signature read
    once (django-tables2 reads it for every cell)."""
    wanted, takes_all = signature(render)
    wanted = set(CELL_ARGUMENTS) if takes_all else set(wanted)
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

        def label(record):
            if isinstance(record, models.Model):
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
