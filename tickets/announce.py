"""After commit: who is told what about a ticket (``tickets.events`` carries it).

Every function here is called inside the transaction of a change and schedules its pushes
with ``transaction.on_commit``, so a rolled-back change is never announced. Who hears each
push is decided here, in one place, and is a security decision: agents hear only of tickets
they may take or hold, customers only of their own conversation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction

from agents.models import Agent
from tickets import events, routing, selectors
from tickets.models import Message, Offer, Ticket

Status = Ticket.Status


def message_stored(message: Message, *, ticket: Ticket, agent: Agent | None) -> None:
    """The message to the customer's sockets and, while someone holds the ticket, theirs."""
    holder_id = ticket.agent_id if ticket.status == Status.ASSIGNED else None
    agent_name = agent.display_name if agent else None
    ticket_id = ticket.pk

    def deliver() -> None:
        pushes = [
            (
                events.chat_group(ticket_id),
                events.message_for_customer(message, agent_name=agent_name),
            )
        ]
        if holder_id is not None:
            pushes.append((events.agent_group(holder_id), events.message_for_agent(message)))
        events.push_many(pushes)

    transaction.on_commit(deliver)


def status_event(status: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "status", "status": status}
    event.update({key: value for key, value in extra.items() if value is not None})
    return event


def ticket_status(ticket: Ticket, **extra: Any) -> None:
    """The ticket's status to the customer's sockets."""
    event = status_event(ticket.status, last_seq=ticket.last_seq, **extra)
    group = events.chat_group(ticket.pk)
    transaction.on_commit(lambda: events.push(group, event))


def ticket_queued(ticket: Ticket) -> None:
    """A ticket joined the queue: to the agents of its language, and the queue's places."""
    summary = events.ticket_summary(ticket)
    language = ticket.language

    def announce() -> None:
        if routing.queue_frames_routing():
            events.push(events.queue_group(language), {"type": "ticket.new", "ticket": summary})
        if _queue_positions_due(language):
            broadcast_queue_positions(language=language)
        else:
            # Coalesced: the newcomer still hears its own place at once.
            _push_queue_position(ticket)

    transaction.on_commit(announce)


def ticket_claimed(ticket: Ticket, agent: Agent) -> None:
    """Taken: off the other agents' lists, onto the claimer's, and the customer is told who."""
    summary = events.ticket_summary(ticket)
    language = ticket.language
    agent_id, agent_name, last_seq = agent.pk, agent.display_name, ticket.last_seq

    def announce() -> None:
        pushes = [
            (events.agent_group(agent_id), {"type": "ticket.assigned", "ticket": summary}),
            (
                events.chat_group(ticket.pk),
                status_event(Status.ASSIGNED, agent_name=agent_name, last_seq=last_seq),
            ),
        ]
        if routing.queue_frames_routing():
            pushes.insert(
                0, (events.queue_group(language), {"type": "ticket.taken", "ticket": ticket.pk})
            )
        events.push_many(pushes)
        if _queue_positions_due(language):
            broadcast_queue_positions(language=language)

    transaction.on_commit(announce)


def confirmation_fields(ticket: Ticket) -> dict[str, Any]:
    """What a resolved ticket's ``status`` adds (docs/protocol.md): ``confirm_asked`` while
    the customer is still asked "Did this solve your problem?", with ``reopen_until``."""
    if not selectors.confirmation_asked(ticket):
        return {}
    ends = selectors.reopen_window_ends(ticket)
    return {"confirm_asked": True, "reopen_until": ends.isoformat() if ends else None}


def ticket_left_agent(ticket: Ticket, *, agent_id: int) -> None:
    """Resolved or returned to the queue: closed on the agent's sockets; a resolve is told to
    the customer, with the question whether it solved their problem."""
    status = ticket.status
    ticket_id = ticket.pk
    confirmation = confirmation_fields(ticket) if status == Status.RESOLVED else {}

    def announce() -> None:
        pushes = [
            (
                events.agent_group(agent_id),
                {"type": "ticket.closed", "ticket": ticket_id, "status": status},
            )
        ]
        if status == Status.RESOLVED:
            pushes.append((events.chat_group(ticket_id), status_event(status, **confirmation)))
        events.push_many(pushes)

    transaction.on_commit(announce)


def ticket_left_queue(*, ticket_id: int, language: str) -> None:
    """Gone from the queue without an agent (abandoned): off the agents' lists, and the
    customers behind it move up."""

    def announce() -> None:
        if routing.queue_frames_routing():
            events.push(events.queue_group(language), {"type": "ticket.taken", "ticket": ticket_id})
        broadcast_queue_positions(language=language)

    transaction.on_commit(announce)


