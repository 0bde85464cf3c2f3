"""The shift tasks on a real Celery worker process, through Redis, against the test database.

The worker is started the way `make run` starts it in production, pointed at this test
run's database (tests/servers.server_env) and at a queue of its own, so that neither
another test run's worker nor ours takes the other's tasks from the shared Redis.
"""

import os
import subprocess
from datetime import timedelta

import pytest
from celery.backends.redis import RedisBackend
from celery.result import AsyncResult, allow_join_result
from django.conf import settings
from django.utils import timezone

from marketplace.celery import app as celery_app
from tests.factories import AgentFactory, QueuedTicketFactory, ShiftSlotFactory
from tests.servers import ROOT, celery_worker_command, server_env
from workforce import calendar
from workforce.models import ShiftAssignment, SurgePeriod
from workforce.tasks import check_surge, plan_and_match_shifts

ALWAYS = {day: [["00:00", "24:00"]] for day in calendar.WEEKDAY_KEYS}
QUEUE_PREFIX = f"shift-tests-{os.getpid()}-"
QUEUE = f"{QUEUE_PREFIX}batch"


@pytest.fixture
def worker():
    """A `celery worker` subprocess (solo pool) on our own queue; yields the result backend."""
    process = subprocess.Popen(
        celery_worker_command(QUEUE_PREFIX, "--result-backend", settings.REDIS_URL),
        cwd=ROOT,
        env=server_env(CELERY_QUEUE_PREFIX=QUEUE_PREFIX),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # really send, through Redis
    try:
        yield RedisBackend(app=celery_app, url=settings.REDIS_URL)
    finally:
        celery_app.conf.task_always_eager = previous
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if process.returncode not in (0, -15):
            print(output.decode(errors="replace"))  # noqa: T201 - shown only on failure


def run_on_worker(task, backend, *args, timeout: float = 90):
    sent = task.apply_async(args=args, queue=QUEUE, ignore_result=False)
    # Celery's "a task is running here" flag is one global, which eager tasks run by earlier
    # tests' threads at the same time can leave set (each restores what it saw on entry);
    # this is the test's own thread, waiting on a worker process, so joining is safe.
    with allow_join_result():
        return AsyncResult(sent.id, backend=backend, app=celery_app).get(timeout=timeout)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_the_worker_plans_and_matches_a_week(worker):
    week = calendar.next_week_start(timezone.now())
    slot = ShiftSlotFactory(
        starts_at=week + timedelta(hours=8),
        ends_at=week + timedelta(hours=12),
        headcount_required=1,
    )
    agent = AgentFactory(weekly_availability=ALWAYS)

    # No ticket history: the planner leaves the slot's headcount at 0 unless overridden.
    slot.headcount_override = 1
    slot.save(update_fields=["headcount_override"])
    offers = run_on_worker(plan_and_match_shifts, worker, week.date().isoformat())

    assert offers == 1
    assert ShiftAssignment.objects.get(slot=slot).agent == agent


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_the_worker_starts_a_surge(worker):
    QueuedTicketFactory(language="fr", escalated_at=timezone.now() - timedelta(minutes=10))

    run_on_worker(check_surge, worker)

    assert SurgePeriod.objects.get(language="fr").ended_at is None
