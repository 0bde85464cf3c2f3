"""Every write of a ticket or a message. Consumers, views, admin actions and tasks call these.

Lock policy: a write that touches an agent and a ticket locks the agent row first, then the
ticket row; blocks are short and make no network call. Pushes leave through
``transaction.on_commit`` so a rolled-back change is never announced.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.models import Agent
from payouts import services as payouts
from tickets import events, selectors
from tickets.masking import mask_secrets
from tickets.models import NOTE_MAX_BODY_CHARS, Message, Ticket, TicketEvent, TicketNote

logger = logging.getLogger(__name__)

Status = Ticket.Status
Actor = TicketEvent.Actor


class TicketError(Exception):
    """A refused ticket operation; ``code`` is the protocol's snake_case error code."""

    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code


class TransitionNotAllowed(TicketError):
    code = "invalid_transition"


class Forbidden(TicketError):
    code = "forbidden"


class ConversationClosed(TicketError):
    code = "conversation_closed"


class InvalidMessage(TicketError):
    code = "invalid_message"


@dataclass(frozen=True)
class ClaimResult:
    ok: bool
    ticket: Ticket | None = None
    reason: str | None = None  # taken | capacity | not_eligible | not_found


# --- Conversations -------------------------------------------------------------------------

GREETING = (
    "Hi! I'm the Acme assistant. Ask me anything — and if you'd rather talk to a person, "
    "press “Talk to a person” at any time."
)


@transaction.atomic
def conversation_start(
    *,
    name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "en",
    customer_reference: str = "",
    is_vip: bool = False,
    greet: bool = True,
) -> Ticket:
    ticket = Ticket.objects.create(
        customer_name=name.strip(),
        customer_email=email.strip().lower(),
        customer_phone=phone.strip(),
        language=language,
        customer_reference=customer_reference,
        is_vip=is_vip,
    )
    if greet:
        _append_message(ticket, sender=Message.Sender.BOT, body=GREETING)
    return ticket


# --- Transitions ---------------------------------------------------------------------------


def _transition(
    ticket: Ticket,
    to_status: str,
    *,
    actor_kind: str,
    actor=None,
    agent: Agent | None = None,
    reason: str = "",
) -> None:
    """Apply one state change to a locked ticket and write its event row."""
    from_status = ticket.status
    if to_status not in Ticket.ALLOWED_TRANSITIONS[from_status]:
        raise TransitionNotAllowed(
            f"A ticket that is {from_status} cannot become {to_status}.",
        )
    now = timezone.now()
    ticket.status = to_status
    fields = ["status"]
    if to_status == Status.QUEUED:
        if ticket.escalated_at is None:
            ticket.escalated_at = now
            fields.append("escalated_at")
        # Released or returned: back in line at its original escalation time, which puts it
        # ahead of everything escalated since.
        ticket.agent = None
        ticket.claimed_at = None
        fields += ["agent", "claimed_at"]
    elif to_status == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif to_status == Status.ABANDONED:
        ticket.abandoned_at = now
        fields.append("abandoned_at")
    ticket.save(update_fields=fields)
    TicketEvent.objects.create(
        ticket=ticket,
        from_status=from_status,
        to_status=to_status,
        actor_kind=actor_kind,
        actor=actor,
        agent=agent,
        reason=reason,
    )


def _locked_ticket(ticket_id: int) -> Ticket:
    try:
        return Ticket.objects.select_for_update().get(pk=ticket_id)
    except Ticket.DoesNotExist:
        raise TicketError("No such ticket.", code="not_found") from None


