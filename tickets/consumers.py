"""The two websocket edges of the protocol (docs/protocol.md). They parse a frame, check
who is asking, call a service and reply; the rules live in tickets.services.

Faults (docs/reliability.md): a frame whose handler meets a database or Redis outage gets an
``unavailable`` error and the socket stays open; no handler's failure takes the socket down
with it; and however a socket ends (a clean close, a crash, a close the server never heard),
the same cleanup runs once. An agent socket's client must be heard at least every
AGENT_HEARTBEAT_TIMEOUT_SECONDS: presence comes from what the client sends, never from the
server refreshing it, so a socket that died without a close frame cannot keep its agent
online.
"""

from __future__ import annotations

import asyncio
import contextvars
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
from core import log_context
from core.outages import SERVICE_UNAVAILABLE_ERRORS
from tickets import assistant_flow, events, feedback, messages, protocol, routing, services
from tickets.frames import AGENT_FRAMES, CUSTOMER_FRAMES, FrameError, FrameRateLimiter, parse_frame
from tickets.models import Ticket
from tickets.services import TicketError

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403
# Silent past AGENT_HEARTBEAT_TIMEOUT_SECONDS, or forgotten by the presence sweep: reconnect.
CLOSE_HEARTBEAT_TIMEOUT = 4408
# The standard "try again later": the database or Redis is unreachable at connect.
CLOSE_TRY_AGAIN_LATER = 1013


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


def _error_event(code: str, detail: str, data: dict[str, Any]) -> dict[str, Any]:
    """An error frame, naming the ticket, client_id or seq it is about so a client can match
    it to what it sent."""
    event: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
    for key in ("ticket", "client_id", "seq"):
        if key in data:
            event[key] = data[key]
    return event


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

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.cleanup()

    async def cleanup(self) -> None:
        """Everything a socket's end must undo; runs once, on every path out."""
        if getattr(self, "cleaned_up", False):
            return
        self.cleaned_up = True
        try:
            await self.release()
        except Exception:
            logger.warning("releasing a closed socket's state failed", exc_info=True)
        try:
            await self.leave_all()
        except Exception:
            # The channel layer forgets a silent channel's groups on its own (group expiry).
            logger.warning("leaving a closed socket's groups failed", exc_info=True)

    async def release(self) -> None:
        """What this kind of socket holds beyond its groups (an agent's presence)."""

    async def disconnect(self, code):
        await self.cleanup()

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def rejoin(self) -> None:
        """Join this socket's groups again: a Redis that restarted empty forgot them, and a
        socket that lives on would never hear another push. Adding is idempotent, and also
        renews the groups' expiry; heartbeats call it."""
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave_all(self) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def receive(self, text_data=None, bytes_data=None):
        self.heard = True
        self.heard_at = time.monotonic()
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
            await self.send_json(_error_event(error.code, error.detail, data))
        except SERVICE_UNAVAILABLE_ERRORS as error:
            logger.warning("%s frame: a backing service is unavailable: %r", frame_type, error)
            event = _error_event(
                "unavailable",
                "We could not do that just now; please send it again in a moment.",
                data,
            )
            await self.send_json({**event, "frame": frame_type, "retry": True})
        except Exception:
            logger.exception("%s frame failed", frame_type)
            event = _error_event(
                "internal", "Something went wrong on our side. Please try again.", data
            )
            await self.send_json({**event, "frame": frame_type})

    async def push(self, message: dict[str, Any]) -> None:
        await self.send(text_data=_push_text(message))


