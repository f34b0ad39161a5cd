from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "BillyGoat Console"

    def ready(self):
        from console.registry import Area, register
        from console.roles import Access, Role

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