@transaction.atomic
def ticket_escalate(
    *,
    ticket_id: int,
    reason: str,
    actor_kind: str = Actor.CUSTOMER,
    topic: str | None = None,
    priority: int | None = None,
    required_skills: list[str] | None = None,
    summary: str | None = None,
) -> Ticket:
    """Hand the conversation to the human queue. Asking again once queued changes nothing."""
    ticket = _locked_ticket(ticket_id)
    if ticket.status in (Status.QUEUED, Status.ASSIGNED):
        return ticket
    if topic is not None:
        ticket.topic = topic
    if priority is not None:
        ticket.priority = priority
    if ticket.is_vip:
        ticket.priority = max(ticket.priority, Ticket.Priority.HIGH)
    if required_skills is not None:
        ticket.required_skills = sorted(set(required_skills))
    if summary is not None:
        ticket.summary = mask_secrets(summary)
    ticket.escalation_reason = reason
    ticket.save(
        update_fields=["topic", "priority", "required_skills", "summary", "escalation_reason"]
    )
    _transition(ticket, Status.QUEUED, actor_kind=actor_kind, reason=reason)
    _append_message(ticket, sender=Message.Sender.SYSTEM, body="You're in the queue for a person.")
    _after_commit_announce_queued(ticket)
    return ticket


def ticket_claim(*, ticket_id: int, agent_id: int) -> ClaimResult:
    """Give a queued ticket to an agent: exactly one claimer wins.

    The agent row is locked first, which serialises one agent's claims so the capacity
    count cannot be outrun; the ticket is then taken by a conditional UPDATE on its status,
    so of any number of agents racing for it exactly one sees a row count of 1.

    A ticket already out of the queue is refused with ``taken`` after one plain read, before
    any lock: with agents waiting, every free agent claims every new ticket and all but one
    lose, and a losing claim that opened a write transaction (on SQLite the database-wide
    write lock) held up the winners. The read may be stale, never wrong in the other
    direction: a ticket it sees queued still has to win the conditional UPDATE below.
    """
    status = Ticket.objects.filter(pk=ticket_id).values_list("status", flat=True).first()
    if status is not None and status != Status.QUEUED:
        return ClaimResult(ok=False, reason="taken")
    with transaction.atomic():
        agent = Agent.objects.select_for_update().select_related("user").filter(pk=agent_id).first()
        if agent is None or not agent.may_work or not agent.is_online:
            return ClaimResult(ok=False, reason="not_eligible")
        ticket = (
            Ticket.objects.filter(pk=ticket_id)
            .only("id", "status", "language", "required_skills")
            .first()
        )
        if ticket is None:
            return ClaimResult(ok=False, reason="not_found")
        if ticket.status != Status.QUEUED:
            return ClaimResult(ok=False, reason="taken")
        if not selectors.agent_is_eligible(agent=agent, ticket=ticket):
            return ClaimResult(ok=False, reason="not_eligible")
        held = Ticket.objects.filter(agent_id=agent.pk, status=Status.ASSIGNED).count()
        if held >= agent.capacity:
            return ClaimResult(ok=False, reason="capacity")
        now = timezone.now()
        won = Ticket.objects.filter(pk=ticket_id, status=Status.QUEUED).update(
            status=Status.ASSIGNED, agent=agent, claimed_at=now
        )
        if won != 1:
            return ClaimResult(ok=False, reason="taken")
        ticket = Ticket.objects.get(pk=ticket_id)
        TicketEvent.objects.create(
            ticket=ticket,
            from_status=Status.QUEUED,
            to_status=Status.ASSIGNED,
            actor_kind=Actor.AGENT,
            actor=agent.user,
            agent=agent,
            reason="claimed",
        )
        _append_message(
            ticket,
            sender=Message.Sender.SYSTEM,
            body=f"{agent.display_name} joined the conversation.",
        )
        ticket.agent = agent
        _after_commit_announce_claimed(ticket, agent)
    return ClaimResult(ok=True, ticket=ticket)


def _held_ticket(ticket_id: int, agent_id: int) -> Ticket:
    ticket = _locked_ticket(ticket_id)
    if ticket.status != Status.ASSIGNED or ticket.agent_id != agent_id:
        raise Forbidden("You do not hold this ticket.")
    return ticket


