from urllib.parse import unquote, urlencode, urlsplit

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme


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


def safe_next(request, candidate: str | None) -> str:
    """Where the sign-in sends the browser: `next` when it is a path of this site that a page
    answers (as to_login writes it), else the dashboard. Not another host, not a relative
    path, a view name or a path no page has (redirect() would try to reverse such a text)."""
    if (
        candidate
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and _is_a_page(urlsplit(candidate).path)
    ):
        return candidate
    return reverse("console:dashboard")


def _is_a_page(path: str) -> bool:
    prefix = get_script_prefix()
    if not path.startswith(prefix):
        return False
    try:
        resolve("/" + unquote(path[len(prefix) :]))  # as the request would be resolved
    except Resolver404:
        return False
    return True
