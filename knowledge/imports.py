"""Importing knowledge entries from JSON Lines or CSV (the formats of the export).

`plan()` reads and checks every row the way the entry form does and says, row by row, what
would be created or updated, or what is wrong; it writes nothing (the dry run). `apply()`
then writes the plan in one transaction through the audited write: one audit row per created
or updated entry, and every row or none.
"""

import csv
import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field

from django.db import transaction

from console import audited, confirmations
from console.diff import DiffRow, diff_values
from console.safejson import MAX_INPUT_DEPTH, check_text, parse_user_json
from knowledge.forms import EDITABLE, EntryForm, entry_values
from knowledge.models import Entry

MAX_IMPORT_BYTES = 4 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
COLUMNS = ("id", *EDITABLE)
READ_ONLY = ("created_by", "created_at", "updated_at")  # in an export; ignored here
TRUE = {"true", "yes", "1", "on", "y", "t"}
FALSE = {"false", "no", "0", "off", "n", "f"}
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ImportError_(Exception):  # noqa: N801 - not the builtin
    """The file as a whole cannot be read; the message is for the user."""


@dataclass
class ImportRow:
    line: int
    title: str = ""
    action: str = "error"  # "create", "update", "unchanged" or "error"
    errors: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)
    entry_id: uuid.UUID | None = None
    changes: list[DiffRow] = field(default_factory=list)


