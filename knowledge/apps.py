from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"

    def ready(self):
        from console.registry import Area, register
        from console.roles import Access, Role

        register(
            Area(
                "knowledge",
                "Knowledge base",
                "knowledge:entry_list",
                {
                    Role.ADMIN: Access.WRITE,
                    Role.EDITOR: Access.WRITE,
                    Role.AUDITOR: Access.READ,
                    Role.VIEWER: Access.READ_ACTIVE,
                },
                model="knowledge.Entry",
                detail_url="knowledge:entry_detail",
                counted="Knowledge entries",
                order=20,
            )
        )
