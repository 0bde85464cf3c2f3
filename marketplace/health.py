"""Liveness probes for /healthz and readiness probes for /readyz, each bounded by a short
timeout so a dead dependency answers 503 quickly instead of hanging the probe."""

import asyncio
import time
import uuid

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from marketplace.celery import app as celery_app

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


# --- /readyz: the background half of the product ------------------------------------
# /healthz says the web process can reach its stores; /readyz adds whether the work that
# runs behind it (tasks, periodic jobs) is being done. A probe here returns its report when
# healthy and raises ProbeFailed with the words of what is wrong otherwise.

BEAT_HEARTBEAT_KEY = "health:beat:last_run"


class ProbeFailed(Exception):
    def __init__(self, report: str | dict) -> None:
        super().__init__(report)
        self.report = report


def wall_clock() -> float:
    """Seconds since the epoch; beat, worker and servers share it, unlike a monotonic clock.
    Its own name so tests can freeze it."""
    return time.time()


def record_beat_heartbeat() -> None:
    # No expiry: a heartbeat hours old reads as "stale, 4 h ago", more use than "never ran".
    cache.set(BEAT_HEARTBEAT_KEY, wall_clock(), timeout=None)


# When a worker last answered, by this process's monotonic clock: a good answer is reused
# for READYZ_WORKER_CACHE_SECONDS, so a storm of probes costs the broker one broadcast.
_worker_answered_at: float | None = None


def forget_worker_answer() -> None:
    global _worker_answered_at
    _worker_answered_at = None


def _workers_consuming(queue: str, *, timeout: float) -> list[str]:
    # Any worker is not enough: it must consume the queue this process sends tasks to.
    replies = celery_app.control.inspect(timeout=timeout).active_queues() or {}
    return [
        worker
        for worker, queues in replies.items()
        if any(q.get("name") == queue for q in queues or [])
    ]


async def probe_worker() -> str:
    global _worker_answered_at
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "ok (in-process)"  # embedded profile: the task runs in the caller
    now = time.monotonic()
    if (
        _worker_answered_at is not None
        and now - _worker_answered_at < settings.READYZ_WORKER_CACHE_SECONDS
    ):
        return OK
    wait = settings.READYZ_WORKER_PING_TIMEOUT_SECONDS
    # The realtime queue: a reply or an offer waits on it; a batch backlog can wait a while.
    queue = settings.CELERY_REALTIME_QUEUE
    # Off the event loop: kombu's broadcast blocks for the whole wait.
    workers = await sync_to_async(_workers_consuming, thread_sensitive=False)(queue, timeout=wait)
    if not workers:
        raise ProbeFailed(f"no worker on queue {queue!r} answered a ping within {wait:g} s")
    _worker_answered_at = now
    return OK


async def probe_beat() -> dict:
    # Not cache.aget: that waits for the request's one thread-sensitive thread, behind the
    # database probe, and a slow database would then read as a stopped beat.
    last_run = await sync_to_async(cache.get, thread_sensitive=False)(BEAT_HEARTBEAT_KEY)
    if last_run is None:
        raise ProbeFailed({"status": "never ran", "last_run_seconds_ago": None})
    # Clocks of two hosts may disagree by a little: never report a negative age.
    seconds_ago = max(0, round(wall_clock() - float(last_run)))
    if seconds_ago > settings.READYZ_BEAT_STALE_SECONDS:
        raise ProbeFailed({"status": "stale", "last_run_seconds_ago": seconds_ago})
    return {"status": OK, "last_run_seconds_ago": seconds_ago}


def _readiness_probes() -> dict[str, tuple]:
    """Each probe with its bound: the worker's includes the ping's own wait."""
    base = settings.HEALTH_PROBE_TIMEOUT_SECONDS
    worker = settings.READYZ_WORKER_PING_TIMEOUT_SECONDS + base
    return {
        **{name: (probe, base) for name, probe in PROBES.items()},
        "worker": (probe_worker, worker),
        "beat": (probe_beat, base),
    }


async def _run_readiness(probe, timeout: float) -> tuple[bool, str | dict]:
    try:
        report = await asyncio.wait_for(probe(), timeout=timeout)
    except ProbeFailed as failed:
        return False, failed.report
    except TimeoutError:
        return False, f"no answer within {timeout:g} s"
    except Exception as exc:  # a probe reports any failure as data, never raises
        return False, f"error: {type(exc).__name__}"
    return True, OK if report is None else report


async def check_readiness() -> tuple[bool, dict]:
    """The /readyz body: every part's report, and under "stale" the names of those failing."""
    probes = _readiness_probes()
    results = await asyncio.gather(
        *(_run_readiness(probe, timeout) for probe, timeout in probes.values())
    )
    body: dict = {}
    failing = []
    for name, (ok, report) in zip(probes, results, strict=True):
        body[name] = report
        if not ok:
            failing.append(name)
    if failing:
        body["stale"] = failing
    return not failing, body
