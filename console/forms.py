import json

from django import forms

from console.safejson import parse_user_json


class JSONObjectField(forms.CharField):
    """A JSON object typed into a textarea; an error says where the JSON is wrong, or what in
    it the console refuses (too deep, a number too long, NUL or invalid Unicode:
    console.safejson.parse_user_json).

    Returns a dict (empty input gives None, or {} when `empty_object` is set)."""

    widget = forms.Textarea(attrs={"rows": 8, "class": "json", "spellcheck": "false"})
    max_bytes = 64 * 1024

    def __init__(self, *args, empty_object: bool = False, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, strip=True, **kwargs)
        self.empty_object = empty_object

    def prepare_value(self, value):
        if isinstance(value, dict | list):
            return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return {} if self.empty_object else None
        if len(text.encode()) > self.max_bytes:
            raise forms.ValidationError(f"Keep the JSON under {self.max_bytes // 1024} KB.")
        try:
            parsed = parse_user_json(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"Line {exc.lineno}, column {exc.colno}: {exc.msg}."
            ) from None
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if not isinstance(parsed, dict):
            raise forms.ValidationError('Use a JSON object, in braces: {"key": "value"}.')
        return parsed
