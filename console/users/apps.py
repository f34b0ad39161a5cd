from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "console.users"
    label = "users"
    verbose_name = "Users and roles"

    def ready(self):
        from django.db.models import CharField, TextField
        from django.db.models.functions import Lower

        from console.registry import Area, register
        from console.roles import Access, Role

        # `email__lower__startswith` in the users search (console/users/filters.py): the
        # expression of the index idx_profiles_email_lower. Registered once, here, not on import.
        CharField.register_lookup(Lower)
        TextField.register_lookup(Lower)

        register(
            Area(
                "users",
                "Users",
                "users:user_list",
                {
                    Role.ADMIN: Access.WRITE,
                    Role.EDITOR: Access.OWN,
                    Role.AUDITOR: Access.READ,
                    Role.VIEWER: Access.OWN,
                },
                model="users.Profile",
                detail_url="users:user_detail",
                counted="Users",
                order=10,
            )
        )
