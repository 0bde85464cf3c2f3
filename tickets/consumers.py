"""The two websocket edges of the protocol (docs/protocol.md). They parse a frame, check
who is asking, call a service and reply; the rules live in tickets.services."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from agents import services as agent_services
from tickets import assistant_flow, events, messages, protocol, services
from tickets.frames import AGENT_FRAMES, CUSTOMER_FRAMES, FrameError, FrameRateLimiter, parse_frame
from tickets.models import Ticket
from tickets.services import TicketError

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403


# Sized to the connection pool (settings.DB_CALL_THREADS), not the event loop's default
# executor of cpu_count + 4 threads.
_database_calls = ThreadPoolExecutor(
    max_workers=settings.DB_CALL_THREADS, thread_name_prefix="database-call"
)


def parallel_database_call(function):
    """``database_sync_to_async`` on a thread of a pool rather than the one database thread
    a process otherwise shares: for the hot, self-contained services (messages, claims,
    escalations), which take their own row locks and commit before returning, so several
    sockets' calls can wait on the database at once (docs/performance.md). A socket still
    handles its frames one at a time, so its own messages keep their order."""
    return database_sync_to_async(function, thread_sensitive=False, executor=_database_calls)


def _push_text(message: dict[str, Any]) -> str:
    # A push from a process of the previous release, during a deploy, has no text yet.
    return message.get("text") or events.frame_text(message["event"])


class ProtocolConsumer(AsyncWebsocketConsumer):
    """Frame handling shared by both sockets: rate limit, schema, dispatch, errors."""

    frame_schemas: dict = {}
    groups_joined: list[str]

    async def send_json(self, event: dict[str, Any]) -> None:
        await self.send(text_data=events.frame_text(event))

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first hops to a thread to close stale database connections,
        # for every frame and every push (~11 % of the relay's time, docs/performance.md).
        # Every database call here goes through database_sync_to_async, which does exactly
        # that in the database thread, before and after; a push never touches the database.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def leave_all(self) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def receive(self, text_data=None, bytes_data=None):
        if not self.limiter.allow():
            await self.send_error(
                "rate_limited",
                f"At most {self.limiter.limit} frames a second; this one was dropped.",
            )
            return
        try:
            frame_type, data = parse_frame(text_data, self.frame_schemas)
        except FrameError as error:
            await self.send_json(error.as_event())
            return
        handler = getattr(self, "on_" + frame_type)
        try:
            await handler(**data)
        except TicketError as error:
            event = {"type": "error", "code": error.code, "detail": error.detail}
            if "ticket" in data:
                event["ticket"] = data["ticket"]
            await self.send_json(event)

    async def push(self, message: dict[str, Any]) -> None:
        await self.send(text_data=_push_text(message))


class CustomerChatConsumer(ProtocolConsumer):
    frame_schemas = CUSTOMER_FRAMES

    async def connect(self):
        self.groups_joined = []
        self.limiter = FrameRateLimiter()
        self.token = self.scope["url_route"]["kwargs"]["token"]
        ticket = await database_sync_to_async(protocol.ticket_for_token)(self.token)
        await self.accept()
        if ticket is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.ticket_id = ticket.pk
        await self.join(events.chat_group(ticket.pk))
        status = await database_sync_to_async(protocol.customer_status_on_connect)(ticket)
        await self.send_json(status)

    async def disconnect(self, code):
        await self.leave_all()

    async def on_message(self, *, client_id: str, body: str) -> None:
        (message, created), pushes = await parallel_database_call(events.call_holding_pushes)(
            messages.message_post_customer,
            token=self.token,
            client_id=client_id,
            body=body,
            ask_assistant=False,
        )
        await self.send_json({"type": "ack", "client_id": client_id, "seq": message.seq})
        await events.send_pushes(pushes)
        # message.ticket is the row as it was locked for the insert: no query here, and no
        # second database call at all once a person has the conversation.
        if created and message.ticket.status == Ticket.Status.BOT:
            # After the ack: in the embedded profile the assistant's task runs in this call.
            await database_sync_to_async(messages.assistant_reply_request)(
                ticket_id=self.ticket_id, customer_seq=message.seq
            )

    async def on_request_human(self) -> None:
        # A pool thread, like messages: at a burst of escalations this call queued behind
        # itself on the one database thread, for seconds before the ticket reached the queue.
        _, pushes = await parallel_database_call(events.call_holding_pushes)(
            assistant_flow.conversation_request_human, ticket_id=self.ticket_id
        )
        await events.send_pushes(pushes)

    async def on_typing(self) -> None:
        await database_sync_to_async(protocol.customer_typing)(ticket_id=self.ticket_id)

    async def on_resume(self, *, after_seq: int) -> None:
        messages = await database_sync_to_async(protocol.transcript_for_customer)(
            ticket_id=self.ticket_id, after_seq=after_seq
        )
        for message in messages:
            await self.send_json(message)

    async def on_rate(self, *, score: int, comment: str) -> None:
        await database_sync_to_async(services.ticket_rate)(
            token=self.token, score=score, comment=comment
        )
        await self.send_json({"type": "rate.ok", "score": score})

    async def on_heartbeat(self) -> None:
        await database_sync_to_async(services.customer_seen)(ticket_id=self.ticket_id)
        await self.send_json({"type": "heartbeat.ok"})


class AgentQueueResync:
    """Heal lost pushes: every agent socket of this process gets its queue as the database has
    it, every AGENT_QUEUE_RESYNC_SECONDS.

    One timer and one database call per process for all sockets (protocol.agents_resync),
    rather than a task and a database call per socket: with 200 agents that was 50 calls a
    second on the process's one database thread, each with a connection and an UPDATE, and
    an asyncio task held by every idle socket. The timer runs while sockets are registered.
    """

    def __init__(self) -> None:
        # Each socket with the event loop it lives on: a server has one, a test run several.
        self.sockets: dict[AgentConsumer, asyncio.AbstractEventLoop] = {}
        self.task: asyncio.Task | None = None

    def add(self, consumer: AgentConsumer) -> None:
        loop = asyncio.get_running_loop()
        self.sockets[consumer] = loop
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self.run())

    def discard(self, consumer: AgentConsumer) -> None:
        self.sockets.pop(consumer, None)

    async def run(self) -> None:
        while self.sockets:
            await asyncio.sleep(settings.AGENT_QUEUE_RESYNC_SECONDS)
            loop = asyncio.get_running_loop()
            for consumer in [c for c, on in self.sockets.items() if on.is_closed()]:
                self.discard(consumer)
            sockets = [c for c, on in self.sockets.items() if on is loop and c.agent is not None]
            if not sockets:
                continue
            try:
                snapshots = await database_sync_to_async(protocol.agents_resync)(
                    agent_ids=sorted({c.agent.pk for c in sockets})
                )
            except Exception:
                logger.exception("queue resync failed for %d agent sockets", len(sockets))
                continue
            texts: dict[int, str] = {}  # one serialisation per shared queue event
            sends = []
            for consumer in sockets:
                snapshot = snapshots.get(consumer.agent.pk)
                text = ""
                if snapshot is not None:
                    event = snapshot.queue_event
                    text = texts.get(id(event))
                    if text is None:
                        text = texts[id(event)] = events.frame_text(event)
                        for ticket in event["tickets"]:
                            claims.seen_queued(ticket["id"])
                sends.append(consumer.resync(snapshot, text))
            # Together, so one slow socket does not hold up the others' resync.
            for outcome in await asyncio.gather(*sends, return_exceptions=True):
                if isinstance(outcome, Exception):
                    logger.warning("queue resync of one agent socket failed: %r", outcome)


queue_resync = AgentQueueResync()


async def _claim_in_database(*, agent_id: int, ticket_id: int) -> tuple[dict, events.Pushes]:
    return await parallel_database_call(events.call_holding_pushes)(
        protocol.agent_claim, agent_id=agent_id, ticket_id=ticket_id
    )


class ClaimCoalescer:
    """At most one claim per ticket goes to the database at a time from this process, and a
    claim for a ticket this process has just seen leave the queue is refused at once.

    When a ticket is announced every waiting agent claims it within a few milliseconds, and
    all but one lose: each loser used to cost a thread hop and a database read (the largest
    share of the server's time in the claim race, docs/performance.md). Claims for a ticket
    that already has one in flight here wait for it instead; if it won or found the ticket
    taken, they are answered ``taken`` without the database. Any other outcome (this agent
    is at capacity, lacks a skill) says nothing about the ticket, so the next waiter goes to
    the database itself. The database's conditional UPDATE still decides every winner; this
    only answers, earlier, what the service's own first read would have said.

    What was seen leaving is remembered for TAKEN_MEMORY_SECONDS at most, and forgotten as
    soon as the ticket is announced again (released back to the queue) or a queue resync
    shows it queued, so a ticket that comes back is never refused for long, even if its
    push was lost.
    """

    TAKEN_MEMORY_SECONDS = 10.0
    TAKEN_MEMORY_SIZE = 10_000

    def __init__(
        self,
        claim_in_database: Callable[..., Awaitable[tuple[dict, events.Pushes]]] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.claim_in_database = claim_in_database or _claim_in_database
        self.clock = clock
        self.in_flight: dict[int, asyncio.Future] = {}
        self.taken_at: dict[int, float] = {}  # ticket id -> when it was seen taken

    def forget(self) -> None:
        self.taken_at.clear()

    def seen_taken(self, ticket_id: int) -> None:
        self.taken_at.pop(ticket_id, None)  # re-inserted last: the dict stays in time order
        self.taken_at[ticket_id] = self.clock()
        if len(self.taken_at) > self.TAKEN_MEMORY_SIZE:
            del self.taken_at[next(iter(self.taken_at))]

    def seen_queued(self, ticket_id: int) -> None:
        self.taken_at.pop(ticket_id, None)

    def known_taken(self, ticket_id: int) -> bool:
        seen = self.taken_at.get(ticket_id)
        if seen is None:
            return False
        if self.clock() - seen > self.TAKEN_MEMORY_SECONDS:
            del self.taken_at[ticket_id]
            return False
        return True

    async def claim(self, *, agent_id: int, ticket_id: int) -> tuple[dict, events.Pushes]:
        """The reply for the claimer, and the pushes its claim made, for the caller to send
        once the claimer has its reply (waiters are released before either)."""
        loop = asyncio.get_running_loop()
        while True:
            if self.known_taken(ticket_id):
                return {"type": "claim.failed", "ticket": ticket_id, "reason": "taken"}, []
            pending = self.in_flight.get(ticket_id)
            if pending is None or pending.get_loop() is not loop:
                break
            # asyncio.wait, not await: a waiter whose socket closes must not cancel the claim
            # it is waiting on.
            await asyncio.wait({pending})
        done = loop.create_future()
        self.in_flight[ticket_id] = done
        try:
            reply, pushes = await self.claim_in_database(agent_id=agent_id, ticket_id=ticket_id)
            if reply["type"] == "claim.ok" or reply.get("reason") == "taken":
                self.seen_taken(ticket_id)
            return reply, pushes
        finally:
            if self.in_flight.get(ticket_id) is done:
                del self.in_flight[ticket_id]
            done.set_result(None)


claims = ClaimCoalescer()


class AgentConsumer(ProtocolConsumer):
    frame_schemas = AGENT_FRAMES
    agent = None

    async def connect(self):
        self.groups_joined = []
        self.limiter = FrameRateLimiter()
        self.agent = await database_sync_to_async(protocol.working_agent_for_user)(
            self.scope.get("user")
        )
        await self.accept()
        if self.agent is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        online = await database_sync_to_async(agent_services.agent_connected)(
            agent_id=self.agent.pk
        )
        if not online:
            self.agent = None
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join(events.agent_group(self.agent.pk))
        for language in self.agent.languages:
            await self.join(events.queue_group(language))
        snapshot = await database_sync_to_async(protocol.agent_snapshot)(agent=self.agent)
        await self.send_json(snapshot.queue_event)
        await self.send_json(snapshot.assigned_event)
        queue_resync.add(self)

    async def disconnect(self, code):
        queue_resync.discard(self)
        await self.leave_all()
        if getattr(self, "agent", None) is not None:
            await database_sync_to_async(agent_services.agent_disconnected)(agent_id=self.agent.pk)

    async def resync(self, snapshot: protocol.AgentSnapshot | None, text: str) -> None:
        """The process's queue resync for this socket (see AgentQueueResync)."""
        if snapshot is None:  # suspended or deactivated while connected
            queue_resync.discard(self)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.agent = snapshot.agent
        await self.send(text_data=text)

    async def push(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if event["type"] == "ticket.taken":
            claims.seen_taken(event["ticket"])
        elif event["type"] == "ticket.new":
            claims.seen_queued(event["ticket"]["id"])
        if event["type"] in ("ticket.new", "ticket.updated") and not set(
            event["ticket"]["required_skills"]
        ) <= set(self.agent.skills):
            return
        await self.send(text_data=_push_text(message))

    async def close_now(self, message: dict[str, Any]) -> None:
        await self.close(code=message.get("code", CLOSE_FORBIDDEN))

    async def on_claim(self, *, ticket: int) -> None:
        reply, pushes = await claims.claim(agent_id=self.agent.pk, ticket_id=ticket)
        await self.send_json(reply)
        await events.send_pushes(pushes)

    async def on_message(self, *, ticket: int, client_id: str, body: str) -> None:
        (message, _), pushes = await parallel_database_call(events.call_holding_pushes)(
            messages.message_post_agent,
            ticket_id=ticket,
            agent_id=self.agent.pk,
            client_id=client_id,
            body=body,
        )
        await self.send_json(
            {"type": "ack", "ticket": ticket, "client_id": client_id, "seq": message.seq}
        )
        await events.send_pushes(pushes)

    async def on_typing(self, *, ticket: int) -> None:
        await database_sync_to_async(protocol.agent_typing)(
            ticket_id=ticket, agent_id=self.agent.pk
        )

    async def on_resolve(self, *, ticket: int) -> None:
        await database_sync_to_async(services.ticket_resolve)(
            ticket_id=ticket, agent_id=self.agent.pk
        )
        await self.send_json({"type": "resolve.ok", "ticket": ticket})

    async def on_note(self, *, ticket: int, client_id: str, body: str) -> None:
        note = await database_sync_to_async(protocol.agent_note_add)(
            ticket_id=ticket, agent_id=self.agent.pk, client_id=client_id, body=body
        )
        await self.send_json({**note, "type": "note.ok"})

    async def on_release(self, *, ticket: int, reason: str) -> None:
        await database_sync_to_async(services.ticket_release)(
            ticket_id=ticket, agent_id=self.agent.pk, reason=reason or "released by agent"
        )
        await self.send_json({"type": "release.ok", "ticket": ticket})

    async def on_resume(self, *, ticket: int, after_seq: int) -> None:
        messages = await database_sync_to_async(protocol.transcript_for_agent)(
            ticket_id=ticket, agent_id=self.agent.pk, after_seq=after_seq
        )
        for message in messages:
            await self.send_json(message)

    async def on_heartbeat(self) -> None:
        await database_sync_to_async(agent_services.agent_seen)(agent_id=self.agent.pk)
        await self.send_json({"type": "heartbeat.ok"})
