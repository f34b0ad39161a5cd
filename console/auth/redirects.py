from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse


def to_login(request) -> HttpResponse:
    """Send the browser to the login page, coming back here afterwards. htmx requests get an
    HX-Redirect so the whole page changes, not just the swapped fragment."""
    target = reverse("console:login")
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)
