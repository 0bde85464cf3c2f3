"""The fault suite: real processes, killed or starved, on PostgreSQL and Redis.

Each test starts what it breaks (a server process, a client process, a Redis of its own, a
Celery worker) and never touches the shared services beyond its own database sessions. The
periodic sweeps that Celery beat runs in production are called by the tests themselves, on
beat's behalf, so each recovery is timed from the fault to the healed state. Every wait is
bounded. docs/reliability.md reports the recovery times these tests print.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator

import psycopg
import pytest
from django.conf import global_settings
from django.db import connection
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from agents.models import Agent
from payouts.models import Payout
from tests.factories import PASSWORD, AgentFactory, QueuedTicketFactory
from tests.servers import (
    ROOT,
    celery_worker_command,
    free_port,
    login_cookie,
    running_server,
    running_server_process,
    server_env,
)
from tickets.models import Message, Offer, Ticket, TicketEvent
from tickets.tasks import requeue_tickets_of_departed_agents

pytestmark = [
    pytest.mark.fault,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

# Fast presence for the servers under test: heard every second, dead after two silent ones.
FAST_PRESENCE = {
    "ROUTING_MODE": "pick",  # the agents here claim from the open queue
    "AGENT_HEARTBEAT_SECONDS": "1",
    "AGENT_HEARTBEAT_TIMEOUT_SECONDS": "2",
    "AGENT_DISCONNECT_GRACE_SECONDS": "2",
    "AGENT_QUEUE_RESYNC_SECONDS": "1",
}


@pytest.fixture(autouse=True)
def _servers_hashers(settings):
    """Agents made here log in to real servers, which hash passwords as production does."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture
def fast_presence(settings):
    """The sweep runs here (on beat's behalf) with the servers' presence settings."""
    settings.AGENT_HEARTBEAT_SECONDS = 1
    settings.AGENT_HEARTBEAT_TIMEOUT_SECONDS = 2
    settings.AGENT_DISCONNECT_GRACE_SECONDS = 2


def report(fault: str, seconds: float) -> None:
    print(f"\nrecovery: {fault}: {seconds:.1f} s")  # noqa: T201 - read into docs/reliability.md


