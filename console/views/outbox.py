from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from localauth.outbox import list_messages


def outbox(request):
    """Local development only: the emails the local auth server 'sent'."""
    if not (settings.DEBUG and settings.LOCAL_AUTH):
        raise Http404
    return render(
        request,
        "console/outbox.html",
        {
            "outbox_messages": list_messages(settings.BASE_DIR / ".data" / "outbox"),
        },
    )
