"""Streamed exports of a filtered list, as CSV or JSON Lines, each audited as EXPORT.

Rows are read in keyset chunks (console.pagination.Keyset; no server-side cursor: they do not
survive a transaction-mode pooler), inside the user's own RLS transaction, and written out as
they come, so memory stays flat however many rows there are.
"""

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponseBadRequest, StreamingHttpResponse

from console import audited
from console.pagination import Keyset
from console.rls import as_user

CHUNK = 2000
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


@dataclass(frozen=True)
class Column:
    name: str
    value: Callable[[object], object]


def _keyset_chunks(queryset: QuerySet, newest_first: str | None) -> Iterator[list]:
    """All rows, CHUNK at a time, in keyset pages (console.pagination.Keyset): by
    (newest_first field desc, pk desc), or by pk; each chunk seeks past the last one."""
    pk = queryset.model._meta.pk.name
    keyset = Keyset((f"-{newest_first}", f"-{pk}")) if newest_first else Keyset((pk,))
    last = None
    while True:
        rows = list(keyset.after_key(queryset, last)[:CHUNK])
        if not rows:
            return
        yield rows
        last = keyset.values_of(rows[-1])


def _csv_lines(columns, chunks):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in columns])
    for rows in chunks:
        for row in rows:
            writer.writerow([_cell(c.value(row)) for c in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _cell(value):
    if isinstance(value, dict | list):
        value = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # spreadsheets must not run a cell as a formula
    return value


def _jsonl_lines(columns, chunks):
    for rows in chunks:
        yield "".join(
            json.dumps(
                {c.name: c.value(row) for c in columns}, cls=DjangoJSONEncoder, ensure_ascii=False
            )
            + "\n"
            for row in rows
        )


def export_response(
    request,
    queryset: QuerySet,
    *,
    fmt: str,
    columns: list[Column],
    filename: str,
    table_name: str,
    filters: dict,
    newest_first: str | None = None,
) -> StreamingHttpResponse:
    """Audit the export (with the filter used), then stream it as the user."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    audited.record(
        audited.Actor.from_request(request),
        "EXPORT",
        table_name,
        None,
        None,
        {"format": fmt, "filters": filters},
    )
    claims = request.console_user.claims
    lines = _csv_lines if fmt == "csv" else _jsonl_lines

    def stream():
        with as_user(claims):  # the stream runs after the request's own transaction ended
            yield from lines(columns, _keyset_chunks(queryset, newest_first))

    response = StreamingHttpResponse(stream(), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


def filtered_export(
    request,
    filterset_class,
    queryset: QuerySet,
    *,
    columns: list[Column],
    filename: str,
    table_name: str,
    newest_first: str | None = None,
):
    """A list's export view in one call: `?format=csv|jsonl`, the list's own filters from
    the URL (a value they refuse is a 400 that names it), then `export_response`, audited
    with the filters used."""
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest("Export as format=csv or format=jsonl.")
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    if not filterset.is_valid():
        fields = filterset.form.fields
        problems = "; ".join(
            f"{fields[name].label}: {' '.join(errors)}" if name in fields else " ".join(errors)
            for name, errors in filterset.form.errors.items()
        )
        return HttpResponseBadRequest(f"Fix the filter before exporting. {problems}")
    used = getattr(filterset, "used", None)  # a filterset may say how it was given
    filters = (
        used()
        if used
        else {k: str(v) for k, v in filterset.form.cleaned_data.items() if v not in (None, "")}
    )
    return export_response(
        request,
        filterset.qs,
        fmt=fmt,
        columns=columns,
        filename=filename,
        table_name=table_name,
        filters=filters,
        newest_first=newest_first,
    )
