"""The embedded profile's stand-in for Celery beat.

With no Redis there is no broker and the channel layer lives in the server's memory, so
the periodic tasks must run inside the server process for their pushes to reach open
sockets. This runs the same ``CELERY_BEAT_SCHEDULE`` entries on the server's event loop;
each task body runs in a worker thread, from which ``async_to_sync`` pushes hop back to
this loop. Interval entries only: crontab entries are the production beat's job.
"""

import asyncio
import logging
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings

logger = logging.getLogger(__name__)


def _interval_entries() -> list[tuple[str, str, float]]:
    entries = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if isinstance(entry["schedule"], timedelta):
            entries.append((name, entry["task"], entry["schedule"].total_seconds()))
    return entries


def _run_task(task_name: str) -> None:
    from marketplace.celery import app

    app.tasks[task_name].apply()


async def _run_every(name: str, task_name: str, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await sync_to_async(_run_task, thread_sensitive=False)(task_name)
        except Exception:
            logger.exception("periodic job %s failed", name)


async def lifespan_app(scope, receive, send) -> None:
    tasks: list[asyncio.Task] = []
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.INPROCESS_SCHEDULER:
                tasks = [asyncio.create_task(_run_every(*entry)) for entry in _interval_entries()]
                logger.info("in-process scheduler started with %d jobs", len(tasks))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            for task in tasks:
                task.cancel()
            await send({"type": "lifespan.shutdown.complete"})
            return
