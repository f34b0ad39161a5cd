from django.urls import path

from performance import views

app_name = "performance"

urlpatterns = [
    path("", views.explorer, name="explorer"),
    path("series.json", views.series_json, name="series_json"),
    path("systems/", views.system_options, name="system_options"),
    path("panel/", views.dashboard_panel, name="dashboard_panel"),
    path("samples/", views.SampleListView.as_view(), name="sample_list"),
    path("samples/<uuid:pk>/", views.sample_detail, name="sample_detail"),
    path("retention/", views.retention_page, name="retention"),
]