class CustomerChatConsumer(ProtocolConsumer):
    frame_schemas = CUSTOMER_FRAMES

    async def connect(self):
        self.groups_joined = []
        self.limiter = FrameRateLimiter()
        self.token = self.scope["url_route"]["kwargs"]["token"]
        try:
            ticket = await database_sync_to_async(protocol.ticket_for_token)(self.token)
            if ticket is None:
                await self.accept()
                await self.close(code=CLOSE_NOT_FOUND)
                return
            self.ticket_id = ticket.pk
            # For the connection's life (marketplace/request_id.py ends it).
            log_context.bind(ticket_id=ticket.pk)
            await self.join(events.chat_group(ticket.pk))
            status = await database_sync_to_async(protocol.customer_status_on_connect)(ticket)
        except SERVICE_UNAVAILABLE_ERRORS as error:
            logger.warning("customer socket: a backing service is unavailable: %r", error)
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        await self.accept()
        await self.send_json(status)

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
        ticket, pushes = await parallel_database_call(events.call_holding_pushes)(
            assistant_flow.conversation_request_human, ticket_id=self.ticket_id
        )
        if not pushes:
            # Already queued or with a person: this is a resend whose answer was lost (an
            # outage struck as the escalation committed), so it gets the answer again.
            status = await database_sync_to_async(protocol.customer_status_on_connect)(ticket)
            await self.send_json(status)
        await events.send_pushes(pushes)

    async def on_feedback(self, *, seq: int, verdict: str) -> None:
        # A pool thread, as request_human: "person" escalates in the same call.
        _, pushes = await parallel_database_call(events.call_holding_pushes)(
            feedback.answer_feedback_give, ticket_id=self.ticket_id, seq=seq, verdict=verdict
        )
        await self.send_json({"type": "feedback.ok", "seq": seq, "verdict": verdict})
        await events.send_pushes(pushes)

    async def on_typing(self) -> None:
        await database_sync_to_async(protocol.customer_typing)(ticket_id=self.ticket_id)

    async def on_email_reply(self, *, email: str) -> None:
        ticket = await database_sync_to_async(services.ticket_email_reply_request)(
            ticket_id=self.ticket_id, email=email
        )
        await self.send_json({"type": "email_reply.ok", "email": ticket.reply_email})

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

    async def on_confirm(self, *, solved: bool) -> None:
        # A pool thread, as feedback: a "no" reopens the conversation in the same call, and
        # its pushes (the system message, the place in the queue) follow the answer.
        _, pushes = await parallel_database_call(events.call_holding_pushes)(
            services.ticket_resolution_confirm, token=self.token, solved=solved
        )
        await self.send_json({"type": "confirm.ok", "solved": solved})
        await events.send_pushes(pushes)

    async def on_heartbeat(self) -> None:
        last_seq = await database_sync_to_async(protocol.customer_heartbeat)(
            ticket_id=self.ticket_id
        )
        await self.rejoin()
        # The latest seq lets a client that missed a push notice the gap and resume it
        # without reconnecting.
        await self.send_json({"type": "heartbeat.ok", "last_seq": last_seq})