@transaction.atomic
def ticket_resolve(*, ticket_id: int, agent_id: int) -> Ticket:
    agent = Agent.objects.select_related("user").get(pk=agent_id)
    ticket = _held_ticket(ticket_id, agent_id)
    _transition(
        ticket,
        Status.RESOLVED,
        actor_kind=Actor.AGENT,
        actor=agent.user,
        agent=agent,
        reason="resolved",
    )
    # The pay line is written with the resolve: no resolved ticket is ever without one.
    payouts.ticket_pay_line_create(ticket=ticket)
    _append_message(
        ticket,
        sender=Message.Sender.SYSTEM,
        body=f"{agent.display_name} marked the conversation resolved.",
    )
    _after_commit_announce_left_agent(ticket, agent_id=agent_id)
    if ticket.integration_id is not None:
        # Handed over by a company's own assistant: tell the company, after commit. Robust:
        # a lost enqueue must not fail the resolve; the periodic drain catches it up.
        from tickets.tasks import deliver_resolved_ticket_webhook

        resolved_id = ticket.pk
        transaction.on_commit(
            lambda: deliver_resolved_ticket_webhook.delay(resolved_id), robust=True
        )
    return ticket


@transaction.atomic
def ticket_release(*, ticket_id: int, agent_id: int, reason: str) -> Ticket:
    agent = Agent.objects.select_for_update().select_related("user").get(pk=agent_id)
    ticket = _held_ticket(ticket_id, agent_id)
    _requeue(ticket, agent=agent, actor_kind=Actor.AGENT, actor=agent.user, reason=reason)
    return ticket


def tickets_requeue_for_agent(*, agent_id: int, reason: str) -> list[int]:
    """Return every ticket the agent holds to the queue, first in line (caller's transaction
    or its own)."""
    with transaction.atomic():
        agent = Agent.objects.select_for_update().select_related("user").get(pk=agent_id)
        tickets = list(
            Ticket.objects.select_for_update()
            .filter(agent_id=agent_id, status=Status.ASSIGNED)
            .order_by("pk")
        )
        for ticket in tickets:
            _requeue(ticket, agent=agent, actor_kind=Actor.SYSTEM, actor=None, reason=reason)
    return [ticket.pk for ticket in tickets]


def _requeue(ticket: Ticket, *, agent: Agent, actor_kind: str, actor, reason: str) -> None:
    _transition(
        ticket, Status.QUEUED, actor_kind=actor_kind, actor=actor, agent=agent, reason=reason
    )
    _append_message(
        ticket,
        sender=Message.Sender.SYSTEM,
        body="Your agent had to step away. You're first in line for the next person.",
    )
    _after_commit_announce_left_agent(ticket, agent_id=agent.pk)
    _after_commit_announce_queued(ticket)


@transaction.atomic
def ticket_abandon(*, ticket_id: int, reason: str) -> Ticket:
    ticket = _locked_ticket(ticket_id)
    _transition(ticket, Status.ABANDONED, actor_kind=Actor.SYSTEM, reason=reason)
    if ticket.escalated_at:
        language = ticket.language
        transaction.on_commit(
            lambda: events.push(
                events.queue_group(language), {"type": "ticket.taken", "ticket": ticket.pk}
            )
        )
        transaction.on_commit(lambda: broadcast_queue_positions(language=language))
    _after_commit_push_status(ticket)
    return ticket


@transaction.atomic
def ticket_rate(*, token: str, score: int, comment: str = "") -> Ticket:
    """Record the customer's rating: once, and only after resolution."""
    if not 1 <= score <= 5:
        raise TicketError("The score must be from 1 to 5.", code="invalid_score")
    updated = Ticket.objects.filter(
        token=token, status=Status.RESOLVED, rating__isnull=True
    ).update(rating=score, rating_comment=comment[:2000])
    if updated != 1:
        ticket = Ticket.objects.filter(token=token).first()
        if ticket is None:
            raise TicketError("No such conversation.", code="not_found")
        if ticket.rating is not None:
            raise TicketError("This conversation was already rated.", code="already_rated")
        raise TicketError("A conversation can be rated once it is resolved.", code="not_resolved")
    ticket = Ticket.objects.get(token=token)
    payouts.top_rating_bonus_line_create(ticket=ticket)
    return ticket


