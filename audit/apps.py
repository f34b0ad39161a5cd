from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self):
        from audit.dashboard import latest_changes
        from audit.models import AuditLog, InetContainedOrEqual
        from console.registry import Area, Panel, register, register_panel
        from console.roles import Access, Role

        register(
            Area(
                "audit",
                "Audit trail",
                "audit:log_list",
                {Role.ADMIN: Access.READ, Role.AUDITOR: Access.READ},
                model="audit.AuditLog",
                detail_url="audit:log_detail",
                counted="Audit events",
                order=90,
            )
        )
        register_panel(Panel("audit", "audit/_dashboard_latest.html", latest_changes, order=90))
        # `ip_address__net_in`: registered here, not on import, like every lookup.
        AuditLog._meta.get_field("ip_address").register_lookup(InetContainedOrEqual)
