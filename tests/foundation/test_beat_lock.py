"""Beat is safe to start twice: two `celery beat` processes on one Redis send each periodic
job once, and when the one holding the lock dies the other takes over within the lock's
timeout (celery-redbeat, settings "Beat").

Real processes, no worker: the messages beat sends wait in Redis, in the list kombu keeps
for the queue (named after it), where the test counts them. Everything runs under a queue
prefix of the test's own, which also prefixes beat's keys, all deleted afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from tests.servers import LineReadingProcess, delete_redis_keys, server_env

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

HEARTBEAT_SECONDS = 1
LOOP_SECONDS = 1  # how often the holder renews the lock and a waiting beat tries it
LOCK_TIMEOUT_SECONDS = 4
HEARTBEAT = "marketplace.tasks.beat_heartbeat"


class Beat(LineReadingProcess):
    """A `celery beat` process of the product, its log lines readable as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(
            [sys.executable, "-m", "celery", "-A", "marketplace", "beat", "--loglevel", "INFO"],
            env=env,
        )


@pytest.fixture
def beats() -> Iterator:
    """Start beats under a queue prefix of this test's own; stop them and delete every key
    they and their messages left in Redis."""
    prefix = f"beat-lock-{os.getpid()}-{time.monotonic_ns()}-"
    env = server_env(
        CELERY_QUEUE_PREFIX=prefix,
        CELERY_TASK_ALWAYS_EAGER="0",
        BEAT_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        CELERY_BEAT_MAX_LOOP_INTERVAL=str(LOOP_SECONDS),
        BEAT_LOCK_TIMEOUT_SECONDS=str(LOCK_TIMEOUT_SECONDS),
        LOG_LEVEL="INFO",
    )
    client = redis.Redis.from_url(settings.REDIS_URL)
    started: list[Beat] = []

    def start() -> Beat:
        started.append(Beat(env))
        return started[-1]

    def heartbeats_queued() -> int:
        """Heartbeat messages waiting in the realtime queue (no worker takes them)."""
        raw = client.lrange(f"{prefix}realtime", 0, -1)
        return sum(json.loads(message)["headers"]["task"] == HEARTBEAT for message in raw)

    try:
        yield start, heartbeats_queued
    finally:
        for beat in started:
            beat.stop()
        client.close()
        delete_redis_keys(prefix)


def count_over(heartbeats_queued, seconds: float) -> tuple[int, float]:
    """Heartbeats queued during about ``seconds``, and the exact time it took."""
    before, started_at = heartbeats_queued(), time.monotonic()
    time.sleep(seconds)  # a rate is counted over a span: nothing to wait for instead
    return heartbeats_queued() - before, time.monotonic() - started_at


def until(condition, *, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


@pytest.mark.timeout(120)
def test_a_second_beat_does_not_double_a_periodic_job_and_takes_over_when_the_first_dies(
    beats,
):
    start, heartbeats_queued = beats
    first = start()
    assert first.logged("beat: Acquired lock", timeout=30), "\n".join(first.seen)
    assert until(lambda: heartbeats_queued() >= 2, timeout=10)
    second = start()
    # The second is up, and waits at the lock rather than scheduling.
    assert second.logged("beat: Starting...", timeout=30), "\n".join(second.seen)

    sent, took = count_over(heartbeats_queued, 6)

    expected = took / HEARTBEAT_SECONDS
    assert expected - 2 <= sent <= expected + 2, (sent, took)  # one beat's worth, not two
    assert not second.logged("beat: Acquired lock", timeout=0.1)

    first.popen.send_signal(signal.SIGKILL)  # no chance to release the lock: it must expire
    first.popen.wait(timeout=20)
    killed_at = time.monotonic()
    assert second.logged("beat: Acquired lock", timeout=LOCK_TIMEOUT_SECONDS + LOOP_SECONDS + 5)
    took_over = time.monotonic() - killed_at
    assert took_over <= LOCK_TIMEOUT_SECONDS + LOOP_SECONDS + 1, took_over

    # The heartbeat keeps coming, from the second beat alone, at the same rate.
    sent, took = count_over(heartbeats_queued, 4)
    expected = took / HEARTBEAT_SECONDS
    assert expected - 2 <= sent <= expected + 2, (sent, took)
    print(f"\nbeat lock taken over {took_over:.1f} s after the holder was killed")  # noqa: T201
