"""The one role check of the console, for function views and class-based views alike.

Anonymous users go to the login page; signed-in users without a role see the "no access"
page; a role without the needed access to the area gets 403. The database enforces the same
matrix through RLS, so a missed check here still cannot leak or change data.

Every view the URLconf reaches carries a mark of its guard (`guard` on the view, or on a
class-based view's `view_class`), or `public = True` from `@public`: tests/test_url_guards.py
walks the URLconf and fails on a view with neither.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from console.auth.redirects import to_login
from console.registry import access
from console.roles import Role


def public(view):
    """Mark a view that anyone may reach (sign-in, error pages, health check): the URL guard
    test accepts it without a role guard."""
    view.public = True
    return view


def no_access(request):
    return render(request, "console/no_access.html", status=403)


def check_area(request, area_key: str, *, write: bool = False):
    """Return a response that refuses the request, or None when it may go on."""
    user = request.console_user
    if user is None:
        return to_login(request)
    if user.role is None:
        return no_access(request)
    level = access(user.role, area_key)
    allowed = level.can_write if write else level.can_list
    if not allowed:
        raise PermissionDenied(
            f"Your role ({user.role}) cannot {'change' if write else 'see'} this."
        )
    return None


def area_required(area_key: str, *, write: bool = False):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            refusal = check_area(request, area_key, write=write)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        wrapper.area_key = area_key
        wrapper.guard = f"area:{area_key}"
        return wrapper

    return decorator


def signed_in_required(view):
    """Any signed-in user with a role (the dashboard, "My profile")."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.console_user
        if user is None:
            return to_login(request)
        if user.role is None:
            return no_access(request)
        return view(request, *args, **kwargs)

    wrapper.guard = "signed_in"
    return wrapper


def admin_required(view):
    """Signed-in admins only (pages that are not an area, such as the local outbox)."""

    @signed_in_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        role = request.console_user.role
        if role != Role.ADMIN:
            raise PermissionDenied(f"Your role ({role}) cannot see this.")
        return view(request, *args, **kwargs)

    wrapper.guard = "admin"
    return wrapper


class AreaRequiredMixin:
    """For class-based views: set `area` (a key of console/registry.py) and `write`."""

    area: str = ""
    write: bool = False
    guard = "area"  # the URL guard test reads it from the view's `view_class`

    def dispatch(self, request, *args, **kwargs):
        refusal = check_area(request, self.area, write=self.write)
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["area"] = self.area
        context["can_write"] = access(self.request.console_user.role, self.area).can_write
        return context
