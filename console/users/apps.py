from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "console.users"
    label = "users"
    verbose_name = "Users and roles"

    def ready(self):
        from console.registry import Area, register
        from console.roles import Access, Role

        register(
            Area(
                "users",
                "Users",
                "console:user_list",
                {
                    Role.ADMIN: Access.WRITE,
                    Role.EDITOR: Access.OWN,
                    Role.AUDITOR: Access.READ,
                    Role.VIEWER: Access.OWN,
                },
                model="console.Profile",
                detail_url="console:user_detail",
                counted="Users",
                order=10,
            )
        )
