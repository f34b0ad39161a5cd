"""Side-by-side comparison of two JSON values (an audit row's old and new values, or two
versions of a record), nested objects included.

Any stored value must render, however deep or big (see console/safejson.py): the walk is
iterative, stops descending at MAX_DISPLAY_DEPTH levels and shows what lies below as text.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString
from django.utils.text import Truncator

from console.rows import html_of
from console.safejson import MAX_DISPLAY_DEPTH, MAX_DISPLAY_TEXT

_MISSING = object()


@dataclass(frozen=True)
class DiffRow:
    path: str  # "metadata.source.kind"; top-level keys as they are
    old: Any
    new: Any
    status: str  # "changed", "added", "removed" or "same"

    @property
    def changed(self) -> bool:
        return self.status != "same"

    @staticmethod
    def show(value) -> str:
        if value is _MISSING:
            return ""
        if isinstance(value, str):
            return value
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        except (RecursionError, ValueError):
            return f"(nested deeper than {MAX_DISPLAY_DEPTH} levels — not shown)"
        if len(text) > MAX_DISPLAY_TEXT:
            return text[:MAX_DISPLAY_TEXT] + " …"
        return text

    @property
    def old_text(self) -> str:
        return self.show(self.old)

    @property
    def new_text(self) -> str:
        return self.show(self.new)

    @property
    def has_old(self) -> bool:
        return self.old is not _MISSING

    @property
    def has_new(self) -> bool:
        return self.new is not _MISSING


def diff_values(old: Any, new: Any, prefix: str = "") -> list[DiffRow]:
    """Every key of both sides, in order, with nested objects walked key by key (lists are
    compared whole: their items have no stable identity). Below MAX_DISPLAY_DEPTH levels a
    value is compared whole and shown as text."""
    old = {} if old is None else old
    new = {} if new is None else new
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [_row(prefix or "value", old, new)]
    rows = []
    # Depth first, in key order, without recursion: a stack of (path, old, new, depth), with
    # a marker so that each object's keys come out in order.
    stack: list[tuple[str, Any, Any, int]] = [(prefix, old, new, 0)]
    while stack:
        path, a, b, depth = stack.pop()
        if not (isinstance(a, dict) and isinstance(b, dict)) or (
            depth >= MAX_DISPLAY_DEPTH and path
        ):
            rows.append(_row(path, a, b))
            continue
        children = []
        for key in sorted(set(a) | set(b), key=str):
            child_path = f"{path}.{key}" if path else str(key)
            children.append((child_path, a.get(key, _MISSING), b.get(key, _MISSING), depth + 1))
        stack.extend(reversed(children))
    return rows


def _row(path: str, a: Any, b: Any) -> DiffRow:
    if a is _MISSING:
        status = "added"
    elif b is _MISSING:
        status = "removed"
    else:
        try:
            status = "same" if a == b else "changed"
        except RecursionError:
            status = "changed"
    return DiffRow(path, a, b, status)


SHOWN_CHARS = 300  # each side of a change, in a changes table
_NOTHING_SHOWN = '<span class="muted">—</span>'


def _side(tag: str, present: bool, text: str) -> str:
    if not present:
        return _NOTHING_SHOWN
    if len(text) > SHOWN_CHARS:  # as {{ text|truncatechars }}, only where there is cutting
        text = Truncator(text).chars(SHOWN_CHARS)
    return f"<{tag}>{html_of(text)}</{tag}>"


def changes_html(changes: list[DiffRow]) -> SafeString:
    """The keys one audit entry changed, before and after, as a table (styles:
    audit/audit.css); `{{ changes|changes_table }}` in templates. Written in Python: a
    history lists dozens of these, and the template loop cost more than the rest of the
    page. Every value goes through html_of (console.rows' escaping)."""
    rows = "".join(
        f'<tr class="diff-{html_of(c.status)}"><th scope="row" class="mono">{html_of(c.path)}'
        f"</th><td>{_side('del', c.has_old, c.old_text)}</td>"
        f"<td>{_side('ins', c.has_new, c.new_text)}</td></tr>"
        for c in changes
    )
    return SafeString(
        '<table class="table table-compact diff"><thead><tr><th scope="col">Field</th>'
        '<th scope="col">Before</th><th scope="col">After</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
