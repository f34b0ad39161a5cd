"""Reading the knowledge pages in tests."""

import re
from html.parser import HTMLParser

_ROW_TITLE = re.compile(r'<td><a href="/knowledge/([0-9a-f-]{36})/">(.*?)</a>')


def listed(response) -> list[str]:
    """The titles of the list's rows, in order (highlight marks removed)."""
    html = response.content.decode()
    return [re.sub(r"</?mark>", "", title) for _pk, title in _ROW_TITLE.findall(html)]


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    """Every element of the page as the browser would build it: (tag, attributes)."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


def unsafe_elements(html: str) -> list:
    """Script elements (but the layout's own static files), event handler attributes and
    javascript: URLs: what an XSS needs."""
    bad = []
    for tag, attrs in elements(html):
        if tag == "script" and (attrs.get("src") or "").startswith("/static/"):
            continue  # the layout's own scripts
        if tag in ("script", "iframe", "object", "embed", "svg"):
            bad.append((tag, attrs))
        for name, value in attrs.items():
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                bad.append((tag, name, value))
    return bad
