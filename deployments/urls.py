from django.urls import path

from console.objects import object_urls
from deployments import actions, views

app_name = "deployments"

urlpatterns = [
    path("", views.PackageListView.as_view(), name="package_list"),
    path("export/", views.package_export, name="package_export"),
    path("cleanup/", actions.package_cleanup, name="package_cleanup"),
    path("name/<text:name>/", views.package_timeline, name="timeline"),
    path("<uuid:pk>/", views.package_detail, name="package_detail"),
    *object_urls(
        "package",
        actions.PackageObject,
        create=actions.PackageCreate,
        edit=actions.PackageEdit,
        delete=actions.PackageDelete,
        history=False,  # on the version's page, for the roles that read the audit trail
    ),
    path("<uuid:pk>/promote/", actions.package_promote, name="package_promote"),
    path("<uuid:pk>/retire/", actions.package_retire, name="package_retire"),
    path("<uuid:pk>/rollback/", actions.package_rollback, name="package_rollback"),
]
