from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"

    def ready(self):
        from agents.dashboard import agents_by_status
        from console.registry import Area, Panel, register, register_panel
        from console.roles import OPERATOR

        register(
            Area(
                "agents",
                "Agents",
                "agents:agent_list",
                OPERATOR,
                model="agents.Agent",
                detail_url="agents:agent_detail",
                counted="Agents",
                order=30,
            ),
            Area(
                "crews",
                "Crews",
                "agents:crew_list",
                OPERATOR,
                model="agents.Crew",
                detail_url="agents:run_detail",
                counted="Crew runs",
                order=40,
            ),
        )
        register_panel(Panel("agents", "agents/_dashboard_status.html", agents_by_status))
