from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.AuditLogListView.as_view(), name="log_list"),
    path("history/", views.history_fragment, name="history"),
    path("<uuid:pk>/", views.log_detail, name="log_detail"),
]
