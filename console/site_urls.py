"""The site's URLs: every area under its own prefix, the same shape everywhere
(`/<area>/`, `/<area>/<id>/`, `/<area>/new/`, `/<area>/<id>/edit/`)."""

from django.urls import include, path

urlpatterns = [
    path("", include("console.urls")),
    path("users/", include("console.users.urls")),
    path("", include("agents.urls")),
    path("performance/", include("performance.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("deployments/", include("deployments.urls")),
    path("audit/", include("audit.urls")),
]

handler400 = "console.views.errors.bad_request"
handler403 = "console.views.errors.permission_denied"
handler404 = "console.views.errors.page_not_found"
handler500 = "console.views.errors.server_error"