def tickets_abandon_stale(*, now=None) -> list[int]:
    """Abandon conversations whose customer has been gone longer than the set time."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TICKET_ABANDON_AFTER_SECONDS)
    stale = list(
        Ticket.objects.filter(
            status__in=[Status.BOT, Status.QUEUED], last_customer_activity_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    abandoned = []
    for ticket_id in stale:
        try:
            ticket_abandon(ticket_id=ticket_id, reason="customer left")
        except TransitionNotAllowed:
            continue  # claimed or closed meanwhile
        abandoned.append(ticket_id)
    return abandoned


def customer_seen(*, ticket_id: int) -> None:
    Ticket.objects.filter(pk=ticket_id).update(last_customer_activity_at=timezone.now())


# --- Messages ------------------------------------------------------------------------------


def _validate_body(body: str, *, what: str = "message", max_chars: int | None = None) -> str:
    max_chars = max_chars or settings.CHAT_MAX_BODY_CHARS
    if not isinstance(body, str) or not body.strip():
        raise InvalidMessage(f"A {what} needs a body.", code="empty_body")
    if len(body) > max_chars:
        raise InvalidMessage(
            f"A {what} may be at most {max_chars} characters.", code="body_too_long"
        )
    return body


def _append_message(
    ticket: Ticket,
    *,
    sender: str,
    body: str,
    client_id: str | None = None,
    agent: Agent | None = None,
    article_id: int | None = None,
    customer_active: bool = False,
) -> Message:
    """Store a message with the next seq of a ticket the caller holds locked (or just made).

    The seq comes from the ticket row's counter, which the caller's lock makes current and
    which is bumped under that lock, so seqs are gapless: a rolled-back insert rolls the
    counter back with it. (Were an instance ever stale, the unique (ticket, seq) constraint
    would refuse the insert rather than let two messages share a seq.) One UPDATE carries the
    counter and, for a customer's message, the activity stamp.
    """
    seq = ticket.last_seq + 1
    changes: dict[str, Any] = {"last_seq": seq}
    if customer_active:
        changes["last_customer_activity_at"] = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(**changes)
    for field, value in changes.items():
        setattr(ticket, field, value)
    message = Message.objects.create(
        ticket=ticket,
        seq=seq,
        sender=sender,
        body=body,
        client_id=client_id,
        agent=agent,
        article_id=article_id,
    )
    _after_commit_deliver(message, ticket=ticket, agent=agent)
    return message


def _existing_by_client_id(ticket_id: int, client_id: str | None) -> Message | None:
    if not client_id:
        return None
    # Unique per ticket, so no ORDER BY: with the model's (ticket, seq) ordering the database
    # may walk the whole transcript in seq order instead of using the (ticket, client_id)
    # index, which made every message slower than the last.
    matches = Message.objects.filter(ticket_id=ticket_id, client_id=client_id).order_by()[:1]
    return next(iter(matches), None)


def message_post_customer(
    *, token: str, client_id: str, body: str, ask_assistant: bool = True
) -> tuple[Message, bool]:
    """Store a customer's message once per client_id; returns (message, created).

    While the assistant has the conversation, its answer is asked for after commit. A caller
    that must reply to its client first (the customer socket: in the embedded profile the
    assistant runs in-process, inside that call) passes ``ask_assistant=False`` and calls
    ``assistant_reply_request`` itself once it has replied.
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
            if ticket.status in (Status.RESOLVED, Status.ABANDONED):
                raise ConversationClosed("This conversation is closed.")
            message = _append_message(
                ticket,
                sender=Message.Sender.CUSTOMER,
                body=body,
                client_id=client_id,
                customer_active=True,
            )
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
        ticket = _locked_ticket(ticket_id)
        existing = _existing_by_client_id(ticket.pk, client_id)
        if existing is not None and existing.agent_id == agent_id:
            return existing, False
        if ticket.status != Status.ASSIGNED or ticket.agent_id != agent_id:
            raise Forbidden("You do not hold this ticket.")
        agent = Agent.objects.select_related("user").get(pk=agent_id)
        message = _append_message(
            ticket, sender=Message.Sender.AGENT, body=body, client_id=client_id, agent=agent
        )
    return message, True


