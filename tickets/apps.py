from django.apps import AppConfig
from django.urls import register_converter


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets and conversations"

    def ready(self) -> None:
        from tickets import checks, receivers  # noqa: F401 - registers them
        from tickets.assistant import embeddings
        from tickets.assistant_flow import DatabaseVectorStore
        from tickets.converters import ConversationTokenConverter

        # Here, before any urlconf or websocket route that names it is built.
        register_converter(ConversationTokenConverter, "conversation_token")
        embeddings.configure(store=DatabaseVectorStore())
