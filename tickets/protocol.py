"""The sync side of the websocket protocol: checks who may see what and shapes the events.

Consumers run these through ``database_sync_to_async``; writes go on to tickets.services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min
from django.utils import timezone

from agents.models import Agent
from tickets import announce, dispatch, events, messages, routing, selectors, services
from tickets.models import Offer, Ticket
from tickets.services import Forbidden


def ticket_for_token(token: str) -> Ticket | None:
    return Ticket.objects.filter(token=token).only("id", "status", "language").first()


def customer_status_on_connect(ticket: Ticket) -> dict[str, Any]:
    """The status a customer sees on (re)connecting, and a sign of life for abandonment."""
    services.customer_seen(ticket_id=ticket.pk)
    ticket = Ticket.objects.select_related("agent__user").get(pk=ticket.pk)
    extra: dict[str, Any] = {}
    if ticket.status == Ticket.Status.QUEUED:
        position = selectors.queue_position(ticket=ticket)
        estimate = selectors.wait_estimator(language=ticket.language, skills=ticket.required_skills)
        return announce.queued_status_event(
            position=position,
            estimate=estimate(position),
            # An agent is being offered it right now.
            connecting=Offer.objects.filter(
                ticket_id=ticket.pk, outcome=Offer.Outcome.PENDING
            ).exists(),
            email_reply=ticket.reply_email_requested_at is not None,
            last_seq=ticket.last_seq,
        )
    if ticket.status == Ticket.Status.ASSIGNED and ticket.agent:
        extra["agent_name"] = ticket.agent.display_name
    if ticket.status == Ticket.Status.RESOLVED:
        extra.update(announce.confirmation_fields(ticket))
    return announce.status_event(ticket.status, last_seq=ticket.last_seq, **extra)


def customer_heartbeat(*, ticket_id: int) -> int:
    """A sign of life from the customer (it keeps the conversation from being abandoned);
    returns the conversation's latest seq."""
    services.customer_seen(ticket_id=ticket_id)
    return Ticket.objects.values_list("last_seq", flat=True).get(pk=ticket_id)


def agent_heartbeat(*, agent_id: int) -> dict[str, int]:
    """The latest seq of every ticket the agent holds, by ticket id (JSON keys are text)."""
    return {
        str(ticket_id): last_seq
        for ticket_id, last_seq in Ticket.objects.filter(
            agent_id=agent_id, status=Ticket.Status.ASSIGNED
        ).values_list("pk", "last_seq")
    }


def transcript_for_customer(*, ticket_id: int, after_seq: int) -> list[dict[str, Any]]:
    return [
        events.message_for_customer(
            message,
            agent_name=message.agent.display_name if message.agent else None,
            feedback=message.feedback_verdict,
        )
        for message in selectors.messages_for_customer_after(
            ticket_id=ticket_id, after_seq=after_seq
        )
    ]


def customer_typing(*, ticket_id: int) -> None:
    holder = (
        Ticket.objects.filter(pk=ticket_id, status=Ticket.Status.ASSIGNED)
        .values_list("agent_id", flat=True)
        .first()
    )
    if holder is not None:
        events.push(events.agent_group(holder), {"type": "typing", "ticket": ticket_id})


# --- Agents --------------------------------------------------------------------------------


def working_agent_for_user(user) -> Agent | None:
    """The agent profile behind a socket's session, if it may work now."""
    if user is None or not user.is_authenticated:
        return None
    agent = Agent.objects.select_related("user").filter(user_id=user.pk).first()
    if agent is None or not agent.may_work:
        return None
    return agent


@dataclass(frozen=True)
class AgentSnapshot:
    agent: Agent
    queue_event: dict[str, Any]
    assigned_event: dict[str, Any]


def queue_digest(*, languages: list[str], now=None) -> dict[str, Any]:
    """What agents see of the queue in offer routing instead of its tickets: how many wait in
    their languages, by language, and the longest wait. One query."""
    now = now or timezone.now()
    rows = (
        Ticket.objects.filter(status=Ticket.Status.QUEUED, language__in=languages)
        .order_by()
        .values("language")
        .annotate(waiting=Count("pk"), oldest=Min("escalated_at"))
    )
    by_language = {row["language"]: row["waiting"] for row in rows}
    oldest = min((row["oldest"] for row in rows if row["oldest"]), default=None)
    return {
        "type": "queue.digest",
        "waiting": sum(by_language.values()),
        "oldest_wait_seconds": max(0, int((now - oldest).total_seconds())) if oldest else 0,
        "by_language": by_language,
    }


def _queue_event(agent: Agent, *, now) -> dict[str, Any]:
    """The queue as an agent's socket is shown it: its tickets (pick, hybrid) or the digest
    (offer), and in both how many wait in its languages for a skill it lacks
    (``waiting_for_skills``), so that an empty queue is not taken for an idle one."""
    if not routing.queue_frames_routing():
        event = queue_digest(languages=sorted(agent.languages), now=now)
    else:
        queue = selectors.queue_for_agent(agent=agent)
        event = {
            "type": "queue",
            "tickets": [events.ticket_summary(ticket, now=now) for ticket in queue],
        }
    event["waiting_for_skills"] = selectors.queued_beyond_skills(
        languages=sorted(agent.languages), skills=sorted(agent.skills)
    )
    return event


def agent_snapshot(*, agent: Agent) -> AgentSnapshot:
    now = timezone.now()
    held = selectors.tickets_held_by(agent_id=agent.pk)
    notes = selectors.notes_by_ticket(ticket_ids=[ticket.pk for ticket in held])
    return AgentSnapshot(
        agent=agent,
        queue_event=_queue_event(agent, now=now),
        assigned_event={
            "type": "assigned",
            "tickets": [
                {
                    **events.ticket_summary(ticket, now=now),
                    "notes": [events.note_for_agent(note) for note in notes[ticket.pk]],
                }
                for ticket in held
            ],
        },
    )


