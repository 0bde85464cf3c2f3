"""What customers, agents and the assistant write: messages, and agents' private notes.

Each is stored once per client id (a resend returns the stored one) under the ticket's row
lock, with the next seq (``tickets.services.append_message``), before it is acknowledged;
pushes leave after commit (``tickets.announce``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.models import Agent
from core.jobs import enqueue
from tickets import events
from tickets.language import detect_language
from tickets.masking import mask_secrets
from tickets.models import NOTE_MAX_BODY_CHARS, KnowledgeArticle, Message, Ticket, TicketNote
from tickets.selectors import confirmation_asked
from tickets.services import (
    ConversationClosed,
    Forbidden,
    InvalidMessage,
    TicketError,
    append_message,
    locked_ticket,
    ticket_reopen_locked,
)

logger = logging.getLogger(__name__)

Status = Ticket.Status


def _validate_body(body: str, *, what: str = "message", max_chars: int | None = None) -> str:
    max_chars = max_chars or settings.CHAT_MAX_BODY_CHARS
    if not isinstance(body, str) or not body.strip():
        raise InvalidMessage(f"A {what} needs a body.", code="empty_body")
    if len(body) > max_chars:
        raise InvalidMessage(
            f"A {what} may be at most {max_chars} characters.", code="body_too_long"
        )
    return body


def _existing_by_client_id(ticket_id: int, client_id: str | None) -> Message | None:
    if not client_id:
        return None
    # Unique per ticket, so no ORDER BY: with the model's (ticket, seq) ordering the database
    # may walk the whole transcript in seq order instead of using the (ticket, client_id)
    # index, which made every message slower than the last.
    matches = Message.objects.filter(ticket_id=ticket_id, client_id=client_id).order_by()[:1]
    return next(iter(matches), None)


def _first_message_language(ticket: Ticket, body: str) -> str | None:
    """The conversation's language as the customer's first message shows it, when that
    differs from the one the page or the API stated; None to keep it (docs/assistant.md,
    "The conversation's language").

    Precondition: the ticket is locked. Only while the assistant has the conversation (a
    ticket never returns to it, so never after an escalation) and only for the first
    customer message: later ones never flip it, and nothing runs on the hot path after.
    """
    if ticket.status != Status.BOT:
        return None
    if Message.objects.filter(ticket_id=ticket.pk, sender=Message.Sender.CUSTOMER).exists():
        return None
    detected = detect_language(body)
    if detected is None or detected == ticket.language:
        return None
    # The audit of the change: a ticket's events are its status changes, and this is none.
    logger.info(
        "ticket %s: language %s -> %s, detected in the customer's first message",
        ticket.pk,
        ticket.language,
        detected,
    )
    return detected


def message_post_customer(
    *, token: str, client_id: str, body: str, ask_assistant: bool = True
) -> tuple[Message, bool]:
    """Store a customer's message once per client_id; returns (message, created).

    While the assistant has the conversation, its answer is asked for after commit. A caller
    that must reply to its client first (the customer socket: in the embedded profile the
    assistant runs in-process, inside that call) passes ``ask_assistant=False`` and calls
    ``assistant_reply_request`` itself once it has replied.

    A resolved ticket still unconfirmed and within its reopen window is reopened by the
    message (``tickets.services.ticket_reopen_locked``, reason ``wrote_again``), which is
    stored in the reopened conversation; a resend is deduplicated before that, as ever.

    The first message of a conversation with the assistant may set its language, in the
    same UPDATE as the seq (``_first_message_language``), so the assistant's answer and any
    later escalation already use it.
    """
    body = mask_secrets(_validate_body(body))
    try:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(token=token).first()
            if ticket is None:
                raise TicketError("No such conversation.", code="not_found")
            existing = _existing_by_client_id(ticket.pk, client_id)
            if existing is not None:
                return existing, False
            now = timezone.now()
            # Writing again within the reopen window reopens a resolved, unconfirmed ticket
            # (docs/quality.md); after it, or once confirmed, the conversation is closed.
            reopening = ticket.status == Status.RESOLVED and confirmation_asked(ticket, now=now)
            if ticket.status in (Status.RESOLVED, Status.ABANDONED) and not reopening:
                raise ConversationClosed("This conversation is closed.")
            message = append_message(
                ticket,
                sender=Message.Sender.CUSTOMER,
                body=body,
                client_id=client_id,
                customer_active=True,
                language=_first_message_language(ticket, body),
            )
            if reopening:
                ticket_reopen_locked(ticket, reason="wrote_again", now=now)
            if ask_assistant and ticket.status == Status.BOT:
                ticket_id, seq = ticket.pk, message.seq
                transaction.on_commit(
                    lambda: assistant_reply_request(ticket_id=ticket_id, customer_seq=seq)
                )
    except IntegrityError:
        # Only reachable if the lock were bypassed; the constraint still keeps one copy.
        existing = Message.objects.get(ticket__token=token, client_id=client_id)
        return existing, False
    return message, True


def message_post_agent(
    *, ticket_id: int, agent_id: int, client_id: str, body: str
) -> tuple[Message, bool]:
    """Store an agent's message on a ticket it holds, once per client_id."""
    body = _validate_body(body)
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        existing = _existing_by_client_id(ticket.pk, client_id)
        if existing is not None and existing.agent_id == agent_id:
            return existing, False
        if ticket.status != Status.ASSIGNED or ticket.agent_id != agent_id:
            raise Forbidden("You do not hold this ticket.")
        agent = Agent.objects.select_related("user").get(pk=agent_id)
        message = append_message(
            ticket, sender=Message.Sender.AGENT, body=body, client_id=client_id, agent=agent
        )
    return message, True