def offers_made(offers: list[Offer]) -> None:
    """New offers, each to its own agent's sockets only (needs ``offer.ticket`` loaded with
    the summary's fields). One push per offer, whatever the number of agents."""
    pushes = [
        (events.agent_group(offer.agent_id), events.offer_event(offer, ticket=offer.ticket))
        for offer in offers
    ]
    # The customer sees that a person is being found right now; the queue's periodic
    # broadcast tells it its place again (without ``connecting``) if the offer runs out.
    pushes += [
        (
            events.chat_group(offer.ticket_id),
            status_event(Status.QUEUED, connecting=True),
        )
        for offer in offers
    ]
    transaction.on_commit(lambda: events.push_many(pushes))


def offer_gone(*, offer_id: int, agent_id: int, reason: str) -> None:
    """The offer ran out, or was withdrawn or taken: off the agent's screen."""
    event = events.offer_gone_event(offer_id=offer_id, reason=reason)
    group = events.agent_group(agent_id)
    transaction.on_commit(lambda: events.push(group, event))


def agent_availability(*, agent_id: int, availability: str, reason: str = "") -> None:
    """The agent was set away (missed offers) or is back: every socket of the agent hears it,
    so every open tab shows the same switch."""
    event: dict[str, Any] = {"type": "presence", "status": availability}
    if reason:
        event["reason"] = reason
    group = events.agent_group(agent_id)
    transaction.on_commit(lambda: events.push(group, event))


def broadcast_queue_positions(*, language: str) -> int:
    """Tell every queued customer of a language where they stand; returns how many. Each is
    told the wait of its own needs: only the agents who can take its ticket count."""
    places = selectors.queue_places(language=language)
    if not places:
        return 0
    estimators: dict[tuple[str, ...], Callable[[int], selectors.WaitEstimate]] = {}
    # Said again, or "connecting" would flicker back to a plain place in the queue.
    offered = selectors.tickets_being_offered(ticket_ids=[place.ticket_id for place in places])
    pushes = []
    for place in places:
        skills = place.required_skills
        if skills not in estimators:
            estimators[skills] = selectors.wait_estimator(language=language, skills=skills)
        pushes.append(
            (
                events.chat_group(place.ticket_id),
                queued_status_event(
                    position=place.position,
                    estimate=estimators[skills](place.position),
                    connecting=place.ticket_id in offered,
                    email_reply=place.email_reply,
                ),
            )
        )
    events.push_many(pushes)
    return len(places)


def queued_status_event(
    *,
    position: int,
    estimate: selectors.WaitEstimate,
    connecting: bool = False,
    email_reply: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A queued customer's ``status`` (docs/protocol.md): its place, the wait when it can be
    told, ``no_agent_online`` when nobody who can take the ticket is online, and
    ``email_reply`` once the customer asked to be answered by email."""
    return status_event(
        Status.QUEUED,
        queue_position=position,
        **estimate.status_fields(),
        connecting=True if connecting else None,
        email_reply=True if email_reply else None,
        **extra,
    )


# A full broadcast is one push per queued customer: with 1,000 queued on Redis it took
# 100–230 ms, on the one database thread, after every claim and every escalation. Claims and
# escalations therefore broadcast at most once a second per language (and process); what a
# skipped one would have said comes with the next, and the periodic broadcast
# (tickets.tasks.broadcast_queue_positions, every 5 s) is the floor. A newcomer to the queue
# and a customer whose ticket is claimed are always told at once, on their own.
QUEUE_POSITIONS_MIN_INTERVAL_SECONDS = 1.0


_queue_positions_sent_at: dict[str, float] = {}


_queue_positions_lock = threading.Lock()


def _queue_positions_due(language: str) -> bool:
    """True, and the clock restarted, if no claim or escalation broadcast went out lately."""
    now = time.monotonic()
    with _queue_positions_lock:
        last = _queue_positions_sent_at.get(language)
        if last is not None and now - last < QUEUE_POSITIONS_MIN_INTERVAL_SECONDS:
            return False
        _queue_positions_sent_at[language] = now
        return True


def _push_queue_position(ticket: Ticket) -> None:
    """Tell one queued customer where it stands (after commit)."""
    position = selectors.queue_position(ticket=ticket)
    estimate = selectors.wait_estimator(language=ticket.language, skills=ticket.required_skills)
    events.push(
        events.chat_group(ticket.pk),
        queued_status_event(
            position=position,
            estimate=estimate(position),
            email_reply=ticket.reply_email_requested_at is not None,
        ),
    )
