"""URL path converters of the console's own, registered once in ConsoleConfig.ready()."""

from django.urls.converters import PathConverter


class TextConverter(PathConverter):
    """A stored name in a URL (`<text:name>`): any characters, "/" included, but a NUL byte.
    PostgreSQL's text cannot hold one, so no row has it; sent to the database it fails the
    query, so such a path is no page (404). (`.`'s other exclusion, a newline, is kept.)"""

    regex = r"[^\x00\n]+"