class AgentQueueResync:
    """Heal lost pushes: every agent socket of this process gets its queue as the database has
    it, every AGENT_QUEUE_RESYNC_SECONDS. The same timer keeps the process's presence true:
    it stamps the sockets whose clients were heard since the last round (one UPDATE for
    all), and closes those silent past AGENT_HEARTBEAT_TIMEOUT_SECONDS or forgotten by the
    presence sweep, so their clients reconnect.

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
            # In a context of its own: it serves every socket, not the one that started it,
            # whose connection and agent ids its log lines would otherwise carry.
            self.task = loop.create_task(self.run(), context=contextvars.Context())

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
            await self.keep_presence(sockets)
            sockets = [c for c in sockets if c in self.sockets]
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
                        for ticket in event.get("tickets", ()):  # none in a digest
                            claims.seen_queued(ticket["id"])
                sends.append(consumer.resync(snapshot, text))
            # Together, so one slow socket does not hold up the others' resync.
            outcomes = await asyncio.gather(*sends, return_exceptions=True)
            for consumer, outcome in zip(sockets, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    # The socket cannot be written to: it is gone, whether or not its server
                    # has told us. Its cleanup runs now rather than never.
                    logger.info("agent socket unwritable, closing it: %r", outcome)
                    await consumer.end(code=CLOSE_HEARTBEAT_TIMEOUT)

    async def keep_presence(self, sockets: list[AgentConsumer]) -> None:
        now = time.monotonic()
        timeout = settings.AGENT_HEARTBEAT_TIMEOUT_SECONDS
        silent = [c for c in sockets if now - c.heard_at > timeout]
        for consumer in silent:
            logger.info("agent socket silent for over %s s, closing it", timeout)
            await consumer.end(code=CLOSE_HEARTBEAT_TIMEOUT)
        heard = [c for c in sockets if c.heard and c not in silent]
        if not heard:
            return
        for consumer in heard:
            consumer.heard = False
        try:
            forgotten = await database_sync_to_async(agent_services.agent_sockets_heard)(
                channel_names=[c.channel_name for c in heard]
            )
        except SERVICE_UNAVAILABLE_ERRORS as error:
            logger.warning("stamping heard agent sockets failed: %r", error)
            for consumer in heard:
                consumer.heard = True  # stamped next round
            return
        for consumer in heard:
            if consumer.channel_name in forgotten:
                await consumer.end(code=CLOSE_HEARTBEAT_TIMEOUT)


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
    # The agent whose presence this socket holds (an AgentConnection row), once recorded.
    present_as: int | None = None

    async def connect(self):
        self.groups_joined = []
        self.limiter = FrameRateLimiter()
        self.heard, self.heard_at = False, time.monotonic()
        # Accepted once the socket is in its groups and has its snapshot, so that nothing
        # announced after the client sees the handshake complete can be missed; a refusal
        # is accepted first only to carry its close code.
        try:
            agent = await database_sync_to_async(protocol.working_agent_for_user)(
                self.scope.get("user")
            )
            if agent is None or not await database_sync_to_async(agent_services.agent_connected)(
                agent_id=agent.pk, channel_name=self.channel_name
            ):
                await self.accept()
                await self.close(code=CLOSE_FORBIDDEN)
                return
            self.agent, self.present_as = agent, agent.pk
            log_context.bind(agent_id=agent.pk)
            await self.join(events.agent_group(agent.pk))
            if routing.queue_frames_routing():
                for language in agent.languages:
                    await self.join(events.queue_group(language))
            snapshot = await database_sync_to_async(protocol.agent_snapshot)(agent=agent)
            offer_state = []
            if routing.offers_routing():
                offer_state = await database_sync_to_async(protocol.agent_offer_state)(
                    agent_id=agent.pk
                )
        except SERVICE_UNAVAILABLE_ERRORS as error:
            logger.warning("agent socket: a backing service is unavailable: %r", error)
            await self.accept()
            await self.end(code=CLOSE_TRY_AGAIN_LATER)
            return
        await self.accept()
        await self.send_json(snapshot.queue_event)
        await self.send_json(snapshot.assigned_event)
        for frame in offer_state:
            await self.send_json(frame)
        queue_resync.add(self)
        if routing.offers_routing():
            # Online: a round may have a ticket for this agent now (on a pool thread: in the
            # embedded profile the round runs in this call).
            await parallel_database_call(services.dispatch_soon)()

    async def release(self) -> None:
        queue_resync.discard(self)
        if self.present_as is not None:
            agent_id, self.present_as = self.present_as, None
            await database_sync_to_async(agent_services.agent_disconnected)(
                agent_id=agent_id, channel_name=self.channel_name
            )

    async def end(self, *, code: int) -> None:
        """Close from the server's side and clean up now: a client that is gone would never
        complete the closing handshake that usually triggers the cleanup."""
        try:
            await self.close(code=code)
        except Exception:
            logger.debug("closing an agent socket failed", exc_info=True)
        await self.cleanup()

    async def resync(self, snapshot: protocol.AgentSnapshot | None, text: str) -> None:
        """The process's queue resync for this socket (see AgentQueueResync)."""
        if snapshot is None:  # suspended or deactivated while connected
            await self.end(code=CLOSE_FORBIDDEN)
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

    async def on_accept(self, *, offer: int) -> None:
        reply, pushes = await parallel_database_call(events.call_holding_pushes)(
            protocol.agent_accept, agent_id=self.agent.pk, offer_id=offer
        )
        await self.send_json(reply)
        await events.send_pushes(pushes)

    async def on_decline(self, *, offer: int, reason: str, note: str) -> None:
        reply, pushes = await parallel_database_call(events.call_holding_pushes)(
            protocol.agent_decline, agent_id=self.agent.pk, offer_id=offer, reason=reason, note=note
        )
        await self.send_json(reply)
        await events.send_pushes(pushes)

    async def on_presence(self, *, status: str) -> None:
        reply, pushes = await parallel_database_call(events.call_holding_pushes)(
            protocol.agent_presence, agent=self.agent, status=status
        )
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
        # Being heard is the liveness (stamped by queue_resync, batched per process). The
        # reply carries the latest seq of each held ticket, so a client that missed a push
        # notices the gap and resumes it without reconnecting.
        seqs = await database_sync_to_async(protocol.agent_heartbeat)(agent_id=self.agent.pk)
        await self.rejoin()
        await self.send_json({"type": "heartbeat.ok", "tickets": seqs})
