from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from tickets import consumers

# The protocol's "not found" (docs/protocol.md), as for a conversation token that matches
# no ticket.
CLOSE_NOT_FOUND = 4404


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other path: accepted only to be closed with 4404.

    Without a route, URLRouter raised ValueError, which the server answered with HTTP 500.
    Accepting first (rather than refusing the handshake, which servers answer with 403) lets
    a client tell "no such socket" apart from the origin check's refusal.
    """

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)


websocket_urlpatterns = [
    path("ws/chat/<conversation_token:token>/", consumers.CustomerChatConsumer.as_asgi()),
    path("ws/agent/", consumers.AgentConsumer.as_asgi()),
    # Last: whatever the routes above did not match, a garbage token included.
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
