from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self):
        from audit.dashboard import latest_changes
        from console.registry import Area, Panel, register, register_panel
        from console.roles import Access, Role

        register(
            Area(
                "audit",
                "Audit trail",
                "audit:log_list",
                {Role.ADMIN: Access.READ, Role.AUDITOR: Access.READ},
                model="console.AuditLog",
                detail_url="audit:log_detail",
                counted="Audit events",
                order=90,
            )
        )
        register_panel(Panel("audit", "audit/_dashboard_latest.html", latest_changes, order=90))
