"""Several machines on one PostgreSQL and one Redis (issue #18): the product as it is deployed
beyond one box, started the way an operator starts it.

Three "machines", each `python -m marketplace.supervisor` in a process group of its own,
running the Procfile's lines as production does: A and B run `web` (uvicorn with two worker
processes each) on two ports, C runs `worker` and `beat` (the one beat of the deployment).
They share nothing but the test run's database and Redis. A customer chats on A, the agent
is online on B: the escalation made on A is offered by a round the worker on C runs, pushed
to the agent's socket on B, and the messages cross between A and B through the channel
layer. Then the other way round: the agent, with the session it logged in with on B, opens
a socket on A and a second customer on B is connected to it.

Beat runs because offers need it: the triggers (docs/dispatch.md, "Part 2: what is wired")
usually carry an escalation to an offer by themselves, but a round skips an agent or a
ticket whose row another transaction holds at that moment (the customer's next message
being stored, a presence write) and leaves it to the next round, which only the one-second
sweep guarantees. Without beat this test failed once in a dozen runs on a loaded two-core
machine: the escalation's round made no offer and nothing followed it.

Isolation on a shared Redis: the servers' Celery tasks go to queues of this run's own
(CELERY_QUEUE_PREFIX, which the worker line's -Q and beat's keys read), and their pub/sub
channels carry a prefix of its own (CHANNEL_LAYER_PREFIX), so another run's worker or servers
never see them.
The one shared key, the dispatch trigger's coalescing mark, is cleared before each test with
the rest of the cache (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import global_settings, settings
from websockets.sync.client import ClientConnection, connect

from tests.factories import PASSWORD, AgentFactory
from tests.servers import (
    ROOT,
    collect_static_once,
    delete_redis_keys,
    free_port,
    login_cookie,
    post_json,
    server_env,
)
from tickets.models import Message, Offer, Ticket

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        or not settings.REDIS_URL,
        reason="several machines share one PostgreSQL and one Redis: "
        "set DATABASE_URL and REDIS_URL (SQLite and the in-process layer are one machine's)",
    ),
    pytest.mark.skipif(
        not (ROOT / ".venv" / "bin" / "python").exists(),
        reason="the Procfile's lines run .venv/bin/uvicorn and .venv/bin/celery",
    ),
    pytest.mark.django_db(transaction=True),  # the servers read what the test commits
    pytest.mark.timeout(180),  # ~20 s idle; three times that on a loaded two-core CI box
]

# From Popen to /healthz answering: six processes import Django at once (two uvicorn workers
# a machine, the worker, beat), ~7 s on an idle two-core box and ~20 s on a loaded one.
START_SECONDS = 60
FRAME_SECONDS = 20  # an offer waits for the worker's first task, so its start is included
STOP_SECONDS = 20  # the supervisor's own stop timeout is 10 s


@pytest.fixture(autouse=True)
def _servers_hashers(settings):
    """The agent made here logs in to real servers, which hash passwords as production does."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@dataclass
class Machine:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def child_groups(self) -> set[int]:
        """The process groups of the Procfile processes it started (each its own session,
        so a group holds a process and whatever it forked: uvicorn's or Celery's workers)."""
        return {
            int(line.rsplit("pid ", 1)[1].rstrip(")"))
            for line in self.output().splitlines()
            if " started (pid " in line
        }


