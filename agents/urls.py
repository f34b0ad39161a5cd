from django.urls import path

from agents import views
from console.objects import object_urls

app_name = "agents"

urlpatterns = [
    path("agents/", views.AgentListView.as_view(), name="agent_list"),
    path("agents/bulk/", views.AgentBulkView.as_view(), name="agent_bulk"),
    path("agents/export/", views.agent_export, name="agent_export"),
    path("agents/types/", views.agent_type_options, name="agent_type_options"),
    path("agents/<uuid:pk>/", views.agent_detail, name="agent_detail"),
    # agents/new/, <pk>/edit/, <pk>/delete/, <pk>/history/: the generic object views
    *object_urls(
        "agent",
        views.AgentObject,
        prefix="agents/",
        edit=views.AgentEditView,
        delete=views.AgentDeleteView,
        history=views.AgentHistoryView,
    ),
    path("crews/", views.crew_list, name="crew_list"),
    path("crews/runs/", views.RunListView.as_view(), name="run_list"),
    path("crews/runs/names/", views.run_name_options, name="run_name_options"),
    path("crews/runs/types/", views.run_type_options, name="run_type_options"),
    # A crew name may hold any character, "/" included.
    path("crews/name/<text:name>/", views.crew_detail, name="crew_detail"),
    path("crews/run-now/<text:name>/", views.run_now, name="run_now"),
    path("crews/<uuid:pk>/", views.run_detail, name="run_detail"),
    # crews/<pk>/edit/, delete/, history/ (runs are created by "Run now")
    *object_urls(
        "run",
        views.RunObject,
        prefix="crews/",
        create=False,
        edit=views.RunEditView,
        delete=views.RunDeleteView,
        history=views.RunHistoryView,
    ),
]
