from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "BillyGoat Console"

    def ready(self):
        from django.apps import apps

        from console.safejson import install_on_json_fields

        # A stored JSON value of any depth must not break a page (console/safejson.py).
        install_on_json_fields(apps.get_models())
