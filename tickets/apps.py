from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets and conversations"

    def ready(self) -> None:
        from tickets import receivers  # noqa: F401 - connects the receivers