def live_members(groups: set[int]) -> list[str]:
    """Processes still running (not zombies) in any of ``groups``, as "pid command" lines."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            # "pid (comm) state ppid pgrp …": comm may hold spaces, so split after its ")".
            state, _ppid, pgrp = text.rsplit(")", 1)[1].split()[:3]
            if int(pgrp) in groups and state != "Z":
                found.append(f"{stat.parent.name} {text.split(' ', 2)[1]}")
    return found


def until(check: Callable[[], bool], *, timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


@contextlib.contextmanager
def machines() -> Iterator[list[Machine]]:
    """Yields the started machines (appended as they start); stops them all on the way out
    and fails if any process of theirs is left running."""
    started: list[Machine] = []
    try:
        yield started
    finally:
        for machine in started:
            if machine.popen.poll() is None:
                machine.popen.send_signal(signal.SIGTERM)  # it stops its children in order
        leftovers = []
        for machine in started:
            try:
                machine.popen.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                leftovers.append(f"{machine.name}: the supervisor ignored SIGTERM")
            groups = {machine.popen.pid, *machine.child_groups()}
            if not until(lambda g=groups: not live_members(g), timeout=STOP_SECONDS):
                leftovers.append(f"{machine.name}: {live_members(groups)}")
            for group in groups:  # whatever is left, so a failure leaves nothing behind
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, signal.SIGKILL)
        assert not leftovers, f"left running after SIGTERM: {leftovers}\n{outputs(started)}"


def start_machine(started: list[Machine], tmp_path: Path, name: str, **env: str) -> Machine:
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(  # noqa: S603 - this interpreter, the repository's supervisor
            [sys.executable, "-m", "marketplace.supervisor"],
            cwd=ROOT,
            env=server_env(PYTHONUNBUFFERED="1", **env),
            stdin=subprocess.DEVNULL,
            stdout=out,  # a file, not a pipe: nobody has to keep reading it
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a machine of its own: its own process group
        )
    started.append(Machine(name, popen, log))
    return started[-1]


def outputs(started: list[Machine]) -> str:
    return "\n".join(f"--- machine {m.name} ---\n{m.output()}" for m in started)


def healthz_status(base: str) -> int | None:
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(f"{base}/healthz", timeout=2) as response,  # noqa: S310
    ):
        return response.status
    return None


def wait_healthy(machine: Machine, base: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while healthz_status(base) != 200:
        if machine.popen.poll() is not None:
            raise AssertionError(f"machine {machine.name}'s supervisor exited")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{base}/healthz did not answer 200 in {START_SECONDS} s")
        time.sleep(0.1)


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


def frame_where(
    ws: ClientConnection, check: Callable[[dict], bool], *, timeout: float = FRAME_SECONDS
) -> dict:
    """The first frame ``check`` accepts, the others read past; TimeoutError lists them."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no such frame in {timeout} s; read past: {seen}")
        try:
            frame = json.loads(ws.recv(timeout=remaining))
        except TimeoutError:
            continue
        if check(frame):
            return frame
        seen.append(frame)


def said(sender: str, body: str, **where: object) -> Callable[[dict], bool]:
    """A check for the ``message`` frame of ``sender`` saying ``body`` (and ``where``)."""
    expected = {"type": "message", "sender": sender, "body": body, **where}
    return lambda frame: all(frame.get(key) == value for key, value in expected.items())


def test_a_customer_on_one_web_machine_and_an_agent_on_another_chat_through_offers(
    tmp_path, request
):
    agent = AgentFactory(is_online=False, connection_count=0, user__first_name="Bea")
    port_a, port_b = free_port(), free_port()
    run = f"two-machines-{os.getpid()}-{time.monotonic_ns()}"
    shared = {
        # This run's own realtime and batch queues and beat keys (the Procfile reads it).
        "CELERY_QUEUE_PREFIX": f"{run}-",
        "CHANNEL_LAYER_PREFIX": run,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "ROUTING_MODE": "offer",
        "DB_POOL_MAX_SIZE": "5",  # three machines on a PostgreSQL other runs share
        "HOST": "127.0.0.1",
    }
    # After the machines stop: this run's queues and beat's schedule and lock.
    request.addfinalizer(lambda: delete_redis_keys(shared["CELERY_QUEUE_PREFIX"]))
    collect_static_once()  # web runs with DEBUG off: pages need the manifest

    with machines() as started:
        try:
            # Two uvicorn processes on each web machine: the customer's and the agent's
            # sockets may land on either, as behind a load balancer.
            web = {"PROCESSES": "web", "WEB_CONCURRENCY": "2", **shared}
            a = start_machine(started, tmp_path, "A", PORT=str(port_a), **web)
            b = start_machine(started, tmp_path, "B", PORT=str(port_b), **web)
            c = start_machine(
                started,
                tmp_path,
                "C",
                PROCESSES="worker,beat",
                CELERY_CONCURRENCY="2",
                LOG_LEVEL="INFO",  # the task lines, read below
                **shared,
            )
            base_a, base_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
            wait_healthy(a, base_a)
            wait_healthy(b, base_b)

            assert healthz_status(base_a) == 200
            assert healthz_status(base_b) == 200

            # Logged in on B; the session is in the database, so it opens a socket on A too.
            cookie = login_cookie(base_b, agent.user.email, PASSWORD)
            with agent_socket(base_b, cookie) as on_b:
                tickets = [a_conversation(customer_base=base_a, staff=on_b, name="Ada Lovelace")]
                with agent_socket(base_a, cookie) as on_a:
                    tickets.append(
                        a_conversation(customer_base=base_b, staff=on_a, name="Grace Hopper")
                    )

            for ticket in tickets:
                assert ticket.agent_id == agent.pk
                offers = Offer.objects.filter(ticket=ticket).values_list("agent", "outcome")
                assert list(offers) == [(agent.pk, "accepted")]

            # The rounds that made the offers ran on C: the web machines enqueue, never run them.
            assert until(
                lambda: "tickets.tasks.dispatch_offers" in c.output(), timeout=FRAME_SECONDS
            ), "the worker machine ran no dispatch round"
        except Exception as failure:
            raise AssertionError(f"{failure!r}\n{outputs(started)}") from failure


