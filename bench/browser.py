"""A small HTTP client that behaves like a browser behind a TLS-terminating proxy, for the
bench's mixed run and the fault tests (tests/system/stack.py): it keeps the session and CSRF
cookies itself (they are Secure, and gunicorn is reached over plain HTTP on 127.0.0.1 with
`X-Forwarded-Proto: https`), sends the CSRF token and reads forms back."""

from html.parser import HTMLParser

import httpx


class FormFields(HTMLParser):
    """The fields of every form on a page: inputs (checked boxes only), textareas, selects."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name] = a.get("value", "on")
            elif a.get("type") not in ("submit", "button"):
                self.fields.setdefault(name, a.get("value", "") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_fields(html: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(html)
    return parser.fields


class Browser:
    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout)

    def on(self, port: int) -> "Browser":
        """The same cookies (session) sent to another instance."""
        other = Browser(port)
        other.cookies = dict(self.cookies)
        return other

    def _headers(self) -> dict:
        headers = {
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
            "Origin": "https://127.0.0.1",
            "Referer": "https://127.0.0.1/",
            "User-Agent": "billygoat-bench-mix",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "01 Jan 1970" not in header:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    def get(self, path: str) -> httpx.Response:
        return self._keep(self.http.get(path, headers=self._headers()))

    def post(self, path: str, data: dict) -> httpx.Response:
        if "csrftoken" not in self.cookies:
            self.get("/login/")
        body = {**data, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        return self._keep(self.http.post(path, data=body, headers=self._headers()))

    def sign_in(self, email: str, password: str) -> httpx.Response:
        self.get("/login/")
        return self.post("/login/", {"email": email, "password": password})
