from django.urls import path

from deployments import actions, views

app_name = "deployments"

urlpatterns = [
    path("", views.PackageListView.as_view(), name="package_list"),
    path("export/", views.package_export, name="package_export"),
    path("new/", actions.package_create, name="package_create"),
    path("cleanup/", actions.package_cleanup, name="package_cleanup"),
    path("name/<str:name>/", views.package_timeline, name="timeline"),
    path("<uuid:pk>/", views.package_detail, name="package_detail"),
    path("<uuid:pk>/edit/", actions.package_edit, name="package_edit"),
    path("<uuid:pk>/delete/", actions.package_delete, name="package_delete"),
    path("<uuid:pk>/promote/", actions.package_promote, name="package_promote"),
    path("<uuid:pk>/retire/", actions.package_retire, name="package_retire"),
    path("<uuid:pk>/rollback/", actions.package_rollback, name="package_rollback"),
]
