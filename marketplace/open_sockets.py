"""Open websocket connections, counted across every web process for /metrics.

Each web process counts its own accepted sockets by kind (an ASGI middleware outermost on
the websocket stack) and, in the production profile, publishes the counts to one Redis hash
(a field per process) when they change and every PUBLISH_SECONDS. A scrape, answered by any
one process, sums the fields written within STALE_SECONDS: a process that was killed stops
counting within that time, with nothing to clean up. In the embedded profile (and in tests, which
keep channels in process too) there is one process and the scrape reads its counts directly.

Counting never gets in the way of a socket: a Redis error is logged at DEBUG and the next
publication tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import socket
import time
from collections import Counter

import redis
import redis.asyncio as aioredis
from django.conf import settings

logger = logging.getLogger(__name__)

KEY = "humanline:open-websockets"
KINDS = ("agent", "customer")
PUBLISH_SECONDS = 10.0
STALE_SECONDS = 30.0
REDIS_TIMEOUT_SECONDS = 1.0

PROCESS = f"{socket.gethostname()}:{os.getpid()}"

_counts: Counter[str] = Counter()
_changed: asyncio.Event | None = None
_publisher: asyncio.Task | None = None


def socket_kind(path: str) -> str | None:
    if path.startswith("/ws/agent/"):
        return "agent"
    if path.startswith("/ws/chat/"):
        return "customer"
    return None


def this_process_counts() -> dict[str, int]:
    return {kind: _counts[kind] for kind in KINDS}


class OpenSocketCounter:
    """ASGI middleware: a socket counts from its accept until its handler returns."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        kind = socket_kind(scope.get("path", ""))
        if kind is None:
            await self.app(scope, receive, send)
            return
        accepted = False

        async def counting_send(message) -> None:
            nonlocal accepted
            await send(message)
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                _change(kind, +1)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                _change(kind, -1)


def _change(kind: str, delta: int) -> None:
    global _changed, _publisher
    _counts[kind] += delta
    if not settings.OPEN_SOCKETS_SHARED:
        return
    loop = asyncio.get_running_loop()
    if _publisher is None or _publisher.done() or _publisher.get_loop() is not loop:
        _changed = asyncio.Event()
        # A context of its own: the task outlives the connection that happened to start it,
        # whose ids (core.log_context) must not label its lines.
        _publisher = loop.create_task(_publish_forever(_changed), context=contextvars.Context())
    _changed.set()


async def _publish_forever(changed: asyncio.Event) -> None:
    client = aioredis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    while True:
        changed.clear()
        try:
            await client.hset(KEY, PROCESS, _publication())
        except Exception:  # noqa: BLE001 - a metric is never worth a socket: try again later
            logger.debug("could not publish the open websocket counts", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout=PUBLISH_SECONDS)


def _publication() -> str:
    return json.dumps({"at": time.time(), **this_process_counts()})


def open_socket_counts() -> dict[str, int]:
    """Open sockets by kind across every live process (this one alone without Redis)."""
    if not settings.OPEN_SOCKETS_SHARED:
        return this_process_counts()
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        published = client.hgetall(KEY)
        totals = dict.fromkeys(KINDS, 0)
        stale = []
        now = time.time()
        for process, raw in published.items():
            counts = json.loads(raw)
            if now - counts.get("at", 0) > STALE_SECONDS:
                stale.append(process)
                continue
            for kind in KINDS:
                totals[kind] += int(counts.get(kind, 0))
        if stale:
            client.hdel(KEY, *stale)
        return totals
    finally:
        client.close()
