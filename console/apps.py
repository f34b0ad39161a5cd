from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "BillyGoat Console"

    def ready(self):
        from console.audit_log import AuditLog, InetContainedOrEqual

        AuditLog._meta.get_field("ip_address").register_lookup(InetContainedOrEqual)
