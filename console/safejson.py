"""JSON that cannot break a page: reading any stored value safely, and refusing hostile input.

Reading: a value in the database may be nested thousands of levels deep (audit rows are
append-only, so one such row stays for ever). Python's json module recurses once per level and
fails past about a thousand; everything that walks a value (the diff, json.dumps) recurses too.
`load_for_display` therefore measures the depth first, without recursion, and hands back a
value nested deeper than `MAX_DISPLAY_DEPTH` as text. `SafeJSONDecoder` does the same for the
models' JSONFields (installed on every one by `install_on_json_fields`, from ConsoleConfig).

Writing: `parse_user_json` is json.loads for what a user types or imports, refusing what the
database or Python would choke on later: nesting deeper than `MAX_INPUT_DEPTH`, integers longer
than `MAX_INT_DIGITS`, NaN and infinities, lone surrogates and NUL characters. Its ValueError
says what is wrong, in words for a form error.
"""

import json
import math
import re

MAX_DISPLAY_DEPTH = 50
MAX_DISPLAY_TEXT = 20_000  # characters of a too-deep value shown as text
MAX_INPUT_DEPTH = 32  # the same bound as log_audit_event's
MAX_INT_DIGITS = 100

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def json_depth(text: str, limit: int) -> int:
    """How deep JSON text nests (a scalar is 0), counting no further than limit + 1."""
    if text.count("[") + text.count("{") <= limit:
        return 0  # cannot be deeper than the brackets it has
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth -= 1
    return deepest


def too_deep_text(text: str) -> str:
    shown = text if len(text) <= MAX_DISPLAY_TEXT else text[:MAX_DISPLAY_TEXT] + " …"
    return f"(nested deeper than {MAX_DISPLAY_DEPTH} levels — shown as text) {shown}"


def load_for_display(value):
    """A jsonb value as Django's raw cursors hand it over (text), parsed for display."""
    if not isinstance(value, str):
        return value
    if json_depth(value, MAX_DISPLAY_DEPTH) > MAX_DISPLAY_DEPTH:
        return too_deep_text(value)
    try:
        return json.loads(value)
    except ValueError:  # includes the integer digits limit
        return value


class SafeJSONDecoder(json.JSONDecoder):
    """For JSONField(decoder=…): values nested too deep come back as text."""

    def decode(self, s, *args, **kwargs):
        if json_depth(s, MAX_DISPLAY_DEPTH) > MAX_DISPLAY_DEPTH:
            return too_deep_text(s)
        try:
            return super().decode(s, *args, **kwargs)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer past Python's digits limit
            return s


def install_on_json_fields(models) -> None:
    """Every JSONField that has no decoder of its own reads with SafeJSONDecoder."""
    from django.db.models import JSONField

    for model in models:
        for field in model._meta.get_fields():
            if isinstance(field, JSONField) and field.decoder is None:
                field.decoder = SafeJSONDecoder


# --- input ------------------------------------------------------------------------------------


def _parse_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise ValueError(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_INT_DIGITS + 20:
        raise ValueError(f"a number has more than {MAX_INT_DIGITS} digits")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number is too large")
    return number


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def check_text(text: str, what: str = "The text") -> None:
    """ValueError for characters PostgreSQL cannot store (NUL) or UTF-8 cannot encode (lone
    surrogates)."""
    match = _BAD_CHARACTER.search(text)
    if match:
        if match.group() == "\x00":
            raise ValueError(f"{what} contains NUL characters (\\u0000); remove them.")
        raise ValueError(f"{what} contains an invalid Unicode character (a lone surrogate).")


def check_strings(value, what: str = "The JSON") -> None:
    """check_text on every key and string of a parsed value, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            check_text(item, what)
        elif isinstance(item, dict):
            for key, child in item.items():
                check_text(str(key), what)
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


def parse_user_json(text: str, *, max_depth: int = MAX_INPUT_DEPTH):
    """json.loads for input; ValueError (json.JSONDecodeError keeps its line and column)."""
    if json_depth(text, max_depth) > max_depth:
        raise ValueError(f"The JSON is nested deeper than {max_depth} levels.")
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_refuse_constant,
        )
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"The JSON is refused: {exc}.") from None
    check_strings(value)
    return value
