"""Every URL the console serves has a role guard or says, explicitly, that it is public.

A guard leaves a mark (console/permissions.py): `guard` on a function view (kept by
functools.wraps through any decorators around it) or on a class-based view's `view_class`
(AreaRequiredMixin, with its `area` set); `@public` sets `public = True`."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from django.utils.module_loading import import_string
from django.views import View

from console.permissions import AreaRequiredMixin, area_required, public, signed_in_required


def is_guarded(view) -> bool:
    if getattr(view, "public", False) or getattr(view, "guard", None):
        return True
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return False
    if getattr(view_class, "public", False):
        return True
    if issubclass(view_class, AreaRequiredMixin):
        return bool(view_class.area)
    return bool(getattr(view_class, "guard", None))


def walk(patterns, prefix="", namespace=""):
    """(route, name, view) for every URL pattern, includes followed."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else "(unnamed)"
            yield route, name, pattern.callback


def unguarded(patterns) -> list[str]:
    return [f"{name} ({route})" for route, name, view in walk(patterns) if not is_guarded(view)]


def test_every_url_has_a_role_guard_or_a_public_mark():
    resolver = get_resolver()
    assert len(list(walk(resolver.url_patterns))) > 20  # the walk reaches every include
    assert unguarded(resolver.url_patterns) == []


def test_error_pages_are_marked_public():
    resolver = get_resolver()
    for status in (400, 403, 404, 500):
        assert is_guarded(resolver.resolve_error_handler(status)), status
    assert is_guarded(import_string(settings.CSRF_FAILURE_VIEW))


# The checker itself, on URLconfs made up for it ----------------------------------------


def plain(request):
    return HttpResponse("open to anyone, by mistake")


@public
def open_on_purpose(request):
    return HttpResponse("ok")


@signed_in_required
def signed_in_page(request):
    return HttpResponse("ok")


@area_required("knowledge")
def area_page(request):
    return HttpResponse("ok")


class PlainView(View):
    pass


class GuardedView(AreaRequiredMixin, View):
    area = "knowledge"


class MixinWithoutArea(AreaRequiredMixin, View):
    pass


class FakeIncluded:
    app_name = "inner"
    urlpatterns = [
        path("plain/", plain, name="plain"),
        path("guarded/", GuardedView.as_view(), name="guarded"),
        path("class/", PlainView.as_view(), name="class"),
    ]


def test_the_checker_names_every_unguarded_view_and_passes_guarded_ones():
    patterns = [
        path("public/", open_on_purpose, name="public"),
        path("signed-in/", signed_in_page, name="signed_in"),
        path("area/", area_page, name="area"),
        path("no-area/", MixinWithoutArea.as_view(), name="no_area"),
        path("nested/", include(FakeIncluded)),
        path("anonymous/", plain),
    ]
    assert unguarded(patterns) == [
        "no_area (no-area/)",
        "inner:plain (nested/plain/)",
        "inner:class (nested/class/)",
        "(unnamed) (anonymous/)",
    ]
