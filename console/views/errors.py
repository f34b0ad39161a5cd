"""Error pages: the same layout as the console, never a traceback, never a database query."""

import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.shortcuts import render

from console.permissions import public

logger = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)


def _render(request, status: int, **context):
    return render(request, f"{status}.html", context, status=status)


@public
def bad_request(request, exception=None):
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
    return _render(request, 404)


@public
def server_error(request):
    """A stopped or unreachable database gives the 503 page; anything else the 500 page."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_DOWN) or (
        isinstance(exc, DatabaseError) and isinstance(exc.__cause__, DATABASE_DOWN)
    ):
        return _render(request, 503, reason="database")
    return _render(request, 500)
