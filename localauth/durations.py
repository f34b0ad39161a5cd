"""Go's `time.ParseDuration`, which GoTrue uses for `ban_duration` ("24h", "1h30m", "876000h").

Units run from ns to h (there is no "d"); error messages match Go's, because GoTrue puts them
into its response ("invalid format for ban duration: time: invalid duration \"abc\"").
"""

import re
from datetime import timedelta
from fractions import Fraction

_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # U+00B5 micro sign
    "\u03bcs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_MAX_NS = (1 << 63) - 1
_NUMBER = re.compile(r"(\d*)(?:\.(\d*))?")
_UNIT = re.compile(r"[^\d.]+")


class DurationError(ValueError):
    pass


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_go_duration_ns(text: str) -> int:
    """Nanoseconds for a Go duration string; raises DurationError with Go's message."""
    original = text
    invalid = DurationError(f"time: invalid duration {_quote(original)}")
    negative = False
    if text[:1] in ("-", "+"):
        negative = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise invalid
    total = Fraction(0)
    while text:
        if not (text[0] == "." or text[0].isdigit()):
            raise invalid
        number = _NUMBER.match(text)
        whole, fraction = number.group(1), number.group(2)
        if not whole and not fraction:
            raise invalid
        text = text[number.end() :]
        unit_match = _UNIT.match(text)
        if not unit_match:
            raise DurationError(f"time: missing unit in duration {_quote(original)}")
        unit = unit_match.group(0)
        text = text[unit_match.end() :]
        if unit not in _UNITS_NS:
            raise DurationError(f"time: unknown unit {_quote(unit)} in duration {_quote(original)}")
        value = Fraction(int(whole or "0"))
        if fraction:
            value += Fraction(int(fraction), 10 ** len(fraction))
        total += value * _UNITS_NS[unit]
        if total > _MAX_NS + 1:
            raise invalid
    nanoseconds = int(total)
    if negative:
        return -nanoseconds
    if nanoseconds > _MAX_NS:
        raise invalid
    return nanoseconds


def parse_go_duration(text: str) -> timedelta:
    return timedelta(microseconds=parse_go_duration_ns(text) // 1000)