def agents_resync(*, agent_ids: list[int]) -> dict[int, AgentSnapshot | None]:
    """A fresh queue for every agent connected to a process, in one database call; None for
    an agent who may no longer work.

    One read of the agents and one queue read per distinct (languages, skills): a socket
    each resyncing on its own cost a connection and a queue read per agent every few
    seconds. Agents with the same languages and skills share one queue event (the same
    dict), so it is serialised once. It writes nothing: an agent's liveness comes from its
    sockets being heard (AgentQueueResync.keep_presence), never from the server's timer.
    """
    agents = Agent.objects.select_related("user").filter(pk__in=agent_ids).in_bulk()
    now = timezone.now()
    queues: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, Any]] = {}
    snapshots: dict[int, AgentSnapshot | None] = {}
    for agent_id in agent_ids:
        agent = agents.get(agent_id)
        if agent is None or not agent.may_work:
            snapshots[agent_id] = None
            continue
        key = (tuple(sorted(agent.languages)), tuple(sorted(agent.skills)))
        if key not in queues:
            queues[key] = _queue_event(agent, now=now)
        snapshots[agent_id] = AgentSnapshot(agent=agent, queue_event=queues[key], assigned_event={})
    return snapshots


def agent_claim(*, agent_id: int, ticket_id: int) -> dict[str, Any]:
    result = services.ticket_claim(ticket_id=ticket_id, agent_id=agent_id)
    if not result.ok:
        return {"type": "claim.failed", "ticket": ticket_id, "reason": result.reason}
    return _claim_ok(result.ticket)


def agent_accept(*, agent_id: int, offer_id: int) -> dict[str, Any]:
    """An accepted offer is a claim, and answered as one (``claim.ok``); a refused accept is
    ``offer.gone`` with the reason, and changed nothing (tickets.dispatch.offer_accept)."""
    try:
        ticket = dispatch.offer_accept(offer_id=offer_id, agent_id=agent_id)
    except dispatch.OfferGone as gone:
        return events.offer_gone_event(offer_id=offer_id, reason=gone.reason)
    return _claim_ok(ticket)


def agent_decline(*, agent_id: int, offer_id: int, reason: str, note: str) -> dict[str, Any]:
    try:
        dispatch.offer_decline(offer_id=offer_id, agent_id=agent_id, reason=reason, note=note)
    except dispatch.OfferGone as gone:
        return events.offer_gone_event(offer_id=offer_id, reason=gone.reason)
    return {"type": "decline.ok", "offer": offer_id}


def agent_presence(*, agent: Agent, status: str) -> dict[str, Any]:
    """The portal's available/away switch. Every socket of the agent hears the change
    (announce.agent_availability); the one that asked is answered in any case, so a switch
    flipped to what it already was still settles."""
    if status == Agent.Availability.AVAILABLE:
        dispatch.agent_set_available(agent_id=agent.pk, actor=agent.user)
    else:
        dispatch.agent_set_away(agent_id=agent.pk, reason="by the agent", actor=agent.user)
    return {"type": "presence", "status": status}


def agent_offer_state(*, agent_id: int) -> list[dict[str, Any]]:
    """What a socket of an agent is told on connecting, in offer and hybrid routing: the
    offer it has out, if any (a reconnecting tab shows it again), and ``presence`` if away."""
    frames: list[dict[str, Any]] = []
    availability = Agent.objects.values_list("availability", flat=True).get(pk=agent_id)
    if availability == Agent.Availability.AWAY:
        frames.append({"type": "presence", "status": Agent.Availability.AWAY})
    now = timezone.now()
    offer = (
        Offer.objects.select_related("ticket")
        .filter(agent_id=agent_id, outcome=Offer.Outcome.PENDING, expires_at__gt=now)
        .first()
    )
    if offer is not None:
        frames.append(events.offer_event(offer, ticket=offer.ticket, now=now))
    return frames


def _claim_ok(ticket: Ticket) -> dict[str, Any]:
    card = events.ticket_summary(ticket)
    card["transcript"] = [
        events.message_for_agent(message)
        for message in selectors.messages_after(ticket_id=ticket.pk, after_seq=0)
    ]
    # Notes the ticket's earlier holders left before handing it back to the queue.
    card["notes"] = [
        events.note_for_agent(note)
        for note in selectors.notes_by_ticket(ticket_ids=[ticket.pk])[ticket.pk]
    ]
    return {"type": "claim.ok", "ticket": card}


def _require_holder(*, ticket_id: int, agent_id: int) -> None:
    holds = Ticket.objects.filter(
        pk=ticket_id, agent_id=agent_id, status=Ticket.Status.ASSIGNED
    ).exists()
    if not holds:
        raise Forbidden("You do not hold this ticket.")


def transcript_for_agent(*, ticket_id: int, agent_id: int, after_seq: int) -> list[dict[str, Any]]:
    _require_holder(ticket_id=ticket_id, agent_id=agent_id)
    return [
        events.message_for_agent(message)
        for message in selectors.messages_after(ticket_id=ticket_id, after_seq=after_seq)
    ]


def agent_note_add(*, ticket_id: int, agent_id: int, client_id: str, body: str) -> dict[str, Any]:
    note, _ = messages.ticket_note_add(
        ticket_id=ticket_id, agent_id=agent_id, client_id=client_id, body=body
    )
    return events.note_for_agent(note)


def agent_typing(*, ticket_id: int, agent_id: int) -> None:
    _require_holder(ticket_id=ticket_id, agent_id=agent_id)
    events.push(events.chat_group(ticket_id), {"type": "typing", "sender": "agent"})
