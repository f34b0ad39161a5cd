from agents.filters import AgentFilterSet, CrewFilterSet
from agents.models import Agent, Crew
from agents.tables import AgentTable, CrewTable
from console.bulk import BulkAction, BulkActionView
from console.details import detail_view
from console.lists import ObjectListView


class AgentBulkView(BulkActionView):
    area = "agents"
    queryset = Agent.objects.all()
    filterset_class = AgentFilterSet
    list_url_name = "agents:agent_list"
    actions = (
        BulkAction(
            "activate",
            "Activate",
            changes=lambda agent, data: {"status": "active", "is_active": True},
        ),
        BulkAction(
            "pause", "Pause", changes=lambda agent, data: {"status": "paused", "is_active": False}
        ),
    )


class AgentListView(ObjectListView):
    area = "agents"
    queryset = Agent.objects.all()
    table_class = AgentTable
    filterset_class = AgentFilterSet
    bulk_view = AgentBulkView
    bulk_url_name = "agents:agent_bulk"


class CrewListView(ObjectListView):
    area = "crews"
    queryset = Crew.objects.all()
    table_class = CrewTable
    filterset_class = CrewFilterSet


agent_detail = detail_view("agents", Agent)
crew_detail = detail_view("crews", Crew)
