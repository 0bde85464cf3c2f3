"""The embedded profile's stand-in for Celery beat.

With no Redis there is no broker and the channel layer lives in the server's memory, so
the periodic tasks must run inside the server process for their pushes to reach open
sockets. This runs the same ``CELERY_BEAT_SCHEDULE`` entries, intervals and crontabs alike,
on the server's event loop; each task body runs in a worker thread, from which
``async_to_sync`` pushes hop back to this loop.
"""

import asyncio
import logging
import threading
from datetime import timedelta

from asgiref.sync import sync_to_async
from celery.schedules import BaseSchedule
from celery.schedules import schedule as every
from django.conf import settings

from marketplace.celery import app
from tickets import language

logger = logging.getLogger(__name__)


def _schedules() -> list[tuple[str, str, BaseSchedule]]:
    # What a worker does on start: import every app's tasks module, registering the tasks.
    app.loader.import_default_modules()
    entries = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        if isinstance(schedule, timedelta | int | float):
            schedule = every(run_every=schedule, app=app)
        entries.append((name, entry["task"], schedule))
    return entries


def _run_task(task_name: str) -> None:
    app.tasks[task_name].apply()


async def _run_on_schedule(name: str, task_name: str, schedule: BaseSchedule) -> None:
    last_run = schedule.now()  # like beat: the first run comes one period after start
    while True:
        is_due, wait_seconds = schedule.is_due(last_run)
        if is_due:
            last_run = schedule.now()
            try:
                await sync_to_async(_run_task, thread_sensitive=False)(task_name)
            except Exception:
                logger.exception("periodic job %s failed", name)
        await asyncio.sleep(max(wait_seconds, 0.05))


async def lifespan_app(scope, receive, send) -> None:
    tasks: list[asyncio.Task] = []
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.LANGUAGE_DETECTION != "off":
                # Only a serving process loads the language models (seconds, about 250 MB;
                # tickets/language.py), on a thread of its own so the server starts at once
                # and the first customer's first message does not wait for them.
                threading.Thread(
                    target=language.detector_warm_up, name="language-detector", daemon=True
                ).start()
            if settings.INPROCESS_SCHEDULER:
                tasks = [asyncio.create_task(_run_on_schedule(*entry)) for entry in _schedules()]
                logger.info("in-process scheduler started with %d jobs", len(tasks))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            for task in tasks:
                task.cancel()
            await send({"type": "lifespan.shutdown.complete"})
            return
