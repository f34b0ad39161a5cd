"""The one version check for conflicting edits.

A form that changes an existing row carries the version it was opened on: the row's
`updated_at` as ISO 8601 with microseconds (a database trigger sets it on every update). On
save the view locks the row (`select_for_update`, inside the request's transaction, so nobody
saves between the check and the write) and compares: a different version means someone else
saved since, and nothing is written until the user chooses.

    form field:   version = VersionField()
    on load:      initial["version"] = version_of(obj)
    on save:      obj = lock(queryset, pk); if not is_current(obj, form.cleaned_data["version"]): …
    what changed: changes_since(history.entries, version)  (the audit rows after that version)
"""

from datetime import datetime

from django import forms
from django.shortcuts import get_object_or_404

FIELD = "updated_at"


def version_of(obj, field: str = FIELD) -> str:
    """The version a form carries: ISO 8601 with microseconds, "" when the row has none."""
    value = getattr(obj, field, None)
    return value.isoformat(timespec="microseconds") if value else ""


def parse_version(text) -> datetime | None:
    """A version as sent back; None when it is missing or not one of ours."""
    if isinstance(text, datetime):
        return text
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def is_current(obj, sent, field: str = FIELD) -> bool:
    """Whether the form was opened on the row as it is now. A missing or malformed version
    never matches: the user sees the saved row before overwriting it."""
    sent_at = parse_version(sent)
    saved_at = getattr(obj, field, None)
    return sent_at is not None and saved_at is not None and sent_at == saved_at


def lock(queryset, **lookup):
    """The row, locked until the request's transaction ends (404 when it is gone)."""
    return get_object_or_404(queryset.select_for_update(), **lookup)


def _millis(value) -> datetime | None:
    # The audit trail stores datetimes as JSON with millisecond precision (DjangoJSONEncoder).
    when = parse_version(value) if isinstance(value, str | datetime) else None
    return when.replace(microsecond=when.microsecond // 1000 * 1000) if when else None


def _side(entry, field: str, side: str):
    for row in entry.changes:  # the audit row's diff (console.diff rows)
        if row.path == field:
            return _millis(getattr(row, side))
    return None


def changes_since(entries, sent, field: str = FIELD) -> list:
    """The history entries (newest first, each with its diff in `changes`) saved after the version
    `sent`: walking back from the newest, up to the row that changed the row away from that
    version, or stopping before the row that produced it. Decided by versions, never by
    comparing the audit row's clock with `updated_at` (they differ by a few milliseconds, so
    one's own earlier save would look like someone else's)."""
    loaded = _millis(sent)
    if loaded is None:
        return list(entries)
    newer = []
    for entry in entries:
        if _side(entry, field, "new") == loaded:
            break  # this save produced the version the form was opened on
        newer.append(entry)
        if _side(entry, field, "old") == loaded:
            break  # the first save after it
    return newer


class VersionField(forms.CharField):
    """The hidden field that carries the version (see version_of)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)