@dataclass
class ImportPlan:
    name: str
    rows: list[ImportRow]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def creates(self) -> int:
        return self.count("create")

    @property
    def updates(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def writes(self) -> int:
        return self.count("create") + self.count("update")


def decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportError_(f"The file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_("The file is not UTF-8 text; save it as UTF-8 and try again.") from None


def _is_jsonl(name: str, text: str) -> bool:
    lower = name.lower()
    if lower.endswith(".csv"):
        return False
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return True
    return text.lstrip()[:1] == "{"


def _records_jsonl(text: str):
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            # A line is one level more than its metadata; too deep, numbers too long, NUL
            # or lone surrogates are refused here, row by row (console.safejson).
            record = parse_user_json(line, max_depth=MAX_INPUT_DEPTH + 1)
        except json.JSONDecodeError as exc:
            yield number, None, [f"Not valid JSON (column {exc.colno}: {exc.msg})."]
            continue
        except ValueError as exc:
            yield number, None, [str(exc)]
            continue
        if not isinstance(record, dict):
            yield number, None, ['Each line must be a JSON object: {"title": …}.']
            continue
        unknown = sorted(str(k) for k in record if k not in COLUMNS and k not in READ_ONLY)
        errors = [f"Unknown field “{name}”." for name in unknown]
        yield number, record, errors


def _unformula(value: str) -> str:
    # The CSV export writes '=… for cells a spreadsheet would run; read them back as typed.
    if value[:1] == "'" and value[1:2] in _FORMULA_PREFIXES and value[1:2] != "":
        return value[1:]
    return value


def _records_csv(text: str):
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in COLUMNS and name not in READ_ONLY]
    if unknown:
        raise ImportError_(
            f"Unknown column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join('“' + n + '”' for n in unknown)}; the columns are "
            f"{', '.join(COLUMNS)}."
        )
    missing = [name for name in ("title", "content") if name not in header]
    if missing:
        raise ImportError_(
            f"The first line must name the columns; {' and '.join(missing)} missing."
        )
    try:
        for record in reader:
            errors = ["More cells than columns."] if None in record else []
            record.pop(None, None)
            cells = {k: _unformula(v) for k, v in record.items() if isinstance(v, str)}
            for name, value in cells.items():
                try:
                    check_text(value, name)
                except ValueError as exc:
                    errors.append(str(exc))
            yield reader.line_num, cells, errors
    except csv.Error as exc:
        raise ImportError_(f"Line {reader.line_num}: {exc}.") from None


def _form_data(record: dict) -> tuple[dict, list[str]]:
    """The record as the entry form's input (what a person would have typed)."""
    errors = []
    data = {
        "title": record.get("title") or "",
        "content": record.get("content") or "",
        "category": record.get("category") or "",
    }
    for name in ("title", "content", "category"):
        if not isinstance(data[name], str):
            errors.append(f"{name}: use text.")
            data[name] = ""
    tags = record.get("tags")
    if isinstance(tags, str) and tags.strip().startswith("["):
        try:
            tags = json.loads(tags)
        except json.JSONDecodeError:
            errors.append("tags: not a JSON list; write them separated by commas instead.")
            tags = ""
    if isinstance(tags, list):
        tags = ", ".join(str(t) for t in tags)
    data["tags"] = tags if isinstance(tags, str) else ""
    metadata = record.get("metadata")
    if metadata is None or metadata == "":
        data["metadata"] = ""
    else:
        data["metadata"] = metadata if isinstance(metadata, str) else json.dumps(metadata)
    active = record.get("is_active")
    if active is None or active == "":
        active = True
    elif isinstance(active, str):
        word = active.strip().lower()
        if word in TRUE:
            active = True
        elif word in FALSE:
            active = False
        else:
            errors.append(f"is_active: “{active[:20]}” is not true or false.")
    elif not isinstance(active, bool):
        errors.append("is_active: use true or false.")
    if active is True:
        data["is_active"] = "on"
    return data, errors


def plan(name: str, text: str, categories=()) -> ImportPlan:
    """Every row checked, nothing written. Raises ImportError_ for a file it cannot read."""
    records = list((_records_jsonl if _is_jsonl(name, text) else _records_csv)(text))
    if not records:
        raise ImportError_("The file has no entries.")
    if len(records) > MAX_IMPORT_ROWS:
        raise ImportError_(
            f"The file has {len(records):,} entries; import at most {MAX_IMPORT_ROWS:,} at a time."
        )
    rows, ids_seen = [], set()
    for line, record, errors in records:
        row = ImportRow(line=line, errors=list(errors))
        rows.append(row)
        if record is None:
            continue
        raw_id = record.get("id")
        if raw_id not in (None, ""):
            try:
                row.entry_id = uuid.UUID(str(raw_id))
            except ValueError:
                row.errors.append("id: not a UUID (leave it empty to create a new entry).")
            else:
                if row.entry_id in ids_seen:
                    row.errors.append("id: the same entry is in the file twice.")
                ids_seen.add(row.entry_id)
        data, value_errors = _form_data(record)
        row.errors.extend(value_errors)
        form = EntryForm(data, categories=categories)
        row.title = str(data["title"])[:200]
        if form.is_valid():
            row.values = form.values()
        else:
            for field_name, messages in form.errors.items():
                label = "row" if field_name == "__all__" else field_name
                row.errors.extend(f"{label}: {message}" for message in messages)
    existing = Entry.objects.in_bulk([r.entry_id for r in rows if r.entry_id])
    for row in rows:
        if row.errors:
            row.action = "error"
            continue
        entry = existing.get(row.entry_id)
        if entry is None:
            row.action = "create"
            continue
        row.changes = [d for d in diff_values(entry_values(entry), row.values) if d.changed]
        row.action = "update" if row.changes else "unchanged"
    return ImportPlan(name, rows)


CONFIRMS = "knowledge:import"


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def confirmation(user_id, text: str) -> str:
    """The dry run's token: an import of exactly this file, by this user, once."""
    return confirmations.new_token(user_id, CONFIRMS, _fingerprint(text))


def apply(
    plan_: ImportPlan, actor: audited.Actor, *, token: str | None = None, text: str = ""
) -> tuple[int, int]:
    """Writes a plan without errors, all or nothing. Returns (created, updated); raises
    audited.WriteFailed (with the row's line in the message) when any write fails. With a
    `token` (a request's confirmation, `text` the file planned) it claims it first:
    confirmations.NotConfirmed when the dry run of this file did not issue it to this user,
    AlreadyApplied when it was confirmed before: an import runs once per dry run, however
    often its confirmation is posted."""
    assert not plan_.errors, "a plan with errors is never applied"
    created = updated = 0
    with transaction.atomic():
        if token is not None:
            confirmations.claim(token, actor.user_id, CONFIRMS, _fingerprint(text))
        existing = Entry.objects.in_bulk([r.entry_id for r in plan_.rows if r.action == "update"])
        for row in plan_.rows:
            try:
                if row.action == "create":
                    values = dict(row.values, created_by=actor.user_id)
                    if row.entry_id:
                        values["id"] = row.entry_id
                    audited.create(actor, Entry, **values)
                    created += 1
                elif row.action == "update":
                    entry = existing.get(row.entry_id)
                    if entry is None:
                        raise audited.WriteRefused("the entry no longer exists.")
                    changed = {d.path.split(".")[0] for d in row.changes}
                    audited.update(actor, entry, **{k: row.values[k] for k in changed})
                    updated += 1
            except audited.WriteFailed as exc:
                raise type(exc)(f"Line {row.line} (“{row.title}”): {exc.message}") from exc
    return created, updated
