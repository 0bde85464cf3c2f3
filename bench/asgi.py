"""The bench's ASGI entry: the product unchanged, plus a bare relay at /bench/relay/<room>/.

The bare relay is the floor the product is measured against: the same uvicorn process, the
same channel layer, the same JSON framing, and nothing else (no database, no checks). Two
sockets in one room hear each other's frames. Only the bench serves it; marketplace.asgi
never routes to it.
"""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import URLRouter
from django.urls import path

from marketplace.asgi import application as product_application


class BareRelayConsumer(AsyncJsonWebsocketConsumer):
    """Relay every frame to the other sockets of the room, through the channel layer."""

    async def connect(self) -> None:
        self.room = f"bench.relay.{self.scope['url_route']['kwargs']['room']}"
        await self.channel_layer.group_add(self.room, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.room, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.channel_layer.group_send(
            self.room, {"type": "relay", "frame": content, "sender": self.channel_name}
        )

    async def relay(self, message: dict[str, Any]) -> None:
        if message["sender"] != self.channel_name:
            await self.send_json(message["frame"])


bare_relay = URLRouter([path("bench/relay/<str:room>/", BareRelayConsumer.as_asgi())])


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"].startswith("/bench/relay/"):
        return await bare_relay(scope, receive, send)
    return await product_application(scope, receive, send)
