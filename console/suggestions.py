"""Suggestions for a filter's text field (a <datalist>), fetched when the field is first
focused: the list itself (every search, every page) does not read them.

In the list's template, next to the form:

    {% include "console/_suggestions.html" with id="crew-names" field="id_crew_name" url=u %}

the field names the datalist (`forms.TextInput(attrs={"list": "crew-names"})`), and the URL
answers with `options_response(request, values)` (behind the area's role check, as any view).
"""

from django.http import HttpResponse

from console.rows import cell_html


def options_html(values) -> str:
    return "".join(cell_html('<option value="{}"></option>', value) for value in values)


def options_response(request, values) -> HttpResponse:
    """The values as the datalist's <option>s."""
    return HttpResponse(options_html(values))
