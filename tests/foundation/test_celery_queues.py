"""Celery queues by kind and time limits: every task of the project has a queue (realtime or
batch) and a soft time limit below its hard one, so a new task cannot be forgotten."""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from marketplace.celery import app
from tests.servers import ROOT, server_env


def project_tasks() -> dict:
    """Every registered task named after one of the project's packages (the names are the
    contract with queued messages, so some live in another app than their name says)."""
    app.loader.import_default_modules()  # what a worker does on start
    packages = {"marketplace", "core"} | {
        name for name in settings.INSTALLED_APPS if (ROOT / name / "__init__.py").exists()
    }
    tasks = {name: task for name, task in app.tasks.items() if name.split(".")[0] in packages}
    assert len(tasks) > 20  # found them, rather than vacuously passed
    return tasks


def test_every_project_task_is_routed_to_the_realtime_or_the_batch_queue():
    queues = {settings.CELERY_REALTIME_QUEUE, settings.CELERY_BATCH_QUEUE}
    routes = app.conf.task_routes

    unrouted = [name for name in project_tasks() if routes.get(name, {}).get("queue") not in queues]

    assert unrouted == []


def test_no_route_names_a_task_that_does_not_exist():
    assert set(app.conf.task_routes) - set(project_tasks()) == set()


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("tickets.tasks.assistant_reply", "realtime"),
        ("tickets.tasks.dispatch_offers", "realtime"),
        ("tickets.tasks.deliver_resolved_ticket_webhook", "realtime"),
        ("marketplace.tasks.beat_heartbeat", "realtime"),
        ("agents.tasks.plan_and_match_shifts", "batch"),
        ("payouts.tasks.send_payout", "batch"),
        ("agents.tasks.send_verification_email", "batch"),
        ("tickets.tasks.prepare_assistant", "batch"),
    ],
)
def test_a_task_goes_to_the_queue_of_its_kind(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_project_task_has_a_soft_time_limit_below_its_hard_one():
    def limits(task) -> tuple:
        return (
            task.soft_time_limit or app.conf.task_soft_time_limit,
            task.time_limit or app.conf.task_time_limit,
        )

    wrong = {
        name: limits(task)
        for name, task in project_tasks().items()
        if None in limits(task) or limits(task)[0] >= limits(task)[1]
    }

    assert wrong == {}


def test_no_hard_time_limit_outlasts_the_brokers_redelivery_of_unacknowledged_tasks():
    # acks_late: a task still running when Redis's visibility timeout passes is handed to a
    # second worker meanwhile.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    longest = max(task.time_limit or app.conf.task_time_limit for task in project_tasks().values())

    assert longest < visibility


def test_the_long_tasks_have_limits_of_their_own():
    tasks = project_tasks()

    for name in (
        "tickets.tasks.prepare_assistant",
        "agents.tasks.plan_and_match_shifts",
        "payouts.tasks.send_payout",
        "agents.tasks.send_surge_offers",
    ):
        assert tasks[name].soft_time_limit > settings.CELERY_TASK_SOFT_TIME_LIMIT, name


def test_the_queue_prefix_names_every_queue_and_beats_keys():
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.CELERY_TASK_DEFAULT_QUEUE, s.CELERY_REALTIME_QUEUE, "
        "s.CELERY_BATCH_QUEUE, sorted({r['queue'] for r in s.CELERY_TASK_ROUTES.values()}), "
        "s.CELERY_REDBEAT_KEY_PREFIX]))"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=server_env(CELERY_QUEUE_PREFIX="t1-"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(result.stdout) == [
        "t1-realtime",
        "t1-realtime",
        "t1-batch",
        ["t1-batch", "t1-realtime"],
        "t1-redbeat:",
    ]


def test_without_a_prefix_the_queues_are_realtime_and_batch():
    assert (settings.CELERY_REALTIME_QUEUE, settings.CELERY_BATCH_QUEUE) == ("realtime", "batch")
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "realtime"


def test_redbeat_sees_its_redis_settings_by_their_own_names_and_so_does_not_warn():
    names = {key.lower() for key in app.conf}

    assert {"redbeat_redis_url", "redbeat_redis_options"} <= names
    assert app.conf.redbeat_redis_url == settings.CELERY_REDBEAT_REDIS_URL
