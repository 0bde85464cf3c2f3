"""/readyz: what /healthz checks, and whether the background work is being done — a Celery
worker consuming our queue answers, and beat ran its heartbeat lately."""

import asyncio
import os
import subprocess
import time

import pytest
from django.core.cache import cache

from marketplace import health, scheduler
from marketplace.tasks import beat_heartbeat
from tests.servers import ROOT, celery_worker_command, server_env

pytestmark = pytest.mark.django_db

NOW = 1_800_000_000.0  # the frozen wall clock of these tests


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(health, "wall_clock", lambda: NOW)


@pytest.fixture(autouse=True)
def _no_remembered_worker():
    health.forget_worker_answer()
    yield
    health.forget_worker_answer()


@pytest.fixture
def embedded(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def with_workers(settings):
    """The production profile's worker check, its answer given by the test."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_REALTIME_QUEUE = "realtime"


def beat_ran(seconds_ago: float) -> None:
    cache.set(health.BEAT_HEARTBEAT_KEY, NOW - seconds_ago, timeout=None)


def test_readyz_answers_200_when_everything_answers_in_the_embedded_profile(client, embedded):
    beat_ran(3)

    response = client.get("/readyz")

    assert (response.status_code, response.json()) == (
        200,
        {
            "database": "ok",
            "channel_layer": "ok",
            "broker": "ok",
            "worker": "ok (in-process)",
            "beat": {"status": "ok", "last_run_seconds_ago": 3},
        },
    )


def test_readyz_answers_200_with_a_worker_that_answers(client, with_workers, monkeypatch):
    monkeypatch.setattr(health, "_workers_consuming", lambda queue, timeout: ["w1@host"])
    beat_ran(3)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["worker"] == "ok"


def test_readyz_names_beat_when_it_never_ran(client, embedded):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["beat"] == {"status": "never ran", "last_run_seconds_ago": None}
    assert body["stale"] == ["beat"]
    assert body["worker"] == "ok (in-process)"


def test_readyz_names_beat_when_its_heartbeat_is_stale(client, embedded):
    beat_ran(412)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["beat"] == {"status": "stale", "last_run_seconds_ago": 412}
    assert body["stale"] == ["beat"]


def test_a_heartbeat_as_old_as_the_threshold_is_still_ok(client, embedded, settings):
    settings.READYZ_BEAT_STALE_SECONDS = 60
    beat_ran(60)

    assert client.get("/readyz").status_code == 200

    beat_ran(61)

    assert client.get("/readyz").json()["stale"] == ["beat"]


def test_readyz_names_the_worker_when_no_worker_answers_the_ping(client, with_workers, monkeypatch):
    monkeypatch.setattr(health, "_workers_consuming", lambda queue, timeout: [])
    beat_ran(3)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["worker"] == "no worker on queue 'realtime' answered a ping within 1 s"
    assert body["stale"] == ["worker"]
    assert body["beat"]["status"] == "ok"


def test_a_good_worker_answer_is_reused_so_a_probe_storm_pings_once(
    client, with_workers, monkeypatch
):
    pings = []

    def answering(queue, timeout):
        pings.append(queue)
        return ["w1@host"]

    monkeypatch.setattr(health, "_workers_consuming", answering)
    beat_ran(3)

    for _ in range(5):
        assert client.get("/readyz").status_code == 200

    assert len(pings) == 1


def test_a_missing_answer_is_not_reused(client, with_workers, monkeypatch):
    answers = iter([[], ["w1@host"]])
    monkeypatch.setattr(health, "_workers_consuming", lambda queue, timeout: next(answers))
    beat_ran(3)

    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").status_code == 200


def test_a_probe_that_raises_is_a_503_in_words_never_a_500(client, with_workers, monkeypatch):
    def broker_refuses(queue, timeout):
        raise ConnectionRefusedError("nothing listens")

    monkeypatch.setattr(health, "_workers_consuming", broker_refuses)
    beat_ran(3)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["worker"] == "error: ConnectionRefusedError"
    assert body["stale"] == ["worker"]


def test_a_probe_that_hangs_is_cut_short_and_named(client, embedded, settings, monkeypatch):
    async def hangs():
        await asyncio.Event().wait()

    monkeypatch.setattr(health, "probe_beat", hangs)
    settings.HEALTH_PROBE_TIMEOUT_SECONDS = 0.1

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["beat"] == "no answer within 0.1 s"
    assert response.json()["stale"] == ["beat"]


def test_a_cache_that_is_down_makes_beat_fail_in_words(client, embedded, cache_unreachable):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["beat"].startswith("error: ")
    assert response.json()["stale"] == ["beat"]


def test_the_heartbeat_task_records_when_it_ran():
    beat_heartbeat.delay()

    assert cache.get(health.BEAT_HEARTBEAT_KEY) == NOW


def test_beat_and_the_in_process_scheduler_run_the_heartbeat_every_15_seconds(settings):
    entries = {task: schedule for _, task, schedule in scheduler._schedules()}

    assert entries["marketplace.tasks.beat_heartbeat"].run_every.total_seconds() == 15
    scheduler._run_task("marketplace.tasks.beat_heartbeat")
    assert cache.get(health.BEAT_HEARTBEAT_KEY) == NOW


def test_readyz_refuses_post(client):
    assert client.post("/readyz").status_code == 405


def test_healthz_does_not_look_at_the_worker_or_beat(client, with_workers):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert set(response.json()) == {"database", "channel_layer", "broker"}


def until_worker_is(client, expected: str, *, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get("/readyz").json()
        if body["worker"] == expected or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_a_real_worker_answers_and_a_stopped_one_is_named(client, settings, monkeypatch):
    # A queue of this run's own: on a shared Redis, another run's worker consumes another
    # queue and does not count for ours.
    prefix = f"readyz-{os.getpid()}-{time.monotonic_ns()}-"
    queue = f"{prefix}realtime"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_REALTIME_QUEUE = queue
    settings.READYZ_WORKER_CACHE_SECONDS = 0  # every probe asks the broker

    # Beat is the tests' above; here it holds still, for another test run on the shared
    # Redis may clear the cache (and the heartbeat with it) while this one waits.
    async def beat_is_fine():
        return {"status": "ok", "last_run_seconds_ago": 3}

    monkeypatch.setattr(health, "probe_beat", beat_is_fine)
    worker = subprocess.Popen(  # noqa: S603 - this interpreter's celery, fixed arguments
        celery_worker_command(prefix),
        cwd=ROOT,
        env=server_env(CELERY_QUEUE_PREFIX=prefix),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = until_worker_is(client, "ok", timeout=60)
        assert body == {
            "database": "ok",
            "channel_layer": "ok",
            "broker": "ok",
            "worker": "ok",
            "beat": {"status": "ok", "last_run_seconds_ago": 3},
        }
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=20)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["worker"] == f"no worker on queue {queue!r} answered a ping within 1 s"
    assert body["stale"] == ["worker"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_and_metrics_are_not_redirected_to_https(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(path)

    assert response.status_code != 301
    assert client.get("/chat/").status_code == 301  # the rest of the site is redirected
