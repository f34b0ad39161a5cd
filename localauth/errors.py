"""GoTrue's error responses: the 2024-01-01 shape and the legacy one (internal/api/errors.go).

A request that sends `X-Supabase-Api-Version: 2024-01-01` (or later) gets
`{"code": "<error_code>", "message": ...}` and the version header echoed back; any other request
gets `{"code": <status>, "error_code": ..., "msg": ...}`. Both carry `x-sb-error-code`.
"""

import uuid
from datetime import date

API_VERSION_HEADER = "X-Supabase-Api-Version"
API_VERSION_2024 = "2024-01-01"
UNEXPECTED_FAILURE_MESSAGE = "Unexpected failure, please check server logs for more information"


class AuthError(Exception):
    """An error GoTrue would answer with: HTTP status, error code, message (+ extra body keys)."""

    def __init__(self, status: int, code: str, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}


def bad_request(code: str, message: str) -> AuthError:
    return AuthError(400, code, message)


def validation_failed(message: str, status: int = 400) -> AuthError:
    return AuthError(status, "validation_failed", message)


def unauthorized(code: str, message: str) -> AuthError:
    return AuthError(401, code, message)


def forbidden(code: str, message: str) -> AuthError:
    return AuthError(403, code, message)


def not_found(code: str, message: str) -> AuthError:
    return AuthError(404, code, message)


def unprocessable(code: str, message: str) -> AuthError:
    return AuthError(422, code, message)


def weak_password(message: str, reasons: list[str]) -> AuthError:
    return AuthError(422, "weak_password", message, extra={"weak_password": {"reasons": reasons}})


def unexpected_failure() -> AuthError:
    return AuthError(500, "unexpected_failure", UNEXPECTED_FAILURE_MESSAGE)


def wants_2024_errors(header_value: str | None) -> bool:
    """True when the request's API version header names 2024-01-01 or a later date."""
    if not header_value:
        return False
    try:
        return date.fromisoformat(header_value.strip()) >= date(2024, 1, 1)
    except ValueError:
        return False


def error_body(error: AuthError, api_2024: bool) -> dict:
    if api_2024:
        body = {"code": error.code, "message": error.message}
    else:
        body = {"code": error.status, "error_code": error.code, "msg": error.message}
        if error.status >= 500:
            body["error_id"] = str(uuid.uuid4())
    body.update(error.extra)
    return body
