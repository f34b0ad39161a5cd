from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"

    def ready(self):
        from console.registry import Area, register
        from console.roles import OPERATOR

        register(
            Area(
                "deployments",
                "Deployments",
                "deployments:package_list",
                OPERATOR,
                model="deployments.Package",
                detail_url="deployments:package_detail",
                counted="Deployment packages",
                order=60,
            )
        )
