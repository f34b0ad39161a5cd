"""Routing and request/response plumbing of the local auth server, independent of the socket
server: `AuthApp.handle(Request) -> Response`.

Paths are GoTrue's under `/auth/v1`. Errors become GoTrue error bodies (localauth.errors);
anything unexpected is logged and answered with 500 unexpected_failure, never a traceback.
"""

import hmac
import ipaddress
import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from localauth import db
from localauth.errors import (
    API_VERSION_2024,
    API_VERSION_HEADER,
    AuthError,
    error_body,
    unexpected_failure,
    wants_2024_errors,
)
from localauth.ratelimit import TokenBuckets

logger = logging.getLogger("localauth")

PREFIX = "/auth/v1"
MAX_BODY = 1024 * 1024


@dataclass
class Request:
    method: str
    target: str  # the request target as received, e.g. "/auth/v1/token?grant_type=password"
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    client_ip: str | None = None
    raw_path: str = field(init=False)  # e.g. "/auth/v1/token"
    path: str = field(init=False)  # under /auth/v1, e.g. "/token"; "" when not under it
    query: dict[str, str] = field(init=False)

    def __post_init__(self):
        parts = urlsplit(self.target)
        self.raw_path = parts.path
        self.path = parts.path[len(PREFIX) :] if parts.path.startswith(PREFIX + "/") else ""
        # Go's FormValue: the first value of each parameter
        self.query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

    @property
    def api_2024(self) -> bool:
        return wants_2024_errors(self.headers.get(API_VERSION_HEADER.lower()))

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")

    def json(self) -> dict:
        """The JSON object body; 400 bad_json if it is not one."""
        try:
            data = json.loads(self.body.decode("utf-8") if self.body else "")
        except (UnicodeDecodeError, ValueError) as exc:
            detail = "unexpected end of JSON input" if not self.body.strip() else str(exc)
            raise AuthError(
                400, "bad_json", f"Could not parse request body as JSON: {detail}"
            ) from None
        if not isinstance(data, dict):
            raise AuthError(
                400,
                "bad_json",
                "Could not parse request body as JSON: "
                f"json: cannot unmarshal {type(data).__name__} into Go value",
            )
        return data

    def optional_json(self) -> dict:
        return self.json() if self.body.strip() else {}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}
    )


def empty_response(status: int = 204) -> Response:
    return Response(status)


def field_str(body: dict, name: str) -> str:
    """A string field of a JSON body; missing or null is "", other types are bad_json."""
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AuthError(
            400,
            "bad_json",
            f"Could not parse request body as JSON: json: cannot "
            f"unmarshal {type(value).__name__} into Go struct field .{name} of "
            "type string",
        )
    return value


def field_object(body: dict, name: str) -> dict | None:
    value = body.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise AuthError(
        400,
        "bad_json",
        f"Could not parse request body as JSON: json: cannot "
        f"unmarshal {type(value).__name__} into Go struct field .{name} of type "
        "map[string]interface {}",
    )


def field_bool(body: dict, name: str) -> bool:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    raise AuthError(
        400,
        "bad_json",
        f"Could not parse request body as JSON: json: cannot "
        f"unmarshal {type(value).__name__} into Go struct field .{name} of type bool",
    )


class AuthApp:
    """Holds the (mutable) config and the server's external URL; dispatches requests."""

    def __init__(self, config, base_url: str):
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.api_url = self.base_url + PREFIX
        from localauth.routes import ROUTES  # the handlers import this module

        self.limits = TokenBuckets()
        self.routes = [
            (method, re.compile(pattern + r"\Z"), handler) for method, pattern, handler in ROUTES
        ]

    @property
    def issuer(self) -> str:
        return self.api_url

    def connect(self):
        return db.connect(self.config.dsn)

    def handle(self, request: Request) -> Response:
        request.client_ip = self._forwarded_for(request) or request.client_ip
        try:
            response = self._dispatch(request)
        except AuthError as error:
            response = self._error(error, request)
        except Exception:
            logger.exception("unexpected failure on %s %s", request.method, request.raw_path)
            response = self._error(unexpected_failure(), request)
        if request.api_2024:
            response.headers.setdefault(API_VERSION_HEADER, API_VERSION_2024)
        return response

    def _forwarded_for(self, request: Request) -> str | None:
        """`Sb-Forwarded-For`: the client's address, believed only when the project allows it
        (GoTrue: internal/sbff/sbff.go, `Middleware`, GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED;
        leftmost value, a valid IP) and the request carries a secret `sb_secret_...` key
        (hosted Supabase's gateway passes the header on only then; a legacy service_role JWT
        does not qualify)."""
        if not self.config.sb_forwarded_for_enabled:
            return None
        if not self.is_secret_key(request.headers.get("apikey", "")):
            return None
        forwarded = (request.headers.get("sb-forwarded-for") or "").split(",")[0].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return None

    def is_secret_key(self, key: str) -> bool:
        return bool(key) and any(
            hmac.compare_digest(key.encode(), secret.encode()) for secret in self.config.secret_keys
        )

    def _dispatch(self, request: Request) -> Response:
        if len(request.body) > MAX_BODY:
            raise AuthError(413, "request_entity_too_large", "Request body too large")
        if request.path:
            allowed = False
            for method, pattern, handler in self.routes:
                match = pattern.match(request.path)
                if match:
                    allowed = True
                    if method == request.method:
                        return handler(self, request, **match.groupdict())
            if allowed:
                raise AuthError(405, "method_not_allowed", "Method Not Allowed")
        raise AuthError(404, "not_found", "Not Found")

    @staticmethod
    def _error(error: AuthError, request: Request) -> Response:
        return json_response(
            error_body(error, request.api_2024), error.status, {"x-sb-error-code": error.code}
        )
