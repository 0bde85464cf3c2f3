"""Offer routing on the production stack: PostgreSQL, Redis, a uvicorn server, a Celery worker
and Celery beat, each a process of its own, with agents and a customer on real sockets.

The other dispatch tests run the task eagerly (tests/tickets/test_dispatch_triggers.py) or the
embedded profile's in-process sweep (tests/e2e/test_portal_offers.py); this one checks that a
trigger enqueued on commit reaches the worker through Redis, and that beat's one-second
`dispatch-offers` entry expires an offer and offers the ticket again.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import global_settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.factories import PASSWORD, AgentFactory
from tests.servers import (
    ROOT,
    celery_worker_command,
    delete_redis_keys,
    login_cookie,
    post_json,
    running_server,
    server_env,
)
from tickets.models import Offer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]

OFFER_TIMEOUT_SECONDS = 2


@pytest.fixture(autouse=True)
def _servers_hashers(settings):
    """Agents made here log in to a real server, which hashes passwords as production does."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


class Listener:
    """A socket whose frames a thread reads into a queue, so that frames to two agents can be
    awaited in whatever order they come."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: queue.Queue[dict] = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                self.frames.put(json.loads(self.ws.recv()))

    def send(self, frame: dict) -> None:
        self.ws.send(json.dumps(frame))

    def next_of(self, *types: str, timeout: float) -> dict:
        """The next frame of one of ``types``; frames of other types are passed over."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                frame = self.frames.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                raise TimeoutError(f"no {types} frame in {timeout} s") from None
            if frame["type"] in types:
                return frame

    def has_no(self, *types: str) -> bool:
        """Whether no frame of ``types`` arrived so far (other frames are passed over)."""
        while True:
            try:
                frame = self.frames.get_nowait()
            except queue.Empty:
                return True
            if frame["type"] in types:
                return False


@contextlib.contextmanager
def listening(url: str, headers: dict[str, str]) -> Iterator[Listener]:
    with connect(url, additional_headers=headers, open_timeout=10) as ws:
        listener = Listener(ws)
        yield listener
    listener.thread.join(timeout=5)


@contextlib.contextmanager
def celery_process(command: list[str], env: dict[str, str]) -> Iterator[Path]:
    """A Celery process of the product; yields the path of its log."""
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        process = subprocess.Popen(  # noqa: S603 - this interpreter's celery, fixed arguments
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield Path(log.name)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_for_log(path: Path, text: str, *, timeout: float) -> None:
    # A process's readiness shows only in its log: there is no frame to await.
    deadline = time.monotonic() + timeout
    while text not in path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{text!r} not logged in {timeout} s:\n{path.read_text()}")
        time.sleep(0.1)


def beat_command(schedule: Path) -> list[str]:
    """Celery beat with the product's schedule, its state file in ``schedule`` (the default
    scheduler's; with Redis, beat keeps its state there, under the queue prefix)."""
    return [
        sys.executable,
        *("-m", "celery", "-A", "marketplace", "beat"),
        *("--schedule", str(schedule), "--loglevel", "WARNING"),
    ]


def first_offer(agents: dict[str, Listener], *, timeout: float) -> tuple[str, dict]:
    """Whichever agent is offered the ticket first (the ranking's tie-breakers choose), and
    its offer frame."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, listener in agents.items():
            with contextlib.suppress(TimeoutError):
                return name, listener.next_of("offer", timeout=0.05)
    raise TimeoutError(f"no offer to any agent in {timeout} s")


def report(what: str, seconds: float) -> None:
    print(f"\n{what}: {seconds:.2f} s")  # noqa: T201 - timings read into docs/dispatch.md


def test_triggers_and_beats_sweep_offer_expire_and_reoffer_on_the_production_stack():
    AgentFactory(user__email="ana@example.com", is_online=False, connection_count=0)
    AgentFactory(user__email="ben@example.com", is_online=False, connection_count=0)
    # A queue of this run's own on the shared Redis: the worker consumes only it, and the
    # server, worker and beat send to it (CELERY_QUEUE_PREFIX).
    celery_prefix = f"dispatch-stack-{os.getpid()}-{time.monotonic_ns()}-"
    env = {
        "ROUTING_MODE": "offer",
        "OFFER_TIMEOUT_SECONDS": str(OFFER_TIMEOUT_SECONDS),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_QUEUE_PREFIX": celery_prefix,
    }
    # INFO for the worker's "ready." line; the later --loglevel wins.
    worker_command = [*celery_worker_command(celery_prefix), "--loglevel", "INFO"]
    with contextlib.ExitStack() as stack:
        stack.callback(delete_redis_keys, celery_prefix)  # beat's schedule and lock, the queues
        beat_schedule = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "schedule"
        base = stack.enter_context(running_server(**env))
        worker_log = stack.enter_context(celery_process(worker_command, server_env(**env)))
        wait_for_log(worker_log, " ready.", timeout=30)
        agents = {}
        for name in ("ana", "ben"):
            cookie = login_cookie(base, f"{name}@example.com", PASSWORD)
            agents[name] = stack.enter_context(
                listening(ws_url(base, "/ws/agent/"), {"Origin": base, "Cookie": cookie})
            )
            agents[name].next_of("assigned", timeout=10)

        conversation = post_json(f"{base}/api/v1/conversations/", {"name": "Sam Doe"})
        customer = stack.enter_context(
            listening(ws_url(base, f"/ws/chat/{conversation['token']}/"), {"Origin": base})
        )
        escalated_at = time.monotonic()
        customer.send({"type": "request_human"})

        # No beat yet: the offer can only come from the trigger the escalation enqueued on
        # commit, run by the worker.
        first, offer = first_offer(agents, timeout=5)
        offered_at = time.monotonic()
        report("escalation to offer (trigger, worker)", offered_at - escalated_at)
        (other,) = (name for name in agents if name != first)
        assert offer["expires_in"] == OFFER_TIMEOUT_SECONDS
        ticket_id = offer["ticket"]["id"]
        assert agents[other].has_no("offer")

        # The first agent lets it run out. Beat's `dispatch-offers`, every second, expires
        # it and offers the ticket to the other agent in the same round.
        stack.enter_context(celery_process(beat_command(beat_schedule), server_env(**env)))
        gone = agents[first].next_of("offer.gone", timeout=15)
        assert gone == {"type": "offer.gone", "offer": offer["offer"], "reason": "expired"}
        second = agents[other].next_of("offer", timeout=5)
        report("offer to re-offer (beat's sweep)", time.monotonic() - offered_at)
        assert second["ticket"]["id"] == ticket_id
        assert second["offer"] != offer["offer"]

        agents[other].send({"type": "accept", "offer": second["offer"]})
        claimed = agents[other].next_of("claim.ok", "offer.gone", timeout=5)
        assert claimed["type"] == "claim.ok"
        assert claimed["ticket"]["id"] == ticket_id
        status = customer.next_of("status", timeout=5)
        while status["status"] != "assigned":
            status = customer.next_of("status", timeout=5)
        assert agents[first].has_no("offer")  # not offered again to who let it run out

    outcomes = dict(Offer.objects.values_list("pk", "outcome"))
    assert outcomes == {
        offer["offer"]: Offer.Outcome.EXPIRED,
        second["offer"]: Offer.Outcome.ACCEPTED,
    }
