from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = "Shifts and staffing"

    def ready(self) -> None:
        from workforce import receivers  # noqa: F401 - connects the receivers