def until(check: Callable[[], bool], *, timeout: float, every: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


def next_of(ws: ClientConnection, *types: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {types} frame in {timeout} s")
        frame = json.loads(ws.recv(timeout=remaining))
        if frame["type"] in types:
            return frame


def agent_socket(base: str, cookie: str) -> ClientConnection:
    ws = connect(ws_url(base, "/ws/agent/"), additional_headers={"Origin": base, "Cookie": cookie})
    next_of(ws, "assigned")
    return ws


def ticket_status(ticket_id: int) -> str:
    return Ticket.objects.values_list("status", flat=True).get(pk=ticket_id)


def swept_back_to_the_queue(ticket_id: int) -> bool:
    requeue_tickets_of_departed_agents()  # what beat runs every 10 s
    return ticket_status(ticket_id) == Ticket.Status.QUEUED


# --- A socket that dies without a close frame ---------------------------------------------

FROZEN_AGENT = r"""
import json, sys, time
from websockets.sync.client import connect
url, cookie, origin, ticket = sys.argv[1:5]
ws = connect(url, additional_headers={"Cookie": cookie, "Origin": origin})
def next_of(*types):
    for _ in range(1000):
        frame = json.loads(ws.recv(timeout=20))
        if frame["type"] in types:
            return frame
next_of("assigned")
ws.send(json.dumps({"type": "claim", "ticket": int(ticket)}))
print(next_of("claim.ok", "claim.failed")["type"], flush=True)
time.sleep(600)
"""


def test_an_agent_whose_client_froze_loses_its_ticket_after_the_grace_period(fast_presence):
    agent = AgentFactory(is_online=False, connection_count=0)
    ticket = QueuedTicketFactory()
    with running_server(**FAST_PRESENCE) as base:
        cookie = login_cookie(base, agent.user.email, PASSWORD)
        client = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
            [
                sys.executable,
                "-c",
                FROZEN_AGENT,
                ws_url(base, "/ws/agent/"),
                cookie,
                base,
                str(ticket.pk),
            ],
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        try:
            ready, _, _ = select.select([client.stdout], [], [], 30)
            assert ready, "the agent client never claimed"
            assert client.stdout.readline().strip() == b"claim.ok"
            # Frozen, not closed: the TCP connection stays open, no frame and no FIN comes.
            os.kill(client.pid, signal.SIGSTOP)
            frozen_at = time.monotonic()

            assert until(lambda: swept_back_to_the_queue(ticket.pk), timeout=30)
            report("agent client frozen with its socket open", time.monotonic() - frozen_at)
        finally:
            client.kill()
            client.wait(timeout=10)


def test_an_agent_on_a_server_that_was_killed_loses_its_ticket_after_the_grace_period(
    fast_presence,
):
    agent = AgentFactory(is_online=False, connection_count=0)
    ticket = QueuedTicketFactory()
    with running_server_process(**FAST_PRESENCE) as (base, server):
        ws = agent_socket(base, login_cookie(base, agent.user.email, PASSWORD))
        ws.send(json.dumps({"type": "claim", "ticket": ticket.pk}))
        assert next_of(ws, "claim.ok", "claim.failed")["type"] == "claim.ok"

        server.kill()  # no close, no cleanup: its connection rows stay behind
        server.wait(timeout=10)
        killed_at = time.monotonic()

        assert until(lambda: swept_back_to_the_queue(ticket.pk), timeout=30)
        report("server process killed holding an agent socket", time.monotonic() - killed_at)
        with contextlib.suppress(Exception):
            ws.close()


# --- PostgreSQL backends terminated during claims, escalations and messages ----------------


SERVER_APPLICATION_NAME = "humanline-fault-server"


def server_database_url() -> str:
    """The test database, with a name on the server's sessions so only they are terminated."""
    url = server_env()["DATABASE_URL"]
    return f"{url}?application_name={SERVER_APPLICATION_NAME}"


class Terminator(threading.Thread):
    """Terminates every database session of the server under test, repeatedly."""

    def __init__(self, *, seconds: float, every: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.seconds, self.every = seconds, every
        self.terminated = 0

    def run(self) -> None:
        settings = connection.settings_dict
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"],
            user=settings["USER"],
            password=settings["PASSWORD"] or None,
            dbname=settings["NAME"],
            autocommit=True,
        ) as admin:
            deadline = time.monotonic() + self.seconds
            while time.monotonic() < deadline:
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = %s",
                    [SERVER_APPLICATION_NAME],
                ).fetchall()
                self.terminated += sum(1 for (done,) in rows if done)
                time.sleep(self.every)


def post_with_retry(url: str, payload: dict, *, timeout: float = 60) -> dict:
    """What a client does with a 503: wait a moment and ask again."""
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(  # noqa: S310 - loopback test server
            url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code != 503:  # a 503 is an outage to wait out; anything else is a failure
                raise
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not recover in {timeout} s")
        time.sleep(0.2)


class Retrying:
    """A socket client that behaves like the product's pages: it reconnects when closed and
    sends again what was answered ``unavailable`` (messages keep their client_id)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self.ws: ClientConnection | None = None
        self.closes: Counter[int] = Counter()

    def socket(self) -> ClientConnection:
        for _ in range(400):
            if self.ws is not None:
                return self.ws
            try:
                self.ws = connect(self.url, additional_headers=self.headers, open_timeout=10)
            except (OSError, InvalidStatus, TimeoutError):
                time.sleep(0.2)
        raise TimeoutError("could not reconnect")

    def request(self, frame: dict, *, done: Callable[[dict], bool], timeout: float = 60) -> dict:
        """Send ``frame`` until a frame ``done`` accepts arrives."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ws = self.socket()
            try:
                ws.send(json.dumps(frame))
                while True:
                    reply = json.loads(ws.recv(timeout=5))
                    if done(reply):
                        return reply
                    if reply["type"] == "error" and reply.get("code") == "unavailable":
                        time.sleep(0.2)
                        break
                    assert not (reply["type"] == "error" and reply.get("code") == "internal")
            except ConnectionClosed as closed:
                self.closes[closed.rcvd.code if closed.rcvd else 1006] += 1
                self.ws = None
            except TimeoutError:
                pass  # a lost reply: send again (resends are deduplicated)
        raise TimeoutError(f"no answer to {frame['type']} in {timeout} s")

    def frames(self, stop: threading.Event) -> Iterator[dict]:
        """Every frame the server pushes, reconnecting when closed, until ``stop``."""
        while not stop.is_set():
            ws = self.socket()
            try:
                yield json.loads(ws.recv(timeout=1))
            except TimeoutError:
                continue
            except ConnectionClosed:
                self.ws = None

    def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                self.ws.close()


def customer_journey(base: str, results: dict, index: int) -> None:
    conversation = post_with_retry(f"{base}/api/v1/conversations/", {"name": f"Customer {index}"})
    client = Retrying(ws_url(base, f"/ws/chat/{conversation['token']}/"), {"Origin": base})
    try:
        client.request(
            {"type": "request_human"},
            done=lambda f: f["type"] == "status" and f["status"] in ("queued", "assigned"),
        )
        for n in range(1, 4):
            client_id = f"c{index}-{n}"
            client.request(
                {"type": "message", "client_id": client_id, "body": f"question {n}"},
                done=lambda f, c=client_id: f["type"] == "ack" and f["client_id"] == c,
            )
        results[index] = (conversation["token"], client.closes)
    finally:
        client.close()


def agent_claims(base: str, cookie: str, stop: threading.Event, claimed: list) -> None:
    """Claims whatever its queue shows, until told to stop."""
    client = Retrying(ws_url(base, "/ws/agent/"), {"Origin": base, "Cookie": cookie})
    try:
        for frame in client.frames(stop):
            waiting = []
            if frame["type"] == "queue":
                waiting = [card["id"] for card in frame["tickets"]]
            elif frame["type"] == "ticket.new":
                waiting = [frame["ticket"]["id"]]
            for ticket_id in waiting:
                with contextlib.suppress(TimeoutError):
                    reply = client.request(
                        {"type": "claim", "ticket": ticket_id},
                        done=lambda f, t=ticket_id: (
                            f["type"] in ("claim.ok", "claim.failed")
                            and (f.get("ticket") == t or f.get("ticket", {}).get("id") == t)
                        ),
                        timeout=20,
                    )
                    if reply["type"] == "claim.ok":
                        claimed.append(ticket_id)
    finally:
        client.close()


def run_threads(targets: list[Callable[[], None]], *, timeout: float) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target) -> None:
        try:
            target()
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(t,), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors + [TimeoutError("a journey did not finish")] * sum(t.is_alive() for t in threads)


def agent_accepts(base: str, cookie: str, stop: threading.Event, accepted: list) -> None:
    """Accepts every offer it is made (offer routing), until told to stop."""
    client = Retrying(ws_url(base, "/ws/agent/"), {"Origin": base, "Cookie": cookie})
    try:
        for frame in client.frames(stop):
            if frame["type"] != "offer":
                continue
            offer_id, ticket_id = frame["offer"], frame["ticket"]["id"]
            with contextlib.suppress(TimeoutError):
                reply = client.request(
                    {"type": "accept", "offer": offer_id},
                    done=lambda f, o=offer_id, t=ticket_id: (
                        (f["type"] == "claim.ok" and f["ticket"]["id"] == t)
                        or (f["type"] == "offer.gone" and f["offer"] == o)
                    ),
                    timeout=20,
                )
                if reply["type"] == "claim.ok":
                    accepted.append(ticket_id)
    finally:
        client.close()


CUSTOMERS_IN_OUTAGE = 8


def through_a_database_outage(
    agent_loop: Callable[[str, str, threading.Event, list], None], **server: str
) -> tuple[dict, Terminator]:
    """Three agents running ``agent_loop`` and eight customers escalating and writing, on a
    server whose database sessions are terminated for 8 s; returns once every customer's
    ticket is assigned: the customers' results (index → token, closes) and the terminator."""
    crew = [AgentFactory(is_online=False, connection_count=0, capacity=5) for _ in range(3)]
    with running_server(DATABASE_URL=server_database_url(), **server) as base:
        cookies = [login_cookie(base, agent.user.email, PASSWORD) for agent in crew]
        stop, taken, results = threading.Event(), [], {}
        agents = [
            threading.Thread(target=agent_loop, args=(base, c, stop, taken), daemon=True)
            for c in cookies
        ]
        for agent in agents:
            agent.start()
        try:
            terminator = Terminator(seconds=8)
            terminator.start()
            started = time.monotonic()
            errors = run_threads(
                [
                    lambda i=i: customer_journey(base, results, i)
                    for i in range(CUSTOMERS_IN_OUTAGE)
                ],
                timeout=150,
            )
            terminator.join(timeout=30)
            assert not errors, errors
            tokens = [token for token, _ in results.values()]
            assert until(
                lambda: (
                    Ticket.objects.filter(token__in=tokens, status="assigned").count()
                    == CUSTOMERS_IN_OUTAGE
                ),
                timeout=60,
            ), (
                Counter(Ticket.objects.filter(token__in=tokens).values_list("status", flat=True)),
                list(Agent.objects.values_list("availability", "is_online", "connection_count")),
                Counter(Offer.objects.values_list("outcome", flat=True)),
            )
            report(
                f"PostgreSQL backends terminated for 8 s, {server['ROUTING_MODE']} routing",
                time.monotonic() - started,
            )
        finally:
            # Also on a failure: agents left running would outlive the server and fail the
            # next test's output with their reconnect errors.
            stop.set()
            for agent in agents:
                agent.join(timeout=30)
    assert terminator.terminated > 0
    return results, terminator


def test_terminating_database_backends_loses_no_escalation_or_message_and_makes_no_twins():
    results, _ = through_a_database_outage(agent_claims, ROUTING_MODE="pick")

    tokens = [token for token, _ in results.values()]
    tickets = list(Ticket.objects.filter(token__in=tokens))
    assert len(tickets) == CUSTOMERS_IN_OUTAGE
    index_of = {token: index for index, (token, _) in results.items()}
    for ticket in tickets:
        # One holder, from one claim; each acknowledged message stored exactly once.
        assert TicketEvent.objects.filter(ticket=ticket, to_status="assigned").count() == 1
        stored = Message.objects.filter(ticket=ticket, sender="customer")
        index = index_of[ticket.token]
        assert sorted(stored.values_list("client_id", flat=True)) == [
            f"c{index}-{n}" for n in range(1, 4)
        ]


def test_terminating_database_backends_in_offer_routing_leaves_every_ticket_taken_once():
    """The default routing through the same outage: escalations, dispatch rounds and accepts
    all lose their database sessions; every ticket still ends with exactly one agent, from one
    accepted offer, and no offer is left out. The rounds run in the server, as in the embedded
    profile (eager tasks; the one-second sweep on its in-process scheduler, which needs the
    server without Redis), so that the rounds lose their sessions too: a round that failed is
    made good by the next sweep."""
    results, _ = through_a_database_outage(
        agent_accepts,
        ROUTING_MODE="offer",
        REDIS_URL="",
        CELERY_TASK_ALWAYS_EAGER="1",
        INPROCESS_SCHEDULER="1",
    )

    tokens = [token for token, _ in results.values()]
    for ticket in Ticket.objects.filter(token__in=tokens):
        assert TicketEvent.objects.filter(ticket=ticket, to_status="assigned").count() == 1
        outcomes = Counter(Offer.objects.filter(ticket=ticket).values_list("outcome", flat=True))
        assert outcomes["accepted"] == 1, outcomes
        assert outcomes["pending"] == 0, outcomes
        assert Offer.objects.get(ticket=ticket, outcome="accepted").agent_id == ticket.agent_id


# --- A Redis of our own, restarted mid-chat ----------------------------------------------


@contextlib.contextmanager
def own_redis(port: int) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(  # noqa: S603 - the system's redis-server, loopback only
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert until(lambda: _redis_answers(port), timeout=10)
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def _redis_answers(port: int) -> bool:
    with contextlib.suppress(OSError):
        import socket

        with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
            probe.sendall(b"PING\r\n")
            return probe.recv(16).startswith(b"+PONG")
    return False


def healthy(base: str) -> bool:
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(f"{base}/healthz", timeout=2) as response,  # noqa: S310
    ):
        return response.status == 200
    return False


def agent_heard_messages(staff: Retrying, ticket_id: int) -> Callable[[], set[int]]:
    """A check that heals the agent's view like the portal: heartbeat, then resume the gap;
    returns the seqs the agent's socket has delivered so far."""
    heard: set[int] = set()

    def contiguous() -> int:
        seq = 0
        while seq + 1 in heard:
            seq += 1
        return seq

    def check() -> set[int]:
        reply = staff.request({"type": "heartbeat"}, done=lambda f: f["type"] == "heartbeat.ok")
        latest = reply["tickets"].get(str(ticket_id), 0)
        if latest > contiguous():

            def collect(frame: dict) -> bool:
                if frame["type"] == "message" and frame.get("ticket") == ticket_id:
                    heard.add(frame["seq"])
                return frame["type"] == "message" and frame["seq"] >= latest

            staff.request(
                {"type": "resume", "ticket": ticket_id, "after_seq": contiguous()}, done=collect
            )
        return heard

    return check


def test_a_redis_restart_mid_chat_loses_no_acknowledged_message():
    port = free_port()
    agent = AgentFactory(is_online=False, connection_count=0)
    with (
        own_redis(port) as redis,
        running_server(REDIS_URL=f"redis://127.0.0.1:{port}/0", ROUTING_MODE="pick") as base,
    ):
        cookie = login_cookie(base, agent.user.email, PASSWORD)
        conversation = post_with_retry(f"{base}/api/v1/conversations/", {"name": "Sam"})
        customer = Retrying(ws_url(base, f"/ws/chat/{conversation['token']}/"), {"Origin": base})
        staff = Retrying(ws_url(base, "/ws/agent/"), {"Origin": base, "Cookie": cookie})
        staff.socket()
        customer.request(
            {"type": "request_human"},
            done=lambda f: f["type"] == "status" and f["status"] == "queued",
        )
        ticket_id = Ticket.objects.get(token=conversation["token"]).pk
        staff.request(
            {"type": "claim", "ticket": ticket_id},
            done=lambda f: f["type"] == "claim.ok",
        )

        redis.kill()
        redis.wait(timeout=10)
        acked: list[int] = []

        def send_during_and_after_the_outage() -> None:
            for n in range(1, 6):
                reply = customer.request(
                    {"type": "message", "client_id": f"m{n}", "body": f"message {n}"},
                    done=lambda f, c=f"m{n}": f["type"] == "ack" and f["client_id"] == c,
                    timeout=90,
                )
                acked.append(reply["seq"])

        sender = threading.Thread(target=send_during_and_after_the_outage, daemon=True)
        sender.start()
        time.sleep(3)  # an outage of a few seconds, whatever the sender meanwhile does
        with own_redis(port):
            up_at = time.monotonic()
            assert until(lambda: healthy(base), timeout=60)
            report("Redis restarted: the service answers healthy", time.monotonic() - up_at)
            sender.join(timeout=120)
            assert len(acked) == 5

            # The agent hears of every acknowledged message: pushed, or found by the gap its
            # heartbeat reply shows and fetched with a resume, as the portal does.
            heard = agent_heard_messages(staff, ticket_id)
            assert until(lambda: set(acked) <= heard(), timeout=60)
            report("Redis restarted: every acknowledged message heard", time.monotonic() - up_at)
        customer.close()
        staff.close()

    stored = Message.objects.filter(ticket_id=ticket_id, sender="customer")
    assert sorted(stored.values_list("client_id", flat=True)) == [f"m{n}" for n in range(1, 6)]


# --- A Celery worker killed in the middle of a payout batch --------------------------------


@contextlib.contextmanager
def celery_worker(queue_prefix: str, **env: str) -> Iterator[subprocess.Popen]:
    """A `celery worker` process (solo pool) consuming the queues named with the prefix only."""
    process = subprocess.Popen(  # noqa: S603 - this interpreter's celery, fixed arguments
        celery_worker_command(queue_prefix),
        cwd=ROOT,
        env=server_env(CELERY_QUEUE_PREFIX=queue_prefix, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=20)


def test_a_worker_killed_mid_batch_pays_every_payout_exactly_once(fake_stripe_settings, settings):
    from payouts import tasks
    from tests.payouts.test_payout_exactly_once import (
        agents_with_payable_lines,
        assert_paid_exactly_once,
    )

    fake = fake_stripe_settings
    settings.PAYOUT_MINIMUM_CENTS = 1000
    agents_with_payable_lines(fake)
    prefix = f"fault-payouts-{os.getpid()}-"
    queue = f"{prefix}batch"  # where the worker's settings route the payout tasks
    worker_env = {
        "STRIPE_API_BASE": fake.url,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "PAYOUT_MINIMUM_CENTS": "1000",
        "PAYOUT_SEND_LEASE_SECONDS": "2",
    }
    reached, release = fake.pause_after_commit("/v1/transfers", method="POST")
    celery_app = tasks.run_payouts.app
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # really through Redis, to real workers
    try:
        with celery_worker(prefix, **worker_env) as first:
            tasks.run_payouts.apply_async(queue=queue)
            assert reached.wait(timeout=90), "the batch never reached Stripe"
            first.kill()  # SIGKILL: Stripe made a transfer the worker never recorded
            first.wait(timeout=20)
            killed_at = time.monotonic()
        release.set()

        with celery_worker(prefix, **worker_env):
            # What beat does every minute: drain the outbox of due payouts.
            def everything_paid() -> bool:
                tasks.drain_payouts.apply_async(queue=queue)
                return not Payout.objects.exclude(status=Payout.Status.PAID).exists()

            assert until(everything_paid, timeout=90, every=2)
            report("Celery worker killed mid payout batch", time.monotonic() - killed_at)
    finally:
        release.set()
        celery_app.conf.task_always_eager = previous

    assert_paid_exactly_once(fake)
