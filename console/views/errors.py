"""Error pages: the same layout as the console, never a traceback, never a database query."""

import logging
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.shortcuts import render

logger = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)


def _render(request, status: int, **context):
    response = render(request, f"{status}.html", context, status=status)
    response.console_error_page = True
    return response


def bad_request(request, exception=None):
    return _render(request, 400)


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else None
    return _render(request, 403, reason=reason)


def csrf_failure(request, reason=""):
    return _render(
        request,
        403,
        reason="This form has expired or came from another site. Reload the page and try again.",
    )


def page_not_found(request, exception=None):
    # Never the exception's message: get_object_or_404's names the model.
    return _render(request, 404)


class PlainNotFoundMiddleware:
    """With DEBUG on, Django answers a 404 with its technical page, which names the model
    ("No UserAccount matches the given query") and lists the URL patterns. The console shows
    its own 404 page then too (DEBUG is on by default locally, where people try it out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and settings.DEBUG
            and not getattr(response, "console_error_page", False)
        ):
            return page_not_found(request)
        return response


def server_error(request):
    """A stopped or unreachable database gives the 503 page; anything else the 500 page."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_DOWN) or (
        isinstance(exc, DatabaseError) and isinstance(exc.__cause__, DATABASE_DOWN)
    ):
        return _render(request, 503, reason="database")
    return _render(request, 500)
