"""The local outbox: the email the local auth server "sent", invitation and password-reset
links included. Those links are live credentials, so the page exists only in local
development (DEBUG with the local auth server), only for requests from this machine, and
only for signed-in admins; everyone else gets a 404 (or the sign-in page)."""

import ipaddress
from functools import wraps

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from console.permissions import admin_required
from console.roles import Role
from localauth.outbox import list_messages

# Headers a reverse proxy adds: a request that came through one is not from this machine,
# even though the proxy itself connects from 127.0.0.1.
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def from_this_machine(request) -> bool:
    """REMOTE_ADDR itself (never a forwarded header) is a loopback address."""
    if settings.TRUSTED_PROXY_COUNT or any(request.META.get(h) for h in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def outbox_is_local(request) -> bool:
    return bool(settings.DEBUG and settings.LOCAL_AUTH and from_this_machine(request))


def outbox_shown_to(request) -> bool:
    """The navigation's link: a signed-in admin, locally."""
    user = getattr(request, "console_user", None)
    return bool(user and user.role == Role.ADMIN and outbox_is_local(request))


def local_only(view):
    @wraps(view)  # keeps the inner view's guard mark
    def wrapper(request, *args, **kwargs):
        if not outbox_is_local(request):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@local_only
@admin_required
def outbox(request):
    return render(
        request,
        "console/outbox.html",
        {"outbox_messages": list_messages(settings.DATA_DIR / "outbox")},
    )
