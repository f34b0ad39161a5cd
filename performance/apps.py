from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "performance"

    def ready(self):
        from console.registry import Area, Panel, register, register_panel
        from console.roles import OPERATOR
        from performance.dashboard import latency_sparklines

        register(
            Area(
                "performance",
                "Performance",
                "performance:explorer",
                OPERATOR,
                model="performance.PerformanceLog",
                detail_url="performance:sample_detail",
                counted="Performance logs",
                order=50,
            )
        )
        register_panel(
            Panel("performance", "performance/_dashboard_latency.html", latency_sparklines)
        )