def message_post_bot(*, ticket_id: int, body: str, article_id: int | None = None) -> Message | None:
    """Store the assistant's answer, unless the conversation left the assistant meanwhile."""
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        if ticket.status != Status.BOT:
            return None
        # Loaded here, so the pushed message names its article without a query per push.
        article = (
            KnowledgeArticle.objects.only("id", "title").filter(pk=article_id).first()
            if article_id is not None
            else None
        )
        return append_message(ticket, sender=Message.Sender.BOT, body=body, article=article)


def ticket_note_add(
    *, ticket_id: int, agent_id: int, body: str, client_id: str | None = None
) -> tuple[TicketNote, bool]:
    """Store the holder's private note on a ticket, once per client_id; (note, created).

    Preconditions: the ticket is assigned to ``agent_id`` (else ``Forbidden``) and the body
    is not blank and at most NOTE_MAX_BODY_CHARS (else ``InvalidMessage``). A resend of a
    note already stored returns it, even once the ticket is closed, so a client retrying
    after a lost reply gets its answer. Notes go to the holder's sockets only: never to the
    customer, whose socket and transcript carry messages alone.
    """
    body = mask_secrets(_validate_body(body, what="note", max_chars=NOTE_MAX_BODY_CHARS))
    with transaction.atomic():
        # The row lock orders this against a release or resolve of the same ticket, so the
        # holder checked here is the holder when the note is committed.
        ticket = locked_ticket(ticket_id)
        existing = (
            TicketNote.objects.filter(ticket_id=ticket.pk, client_id=client_id)
            .select_related("agent__user")
            .first()
            if client_id
            else None
        )
        if existing is not None and existing.agent_id == agent_id:
            return existing, False
        if ticket.status != Status.ASSIGNED or ticket.agent_id != agent_id:
            raise Forbidden("You do not hold this ticket.")
        if existing is not None:
            raise TicketError(
                "That client_id is already used on this ticket.", code="invalid_field"
            )
        agent = Agent.objects.select_related("user").get(pk=agent_id)
        note = TicketNote.objects.create(ticket=ticket, agent=agent, body=body, client_id=client_id)
        payload = events.note_for_agent(note)
        group = events.agent_group(agent_id)
        # To every socket of the holder (its other tabs); the chat group never hears of it.
        transaction.on_commit(lambda: events.push(group, payload))
    return note, True


def assistant_reply_request(*, ticket_id: int, customer_seq: int) -> None:
    """Have the assistant answer a stored customer message, if it still has the conversation.

    Call it after commit. In the embedded profile the task runs right here; it never raises
    to the caller, whose customer's message is stored whatever the assistant does: the task
    turns its own failures into a fallback answer (tickets.tasks.assistant_reply), and a
    failed enqueue is logged.
    """
    if not Ticket.objects.filter(pk=ticket_id, status=Status.BOT).exists():
        return
    try:
        enqueue("tickets.tasks.assistant_reply", ticket_id, customer_seq)
    except Exception:
        logger.exception(
            "asking the assistant failed for ticket %s seq %s", ticket_id, customer_seq
        )
