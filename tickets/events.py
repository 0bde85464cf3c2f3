"""What goes out over the channel layer: group names, payload shapes, and the push itself.

The channel layer is a doorbell, not a store: it may drop a push, so every payload here is
also recoverable from the database (resume, queue resync). Services call these only from
``transaction.on_commit`` so nobody is told about a change that was rolled back.

Who receives what is a security decision, made here:
* ``chat.<ticket id>``: the customer's sockets of one conversation.
* ``agent.<agent id>``: every socket of one agent; messages of the tickets it holds go here,
  addressed by the service to the holder of the moment, so a released ticket stops flowing.
  So do its offers: a ticket offered to one agent is told to that agent alone.
* ``queue.<language>``: agents who speak the language; each consumer drops tickets whose
  skills its agent lacks. Summaries only, never a transcript or contact details.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from tickets.masking import mask_contact_details

if TYPE_CHECKING:
    from tickets.models import Message, Offer, Ticket, TicketNote

logger = logging.getLogger(__name__)
T = TypeVar("T")


def chat_group(ticket_id: int) -> str:
    return f"chat.{ticket_id}"


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def queue_group(language: str) -> str:
    return f"queue.{language}"


def ticket_summary(ticket: Ticket, *, now=None) -> dict[str, Any]:
    """The queue card an agent may see before claiming: no transcript, no contact details."""
    now = now or timezone.now()
    waiting_since = ticket.escalated_at or ticket.created_at
    return {
        "id": ticket.pk,
        "topic": ticket.topic,
        "language": ticket.language,
        "priority": ticket.priority,
        "escalation_reason": ticket.escalation_reason,
        "required_skills": list(ticket.required_skills),
        "waiting_seconds": max(0, int((now - waiting_since).total_seconds())),
        "summary": mask_contact_details(ticket.summary),
        "customer_first_name": ticket.customer_first_name,
        "status": ticket.status,
        # The customer left a message and is answered by email on resolve: that it will be,
        # never the address (contact details stay on the server).
        "reply_by_email": ticket.reply_email_requested_at is not None,
        # Times the customer reopened it after a resolve (docs/quality.md): read back first.
        "reopen_count": ticket.reopen_count,
    }


def offer_event(offer: Offer, *, ticket: Ticket, now=None) -> dict[str, Any]:
    """An offer to its agent: the ticket's queue card, the seconds left to accept and, when a
    rate applies, what handling it pays (quoted by payouts when the offer was made)."""
    now = now or timezone.now()
    event: dict[str, Any] = {
        "type": "offer",
        "offer": offer.pk,
        "ticket": ticket_summary(ticket, now=now),
        "expires_in": max(0, math.ceil((offer.expires_at - now).total_seconds())),
    }
    if offer.pay_amount_minor is not None:
        event["pay"] = {"amount_minor": offer.pay_amount_minor, "currency": offer.pay_currency}
    return event


def offer_gone_event(*, offer_id: int, reason: str) -> dict[str, Any]:
    """An offer that can no longer be accepted: ``expired``, ``withdrawn`` or ``taken``."""
    return {"type": "offer.gone", "offer": offer_id, "reason": reason}


def message_for_customer(
    message: Message, *, agent_name: str | None = None, feedback: str | None = None
) -> dict[str, Any]:
    """A message to the customer. An answer from a help article names it (needs
    ``message.article`` loaded: select_related, or set when stored), and carries the
    customer's verdict on it (``feedback``) once given."""
    payload: dict[str, Any] = {
        "type": "message",
        "seq": message.seq,
        "sender": message.sender,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }
    if message.sender == message.Sender.AGENT and agent_name:
        payload["agent_name"] = agent_name
    if message.article_id is not None:
        payload["article"] = {"id": message.article_id, "title": message.article.title}
    if feedback:
        payload["feedback"] = feedback
    if message.sender == message.Sender.CUSTOMER and message.client_id:
        # The sender's own id back, so a client can match the echo to what it showed.
        payload["client_id"] = message.client_id
    return payload


def message_for_agent(message: Message) -> dict[str, Any]:
    body = message.body
    if message.sender == message.Sender.CUSTOMER:
        # Whatever contact details a customer types stay between the customer and us.
        body = mask_contact_details(body)
    payload = {
        "type": "message",
        "ticket": message.ticket_id,
        "seq": message.seq,
        "sender": message.sender,
        "body": body,
        "created_at": message.created_at.isoformat(),
    }
    if message.sender == message.Sender.AGENT and message.client_id:
        payload["client_id"] = message.client_id
    return payload


def note_for_agent(note: TicketNote) -> dict[str, Any]:
    """An agent's private note: for the agents holding the ticket, never for the customer.

    Needs ``note.agent.user`` loaded (select_related) for the author's name.
    """
    return {
        "type": "note",
        "ticket": note.ticket_id,
        "id": note.pk,
        "client_id": note.client_id,
        "body": note.body,
        "agent_name": note.agent.display_name,
        "created_at": note.created_at.isoformat(),
    }


def push(group: str, event: dict[str, Any]) -> None:
    push_many([(group, event)])


Pushes = list[tuple[str, dict[str, Any]]]

# Set while a consumer's database call runs (``held_pushes``): pushes are kept for the
# consumer to send from its event loop, instead of this worker thread blocking on the loop.
_held: ContextVar[Pushes | None] = ContextVar("held_pushes", default=None)


def push_many(pushes: Pushes) -> None:
    """Send events to groups; a failed push is logged, never raised (the DB is the truth)."""
    if not pushes:
        return
    held = _held.get()
    if held is not None:
        held.extend(pushes)
        return
    async_to_sync(send_pushes)(pushes)


def frame_text(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"))


async def send_pushes(pushes: Pushes) -> None:
    """Each event goes out with its frame's text, serialised once here rather than by each
    of the hundreds of sockets in a queue group (consumers send ``text`` as it is)."""
    layer = get_channel_layer()
    for group, event in pushes:
        try:
            message = {"type": "push", "event": event, "text": frame_text(event)}
            await layer.group_send(group, message)
        except Exception:
            logger.exception("push to %s failed", group)


def call_holding_pushes(function: Callable[..., T], /, **kwargs: Any) -> tuple[T, Pushes]:
    """Run a service and return what it pushed instead of sending it: for a consumer on its
    hot path, which sends them with ``send_pushes`` once the database thread is free. Pushes
    are only made after commit, so what is returned was committed."""
    held: Pushes = []
    token = _held.set(held)
    try:
        return function(**kwargs), held
    finally:
        _held.reset(token)


def close_agent_sockets(agent_id: int, *, code: int = 4403) -> None:
    layer = get_channel_layer()
    try:
        async_to_sync(layer.group_send)(agent_group(agent_id), {"type": "close.now", "code": code})
    except Exception:
        logger.exception("closing sockets of agent %s failed", agent_id)
