"""Side-by-side comparison of two JSON values (an audit row's old and new values, or two
versions of a record), nested objects included."""

import json
from dataclasses import dataclass
from typing import Any

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
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

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
    compared whole: their items have no stable identity)."""
    old = {} if old is None else old
    new = {} if new is None else new
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [_row(prefix or "value", old, new)]
    rows = []
    for key in sorted(set(old) | set(new), key=str):
        path = f"{prefix}.{key}" if prefix else str(key)
        a, b = old.get(key, _MISSING), new.get(key, _MISSING)
        if isinstance(a, dict) and isinstance(b, dict):
            rows.extend(diff_values(a, b, path))
        else:
            rows.append(_row(path, a, b))
    return rows


def _row(path: str, a: Any, b: Any) -> DiffRow:
    if a is _MISSING:
        status = "added"
    elif b is _MISSING:
        status = "removed"
    else:
        status = "same" if a == b else "changed"
    return DiffRow(path, a, b, status)
