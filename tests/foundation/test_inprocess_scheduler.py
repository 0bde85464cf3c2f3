"""The embedded profile runs the beat schedule inside the server process."""

import asyncio
import threading

import pytest
from celery.schedules import crontab

from marketplace import scheduler


async def test_the_scheduler_runs_an_interval_job_again_and_again(settings, monkeypatch):
    ran = asyncio.Event()
    runs: list[str] = []

    def fake_run(task_name: str) -> None:
        runs.append(task_name)
        if len(runs) == 2:
            ran.set()

    monkeypatch.setattr(scheduler, "_run_task", fake_run)
    settings.CELERY_BEAT_SCHEDULE = {"tick": {"task": "x.tick", "schedule": 0.05}}
    (entry,) = scheduler._schedules()

    job = asyncio.create_task(scheduler._run_on_schedule(*entry))
    await asyncio.wait_for(ran.wait(), timeout=3)
    job.cancel()

    assert runs[:2] == ["x.tick", "x.tick"]


def test_crontab_entries_are_scheduled_too(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "nightly": {"task": "x.nightly", "schedule": crontab(minute=0, hour=3)},
    }

    ((name, task, schedule),) = scheduler._schedules()

    assert (name, task) == ("nightly", "x.nightly")
    assert schedule.is_due(schedule.now())[0] is False


async def run_lifespan() -> list[dict]:
    sent: list[dict] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    await scheduler.lifespan_app({"type": "lifespan"}, receive, send)
    return sent


async def test_the_lifespan_starts_the_scheduler_only_when_asked(settings):
    settings.INPROCESS_SCHEDULER = False
    settings.LANGUAGE_DETECTION = "off"

    sent = await run_lifespan()

    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_a_serving_process_loads_the_language_detector_off_the_event_loop(
    settings, monkeypatch
):
    settings.INPROCESS_SCHEDULER = False
    settings.LANGUAGE_DETECTION = "high"
    loaded = threading.Event()
    threads: list[str] = []

    def fake_warm_up() -> None:
        threads.append(threading.current_thread().name)
        loaded.set()

    monkeypatch.setattr(scheduler.language, "detector_warm_up", fake_warm_up)

    await run_lifespan()

    assert loaded.wait(timeout=3)
    assert threads == ["language-detector"]


async def test_with_detection_off_the_language_models_are_not_loaded(settings, monkeypatch):
    settings.INPROCESS_SCHEDULER = False
    settings.LANGUAGE_DETECTION = "off"
    monkeypatch.setattr(
        scheduler.language, "detector_warm_up", lambda: pytest.fail("loaded the models")
    )

    sent = await run_lifespan()

    assert sent[0]["type"] == "lifespan.startup.complete"


@pytest.mark.django_db(transaction=True)
async def test_a_periodic_task_run_by_the_scheduler_reaches_an_open_socket(settings):
    """What a background job changes reaches open sockets in the embedded profile."""
    from asgiref.sync import sync_to_async

    from tests.factories import QueuedTicketFactory
    from tests.tickets.wsclient import open_customer

    ticket = await sync_to_async(QueuedTicketFactory)()
    customer, _, _ = await open_customer(ticket.token)
    await customer.receive_type("status")

    tasks = {name: task for name, task, _ in scheduler._schedules()}
    await sync_to_async(scheduler._run_task, thread_sensitive=False)(
        tasks["refresh-queue-positions"]
    )
    status = await customer.receive_type("status")

    assert (status["status"], status["queue_position"]) == ("queued", 1)
    await customer.close()