def message_post_bot(*, ticket_id: int, body: str, article_id: int | None = None) -> Message | None:
    """Store the assistant's answer, unless the conversation left the assistant meanwhile."""
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        if ticket.status != Status.BOT:
            return None
        return _append_message(ticket, sender=Message.Sender.BOT, body=body, article_id=article_id)


# --- Private notes ---------------------------------------------------------------------------


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
        ticket = _locked_ticket(ticket_id)
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


# --- After commit: who is told what ------------------------------------------------------


def assistant_reply_request(*, ticket_id: int, customer_seq: int) -> None:
    """Have the assistant answer a stored customer message, if it still has the conversation.

    Call it after commit. In the embedded profile the task runs right here; it never raises
    to the caller, whose customer's message is stored whatever the assistant does: the task
    turns its own failures into a fallback answer (tickets.tasks.assistant_reply), and a
    failed enqueue is logged.
    """
    from tickets.tasks import assistant_reply

    if not Ticket.objects.filter(pk=ticket_id, status=Status.BOT).exists():
        return
    try:
        assistant_reply.delay(ticket_id, customer_seq)
    except Exception:
        logger.exception(
            "asking the assistant failed for ticket %s seq %s", ticket_id, customer_seq
        )


def _after_commit_deliver(message: Message, *, ticket: Ticket, agent: Agent | None) -> None:
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


def _after_commit_push_status(ticket: Ticket, **extra: Any) -> None:
    event = status_event(ticket.status, **extra)
    group = events.chat_group(ticket.pk)
    transaction.on_commit(lambda: events.push(group, event))


def _after_commit_announce_queued(ticket: Ticket) -> None:
    summary = events.ticket_summary(ticket)
    language = ticket.language

    def announce() -> None:
        events.push(events.queue_group(language), {"type": "ticket.new", "ticket": summary})
        if _queue_positions_due(language):
            broadcast_queue_positions(language=language)
        else:
            # Coalesced: the newcomer still hears its own place at once.
            _push_queue_position(ticket)

    transaction.on_commit(announce)


def _after_commit_announce_claimed(ticket: Ticket, agent: Agent) -> None:
    summary = events.ticket_summary(ticket)
    language = ticket.language
    agent_id, agent_name = agent.pk, agent.display_name

    def announce() -> None:
        events.push_many(
            [
                (events.queue_group(language), {"type": "ticket.taken", "ticket": ticket.pk}),
                (events.agent_group(agent_id), {"type": "ticket.assigned", "ticket": summary}),
                (
                    events.chat_group(ticket.pk),
                    status_event(Status.ASSIGNED, agent_name=agent_name),
                ),
            ]
        )
        if _queue_positions_due(language):
            broadcast_queue_positions(language=language)

    transaction.on_commit(announce)


def _after_commit_announce_left_agent(ticket: Ticket, *, agent_id: int) -> None:
    status = ticket.status
    ticket_id = ticket.pk

    def announce() -> None:
        pushes = [
            (
                events.agent_group(agent_id),
                {"type": "ticket.closed", "ticket": ticket_id, "status": status},
            )
        ]
        if status == Status.RESOLVED:
            pushes.append((events.chat_group(ticket_id), {"type": "status", "status": status}))
        events.push_many(pushes)

    transaction.on_commit(announce)


def broadcast_queue_positions(*, language: str) -> int:
    """Tell every queued customer of a language where they stand; returns how many."""
    positions = selectors.queue_positions(language=language)
    if not positions:
        return 0
    estimate = selectors.wait_estimator(language=language)
    events.push_many(
        [
            (
                events.chat_group(ticket_id),
                status_event(
                    Status.QUEUED, queue_position=position, eta_seconds=estimate(position)
                ),
            )
            for ticket_id, position in positions
        ]
    )
    return len(positions)


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
    estimate = selectors.wait_estimator(language=ticket.language)
    events.push(
        events.chat_group(ticket.pk),
        status_event(Status.QUEUED, queue_position=position, eta_seconds=estimate(position)),
    )
