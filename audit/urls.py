from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.AuditLogListView.as_view(), name="log_list"),
    path("export/", views.log_export, name="log_export"),
    path("actors/", views.actor_suggestions, name="actor_suggestions"),
    path("<uuid:pk>/", views.log_detail, name="log_detail"),
]
