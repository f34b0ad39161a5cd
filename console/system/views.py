"""`/system/`: the backend's state, for admins and auditors (the `system` area)."""

from django.conf import settings
from django.shortcuts import render

from console.permissions import area_required
from console.roles import Role
from console.system import figures, latency


@area_required("system")
def system_page(request):
    admin = request.console_user.role == Role.ADMIN
    latency.maybe_sample()
    overview = figures.cached("overview", figures.overview)
    context = {
        "area": "system",
        "admin": admin,
        "latency_now": figures.latency_now(),
        "latency_history": figures.cached("latency_history", latency.history),
        "sample_seconds": settings.SYSTEM_SAMPLE_SECONDS,
        "cache_seconds": settings.SYSTEM_CACHE_SECONDS,
        "overview": overview,
        "pool": figures.pool(),
        "activity": figures.activity(admin),
        "tables": figures.tables(),
        "statements": figures.statements(admin),
        "migrations": figures.migrations(),
        "auth": figures.auth_health(),
        "breaker": figures.breaker_state(),
        "breaker_settings": {
            "failures": settings.AUTH_BREAKER_FAILURES,
            "window": settings.AUTH_BREAKER_WINDOW,
            "open_seconds": settings.AUTH_BREAKER_OPEN_SECONDS,
        },
        # TODO(retention): the `performance` helper's retention state (per table: oldest row,
        # policy, last run) belongs here once it is merged.
    }
    return render(request, "console/system.html", context)
