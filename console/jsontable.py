"""JSON as a readable key/value table: nested objects flattened to dotted paths
("retry.max_attempts"), the same walk as console.diff; lists and scalars shown as JSON text.

In Python: `key_values(obj.configuration)`. In a template:

    {% load json_tables %}
    {% json_table agent.configuration "Configuration" %}
"""

from dataclasses import dataclass

from console.diff import diff_values


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: str


def key_values(value) -> list[KeyValue]:
    """Every leaf of a JSON value with its path; [] for None or an empty object."""
    if value is None or value == {}:
        return []
    return [KeyValue(row.path, row.new_text) for row in diff_values(value, value)]
