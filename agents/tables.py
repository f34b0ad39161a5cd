import django_tables2 as tables

from agents.models import Agent, Crew
from console.columns import DateTimeColumn

STATUS_BADGE = "console/cells/status.html"


class AgentTable(tables.Table):
    name = tables.Column(linkify=("agents:agent_detail", {"pk": tables.A("pk")}))
    status = tables.TemplateColumn(template_name=STATUS_BADGE)
    last_activity = DateTimeColumn(format="Y-m-d H:i", default="—")
    updated_at = DateTimeColumn(verbose_name="Updated", format="Y-m-d H:i")

    is_active = tables.BooleanColumn(verbose_name="Active")

    class Meta:
        model = Agent
        fields = ("name", "type", "status", "is_active", "last_activity", "updated_at")
        order_by = ("name",)


class CrewTable(tables.Table):
    crew_name = tables.Column(
        verbose_name="Crew", linkify=("agents:crew_detail", {"pk": tables.A("pk")})
    )
    status = tables.TemplateColumn(template_name=STATUS_BADGE)
    last_execution = DateTimeColumn(format="Y-m-d H:i", default="—")

    is_active = tables.BooleanColumn(verbose_name="Active")

    class Meta:
        model = Crew
        fields = ("crew_name", "crew_type", "status", "is_active", "last_execution")
        order_by = ("crew_name",)
