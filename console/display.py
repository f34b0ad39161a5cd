"""How every page shows a value: one date format (ISO-like, as the lists), words for
booleans, a dash for nothing. Used by the list cells (console/rows.py), the item pages
(console/details.py) and templates (`{% load console %}{{ value|display }}`); Django's own
`{{ date }}` output follows the same formats (console/formats/en/formats.py)."""

import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from functools import lru_cache
from html import escape

from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone

DATETIME_FORMAT = "Y-m-d H:i"
DATE_FORMAT = "Y-m-d"
NOTHING = "—"

# Django's format letters the console uses, as strftime directives: strftime costs a tenth of
# django.utils.dateformat (which matters at a few hundred dates a page).
_STRFTIME = {"Y": "%Y", "m": "%m", "d": "%d", "H": "%H", "i": "%M", "s": "%S"}


@lru_cache(maxsize=32)
def _strftime_pattern(fmt: str) -> str | None:
    """The strftime pattern for a Django date format, or None if it uses other letters."""
    if re.search(r"[A-Za-z\\]", re.sub("[YmdHis]", "", fmt)):
        return None
    return "".join(_STRFTIME.get(ch, ch.replace("%", "%%")) for ch in fmt)


# The current time zone as a table's rows see it (`zone_fixed`): Django keeps it in an
# asgiref Local, whose lookup costs more than formatting the date itself.
_FIXED_ZONE: ContextVar[tzinfo | None] = ContextVar("console_fixed_zone", default=None)


@contextmanager
def zone_fixed():
    """Within the block, dates are shown in the time zone current when it began, looked up
    once (console.rows renders a page's rows inside one)."""
    token = _FIXED_ZONE.set(get_current_timezone())
    try:
        yield
    finally:
        _FIXED_ZONE.reset(token)


def _local(value: datetime) -> datetime:
    """An aware moment in the current time zone (a naive one as it is)."""
    if value.utcoffset() is None:
        return value
    return value.astimezone(_FIXED_ZONE.get() or get_current_timezone())


def _formatted(local: datetime, fmt: str) -> str:
    pattern = _strftime_pattern(fmt)
    return local.strftime(pattern) if pattern else date_format(local, fmt)


def display_datetime(value: datetime, fmt: str = DATETIME_FORMAT) -> str:
    """A date and time in the current time zone, in `fmt` (Django's date format letters)."""
    return _formatted(_local(value), fmt)


def time_html(value: datetime, fmt: str = DATETIME_FORMAT) -> SafeString:
    """`<time datetime="…">…</time>`: the moment in the current time zone, shown in `fmt`.
    (The time zone is looked up once: a list has a few hundred of these.)"""
    local = _local(value)
    shown = escape(_formatted(local, fmt))
    # (isoformat writes digits, "-", ":", ".", "+" and "T": nothing to escape)
    return SafeString(f'<time datetime="{local.isoformat()}">{shown}</time>')


def display_text(value) -> str:
    """The value as plain text."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return display_datetime(value)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def display(value) -> SafeString:
    """The value as HTML: escaped text; a date and time inside <time datetime="…">."""
    if isinstance(value, datetime):
        return time_html(value)
    if hasattr(value, "__html__"):
        return value
    return SafeString(escape(display_text(value)))


# Statuses shown as good news or bad news; every other status is a warning (paused, queued…).
_OK_STATUSES = frozenset({"active", "complete", "running", "deployed"})
_BAD_STATUSES = frozenset({"error", "failed"})


def status_badge(value) -> SafeString:
    """A status as a badge: green when all is well, red for an error, amber otherwise."""
    if not value:
        return SafeString(NOTHING)
    text = str(value)
    kind = "ok" if text in _OK_STATUSES else "danger" if text in _BAD_STATUSES else "warn"
    return SafeString(f'<span class="badge badge-{kind}">{escape(text)}</span>')
