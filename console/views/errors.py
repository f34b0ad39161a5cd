"""Error pages: the same layout as the console, never a traceback, never a database query.

With DEBUG off Django calls the handlers below. With DEBUG on it answers an exception with
its technical page instead (the traceback, the settings, the request's POST: a password
typed into a form), so ErrorPageMiddleware puts the console's page in its place: always for
visitors who are not signed in, always for a database that is away (503) and a body that is
too big (413), and for every 404. A signed-in developer still sees the technical page of a
genuine 500.
"""

import logging
import sys

from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.shortcuts import render
from django.views.debug import ExceptionReporter

from console.permissions import public

logger = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)
# Request bodies over DATA_UPLOAD_MAX_MEMORY_SIZE / _NUMBER_FIELDS / _NUMBER_FILES.
TOO_BIG = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def database_away(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_DOWN) or (
        isinstance(exc, DatabaseError) and isinstance(exc.__cause__, DATABASE_DOWN)
    )


def database_answers() -> None:
    """Ask the database once. A form that needs no data to show (sign-in, forgotten password)
    then gives the 503 page while the database is away, instead of a form that cannot be
    sent: raises what a stopped database raises, which the error pages turn into 503."""
    with connection.cursor() as cursor:
        cursor.execute("select 1")


def _render(request, status: int, **context):
    response = render(request, f"{status}.html", context, status=status)
    response.console_error_page = True
    return response


def _too_large(request):
    return _render(request, 413, **_too_large_context())


def _too_large_context() -> dict:
    return {
        "max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        "max_fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
    }


@public
def bad_request(request, exception=None):
    if isinstance(exception, TOO_BIG):
        return _too_large(request)
    return _render(request, 400)


@public
def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else None
    return _render(request, 403, reason=reason)


@public
def csrf_failure(request, reason=""):
    return _render(
        request,
        403,
        reason="This form has expired or came from another site. Reload the page and try again.",
    )


@public
def page_not_found(request, exception=None):
    # Never the exception's message: get_object_or_404's names the model.
    return _render(request, 404)


@public
def server_error(request):
    """A stopped or unreachable database gives the 503 page; anything else the 500 page."""
    if database_away(sys.exc_info()[1]):
        return _render(request, 503, reason="database")
    return _render(request, 500)


# --- DEBUG on -----------------------------------------------------------------------------


def _replacement(request, exc: BaseException) -> tuple[int, dict] | None:
    """The status and context of the console's page for an exception Django would show its
    technical page for, or None when a signed-in developer may see that page (a 500)."""
    if database_away(exc):
        return 503, {"reason": "database"}
    if isinstance(exc, TOO_BIG):
        return 413, _too_large_context()
    if isinstance(exc, (SuspiciousOperation, BadRequest)):
        return 400, {}
    if getattr(request, "auth_claims", None) is None:  # not signed in
        return 500, {}
    return None


class ExceptionRecorder(ExceptionReporter):
    """DEFAULT_EXCEPTION_REPORTER: Django's technical page, recorded on the request for
    ErrorPageMiddleware, and not even rendered when the console's page takes its place (its
    frames' variables may be querysets, which would go to a database that is away)."""

    def __init__(self, request, exc_type, exc_value, tb, is_email=False):
        super().__init__(request, exc_type, exc_value, tb, is_email)
        self.replaced = False
        if request is not None and not is_email:
            request.console_exception = exc_value
            self.replaced = _replacement(request, exc_value) is not None

    def get_traceback_html(self):
        return "" if self.replaced else super().get_traceback_html()

    def get_traceback_text(self):
        return "" if self.replaced else super().get_traceback_text()


class ErrorPageMiddleware:
    """The outermost middleware: with DEBUG on, the console's page in place of Django's
    technical one (see the module's docstring). The replacement keeps the headers and cookies
    the other middleware gave the technical page (CSP, frame options, a new session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not settings.DEBUG or getattr(response, "console_error_page", False):
            return response
        exc = getattr(request, "console_exception", None)
        if exc is not None:
            replacement = _replacement(request, exc)
            if replacement is None:
                return response
            page = _render(request, replacement[0], **replacement[1])
        elif response.status_code == 404:  # the technical 404 names the model and the URLs
            page = page_not_found(request)
        else:
            return response
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                page.headers.setdefault(header, value)
        page.cookies.update(response.cookies)
        # django-csp leaves a 404 or 500 without its header when DEBUG is on (the technical
        # pages need inline styles); the console's pages need none.
        page.headers.setdefault(CSP_HEADER, build_policy())
        return page
