from django.urls import path

from deployments import views

app_name = "deployments"

urlpatterns = [
    path("", views.PackageListView.as_view(), name="package_list"),
    path("<uuid:pk>/", views.package_detail, name="package_detail"),
]
