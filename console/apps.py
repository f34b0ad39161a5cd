from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "BillyGoat Console"

    def ready(self):
        from django.apps import apps
        from django.urls import register_converter

        import console.auth.checks  # noqa: F401 - registers the Supabase Auth checks
        from console.audit_log import AuditLog, InetContainedOrEqual
        from console.converters import TextConverter
        from console.registry import Area, register
        from console.roles import Access, Role
        from console.safejson import install_on_json_fields

        register_converter(TextConverter, "text")  # before any URLconf is read
        AuditLog._meta.get_field("ip_address").register_lookup(InetContainedOrEqual)
        # A stored JSON value of any depth must not break a page (console/safejson.py).
        install_on_json_fields(apps.get_models())
        # The system page is a core page: it names no app, so the core declares it.
        register(
            Area(
                "system",
                "System",
                "console:system",
                {Role.ADMIN: Access.READ, Role.AUDITOR: Access.READ},
                order=200,
            )
        )
