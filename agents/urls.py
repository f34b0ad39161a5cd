from django.urls import path

from agents import views

app_name = "agents"

urlpatterns = [
    path("agents/", views.AgentListView.as_view(), name="agent_list"),
    path("agents/bulk/", views.AgentBulkView.as_view(), name="agent_bulk"),
    path("agents/<uuid:pk>/", views.agent_detail, name="agent_detail"),
    path("crews/", views.CrewListView.as_view(), name="crew_list"),
    path("crews/<uuid:pk>/", views.crew_detail, name="crew_detail"),
]