@contextlib.contextmanager
def agent_socket(base: str, cookie: str) -> Iterator[ClientConnection]:
    headers = {"Origin": base, "Cookie": cookie}
    with connect(ws_url(base, "/ws/agent/"), additional_headers=headers) as ws:
        frame_where(ws, lambda f: f["type"] == "assigned")  # online: the connect frames came
        yield ws


def a_conversation(*, customer_base: str, staff: ClientConnection, name: str) -> Ticket:
    """A customer on ``customer_base`` asks for a person; the agent behind ``staff`` (a socket
    on another machine) is offered the ticket, accepts, and they chat both ways."""
    first = name.split()[0]
    # The customer as the chat page does: the page, a conversation, its socket.
    with urllib.request.urlopen(f"{customer_base}/chat/", timeout=10) as page:  # noqa: S310
        assert page.status == 200
    token = post_json(f"{customer_base}/api/v1/conversations/", {"name": name})["token"]
    with connect(
        ws_url(customer_base, f"/ws/chat/{token}/"), additional_headers={"Origin": customer_base}
    ) as customer:
        frame_where(customer, lambda f: f["type"] == "status")
        customer.send(json.dumps({"type": "request_human"}))
        frame_where(customer, lambda f: f["type"] == "status" and f["status"] == "queued")
        question = f"{first} here: charged twice?"
        customer.send(json.dumps({"type": "message", "client_id": "c1", "body": question}))
        frame_where(customer, lambda f: f["type"] == "ack" and f["client_id"] == "c1")
        ticket = Ticket.objects.get(token=token)

        # Offered by a round the worker ran, pushed to the agent's machine, accepted there.
        offer = frame_where(
            staff, lambda f: f["type"] == "offer" and f["ticket"]["id"] == ticket.pk
        )
        staff.send(json.dumps({"type": "accept", "offer": offer["offer"]}))
        claimed = frame_where(staff, lambda f: f["type"] in ("claim.ok", "offer.gone"))
        assert claimed["type"] == "claim.ok", claimed
        assert claimed["ticket"]["id"] == ticket.pk
        assert question in [m["body"] for m in claimed["ticket"]["transcript"]]
        connected = frame_where(
            customer, lambda f: f["type"] == "status" and f["status"] == "assigned"
        )
        assert connected["agent_name"] == "Bea"

        # The agent writes on its machine; the customer reads it on the other.
        reply = f"Hi {first}, let me look."
        staff.send(
            json.dumps({"type": "message", "ticket": ticket.pk, "client_id": "a1", "body": reply})
        )
        frame_where(staff, lambda f: f["type"] == "ack" and f["client_id"] == "a1")
        frame_where(customer, said("agent", reply))

        # And back.
        customer.send(json.dumps({"type": "message", "client_id": "c2", "body": "Thanks!"}))
        frame_where(customer, lambda f: f["type"] == "ack" and f["client_id"] == "c2")
        frame_where(staff, said("customer", "Thanks!", ticket=ticket.pk))

        staff.send(json.dumps({"type": "resolve", "ticket": ticket.pk}))
        frame_where(staff, lambda f: f["type"] == "resolve.ok" and f["ticket"] == ticket.pk)
        frame_where(customer, lambda f: f["type"] == "status" and f["status"] == "resolved")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert list(
        Message.objects.filter(ticket=ticket, sender__in=["customer", "agent"])
        .order_by("seq")
        .values_list("sender", "body")
    ) == [("customer", question), ("agent", reply), ("customer", "Thanks!")]
    return ticket
