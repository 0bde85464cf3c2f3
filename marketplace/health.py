"""Liveness probes for /healthz, each bounded by a short timeout so a dead dependency
answers 503 quickly instead of hanging the probe."""

import asyncio
import uuid

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

OK = "ok"


def _database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def probe_database() -> None:
    await sync_to_async(_database_answers, thread_sensitive=True)()


async def probe_channel_layer() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    marker = uuid.uuid4().hex
    await layer.send(channel, {"type": "health.probe", "marker": marker})
    message = await layer.receive(channel)
    if message.get("marker") != marker:
        raise RuntimeError("channel layer returned a different message")


async def probe_broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return  # embedded profile: tasks run in this process
    client = aioredis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        await client.ping()
    finally:
        await client.aclose()


PROBES = {
    "database": probe_database,
    "channel_layer": probe_channel_layer,
    "broker": probe_broker,
}


async def _run(probe) -> str:
    try:
        await asyncio.wait_for(probe(), timeout=settings.HEALTH_PROBE_TIMEOUT_SECONDS)
    except TimeoutError:
        return "timeout"
    except Exception as exc:  # a probe reports any failure as data, never raises
        return f"error: {type(exc).__name__}"
    return OK


async def check_all() -> dict[str, str]:
    results = await asyncio.gather(*(_run(probe) for probe in PROBES.values()))
    return dict(zip(PROBES, results, strict=True))
