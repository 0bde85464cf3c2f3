"""Helpers to open the product's sockets in-process with Channels' communicator."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from marketplace.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def session_cookie_for(user) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


class Socket:
    """A communicator with JSON helpers and a receive that skips what a test ignores."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator

    async def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def receive_type(self, *types: str, timeout: float = 3) -> dict[str, Any]:
        """The next event of one of ``types``, skipping others (queue resyncs, statuses)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {types} event within {timeout}s")
            event = await self.receive(timeout=remaining)
            if event["type"] in types:
                return event

    async def nothing_more(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


async def open_customer(token: str, *, origin: tuple[bytes, bytes] = ORIGIN):
    communicator = WebsocketCommunicator(application, f"/ws/chat/{token}/", headers=[origin])
    connected, code = await communicator.connect()
    return Socket(communicator), connected, code


async def open_agent(user, *, origin: tuple[bytes, bytes] = ORIGIN):
    headers = [origin]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie_for)(user)))
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    connected, code = await communicator.connect()
    return Socket(communicator), connected, code
