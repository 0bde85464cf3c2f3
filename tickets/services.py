"""Every change of a ticket's state: start, escalate, claim, release, resolve, rate, abandon.
A ticket leaving the queue also withdraws the offer out for it (``offers_withdraw``); making,
accepting and expiring offers is ``tickets.dispatch``.

Consumers, views, admin actions and tasks call these; what customers and agents write is
``tickets.messages``, which stores through ``append_message`` here.

Lock policy: a write that touches an agent and a ticket locks the agent row first, then the
ticket row, then the ticket's offers; blocks are short and make no network call. Pushes leave
through ``transaction.on_commit`` (``tickets.announce``) so a rolled-back change is never
announced. A resolve and a rating are announced to the apps above (``tickets.signals``) inside
their transaction: payouts writes the pay line there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from agents import services as agent_services
from agents.models import Agent
from core.jobs import enqueue_coalesced_on_commit, enqueue_on_commit
from tickets import announce, routing, selectors
from tickets.language import in_conversation_language
from tickets.masking import mask_secrets
from tickets.models import KnowledgeArticle, Message, Offer, Ticket, TicketEvent
from tickets.signals import (
    resolution_confirmed,
    ticket_rated,
    ticket_reopened,
    ticket_resolved,
)

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

# The system's phrases, stored in the conversation's language (tickets/language.py).
GREETING = gettext_lazy(
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
        with in_conversation_language(ticket.language):
            append_message(ticket, sender=Message.Sender.BOT, body=str(GREETING))
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
        ticket.resolved_by = agent
        fields += ["resolved_at", "resolved_by"]
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


def dispatch_soon() -> None:
    """Ask for a dispatch round once the surrounding change commits (at once outside a
    transaction), in offer and hybrid routing; nothing in pick.

    Coalesced (core.jobs.enqueue_coalesced_on_commit): while a round waits in the queue, the
    triggers committed meanwhile are folded into it, since it will see them all. At 25
    escalations a second on 500 agents, one round per trigger kept the worker busy locking
    every free agent and left tickets waiting behind the rounds (docs/performance.md).
    """
    if routing.offers_routing():
        enqueue_coalesced_on_commit("tickets.tasks.dispatch_offers")


def locked_ticket(ticket_id: int) -> Ticket:
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
    ticket = locked_ticket(ticket_id)
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
    with in_conversation_language(ticket.language):
        body = gettext("You're in the queue for a person.")
    append_message(ticket, sender=Message.Sender.SYSTEM, body=body)
    announce.ticket_queued(ticket)
    dispatch_soon()
    return ticket


def ticket_claim(*, ticket_id: int, agent_id: int) -> ClaimResult:
    """Give a queued ticket to an agent: exactly one claimer wins.

    The agent row is locked first, which serialises one agent's claims so the capacity
    count cannot be outrun; the ticket is then taken by a conditional UPDATE on its status,
    so of any number of agents racing for it exactly one sees a row count of 1.

    A claim the agent already won answers ok again (a client resending after a lost reply).
    A ticket already out of the queue is refused with ``taken`` after one plain read, before
    any lock: with agents waiting, every free agent claims every new ticket and all but one
    lose, and a losing claim that opened a write transaction (on SQLite the database-wide
    write lock) held up the winners. The read may be stale, never wrong in the other
    direction: a ticket it sees queued still has to win the conditional UPDATE below.
    """
    status, holder_id = Ticket.objects.filter(pk=ticket_id).values_list(
        "status", "agent_id"
    ).first() or (None, None)
    if status == Status.ASSIGNED and holder_id == agent_id:
        # A resend of a claim that won, whose reply was lost (an outage struck as it
        # committed): the same answer again, and nothing announced twice.
        return ClaimResult(ok=True, ticket=Ticket.objects.get(pk=ticket_id))
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
        refusal = claim_refusal(agent=agent, ticket=ticket)
        if refusal is not None:
            return ClaimResult(ok=False, reason=refusal)
        claimed = ticket_assign(ticket_id=ticket_id, agent=agent, reason="claimed")
        if claimed is None:
            return ClaimResult(ok=False, reason="taken")
    return ClaimResult(ok=True, ticket=claimed)


def claim_refusal(*, agent: Agent, ticket: Ticket) -> str | None:
    """Why an agent whose row the caller holds locked may not take this ticket now
    (``not_eligible`` or ``capacity``), or None if it may. The count is exact under the lock:
    every claim of the agent's takes the same lock first."""
    if not selectors.agent_is_eligible(agent=agent, ticket=ticket):
        return "not_eligible"
    held = Ticket.objects.filter(agent_id=agent.pk, status=Status.ASSIGNED).count()
    if held >= agent.capacity:
        return "capacity"
    return None


def ticket_assign(*, ticket_id: int, agent: Agent, reason: str) -> Ticket | None:
    """The claim itself, for ``ticket_claim`` and an accepted offer (tickets.dispatch): inside
    the caller's transaction, with the agent's row locked and ``claim_refusal`` passed.

    The conditional UPDATE from queued decides the one winner; None if the ticket had left
    the queue. The winner is audited (``reason``), stamped as the agent's latest assignment
    (the dispatcher's fairness), the customer is told who joined, an offer still out for the
    ticket is withdrawn, and everyone concerned hears of it after commit.
    """
    now = timezone.now()
    won = Ticket.objects.filter(pk=ticket_id, status=Status.QUEUED).update(
        status=Status.ASSIGNED, agent=agent, claimed_at=now
    )
    if won != 1:
        return None
    ticket = Ticket.objects.get(pk=ticket_id)
    TicketEvent.objects.create(
        ticket=ticket,
        from_status=Status.QUEUED,
        to_status=Status.ASSIGNED,
        actor_kind=Actor.AGENT,
        actor=agent.user,
        agent=agent,
        reason=reason,
    )
    agent_services.agent_assigned(agent_id=agent.pk, at=now)
    if offers_withdraw(ticket_id=ticket_id, reason="taken", now=now):
        dispatch_soon()  # the agent it was offered to is free for another ticket
    with in_conversation_language(ticket.language):
        body = gettext("%(agent)s joined the conversation.") % {"agent": agent.display_name}
    append_message(ticket, sender=Message.Sender.SYSTEM, body=body)
    ticket.agent = agent
    announce.ticket_claimed(ticket, agent)
    return ticket


def offers_withdraw(
    *, reason: str, ticket_id: int | None = None, agent_id: int | None = None, now=None
) -> list[int]:
    """Withdraw the pending offer of a ticket that left the queue, or of an agent that can no
    longer take one; returns the offers' ids, and their agents hear ``offer.gone`` with
    ``reason`` (``taken`` or ``withdrawn``) after commit.

    The caller holds the ticket's row lock (or the agent's): no offer for it can be made or
    accepted meanwhile. The offers are locked before they change, so an expiry or a decline
    racing this one decides them either way, never both ways. One query when there is none.
    """
    if (ticket_id is None) == (agent_id is None):
        raise ValueError("Withdraw by ticket or by agent, not both.")
    owner = {"ticket_id": ticket_id} if ticket_id is not None else {"agent_id": agent_id}
    pending = list(
        Offer.objects.select_for_update()
        .filter(outcome=Offer.Outcome.PENDING, **owner)
        .order_by("pk")
        .values_list("pk", "agent_id")
    )
    if not pending:
        return []
    Offer.objects.filter(pk__in=[offer_id for offer_id, _ in pending]).update(
        outcome=Offer.Outcome.WITHDRAWN, decided_at=now or timezone.now()
    )
    for offer_id, offer_agent_id in pending:
        announce.offer_gone(offer_id=offer_id, agent_id=offer_agent_id, reason=reason)
    return [offer_id for offer_id, _ in pending]


def _held_ticket(ticket_id: int, agent_id: int) -> Ticket:
    ticket = locked_ticket(ticket_id)
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
    # Announced inside the transaction: the pay line payouts writes on hearing it commits
    # with the resolve, so no resolved ticket is ever without one.
    ticket_resolved.send(sender=Ticket, ticket=ticket)
    with in_conversation_language(ticket.language):
        body = gettext("%(agent)s marked the conversation resolved.") % {
            "agent": agent.display_name
        }
    append_message(ticket, sender=Message.Sender.SYSTEM, body=body)
    announce.ticket_left_agent(ticket, agent_id=agent_id)
    dispatch_soon()  # the agent has a free slot
    if ticket.integration_id is not None:
        # Handed over by a company's own assistant: tell the company, after commit. A lost
        # enqueue must not fail the resolve; the periodic drain catches it up.
        enqueue_on_commit("tickets.tasks.deliver_resolved_ticket_webhook", ticket.pk)
    if ticket.reply_email:
        # The customer left a message and may never come back to the page: mail it the
        # replies, after commit, once (tickets.reply_by_email claims the send).
        enqueue_on_commit("tickets.tasks.send_reply_email", ticket.pk)
    return ticket


# --- Confirmed resolution (docs/quality.md) -------------------------------------------------

REOPEN_REASONS = ("not_solved", "wrote_again")
REOPENED_MESSAGES = {
    "not_solved": gettext_lazy("You said this wasn't solved, so you're at the front of the queue."),
    "wrote_again": gettext_lazy(
        "You wrote again, so this conversation is open again and you're at the front of the queue."
    ),
}
# The window sweep confirms at most this many tickets per transaction.
CONFIRM_QUIET_BATCH = 200


def reopen_refusal(ticket: Ticket, *, now: datetime) -> TicketError | None:
    """Why a customer may not reopen this ticket now, or None if they may."""
    if ticket.status != Status.RESOLVED:
        return TicketError("Only a resolved conversation can be reopened.", code="not_resolved")
    if ticket.resolution_confirmed_at is not None:
        return TicketError(
            "This conversation's resolution was already confirmed.", code="already_confirmed"
        )
    if not selectors.confirmation_asked(ticket, now=now):
        return TicketError(
            f"A conversation can be reopened for {settings.REOPEN_WINDOW_HOURS} hours after "
            "it was resolved.",
            code="reopen_window_closed",
        )
    return None


@transaction.atomic
def ticket_resolution_confirm(*, token: str, solved: bool) -> Ticket:
    """The customer's answer to "Did this solve your problem?" on a resolved ticket.

    Yes confirms the resolution (once; a conditional UPDATE decides it against the window
    sweep and a second tab). No reopens it (``ticket_reopen``), within the reopen window
    only. Refused with ``not_found``, ``not_resolved``, ``already_confirmed`` or
    ``reopen_window_closed``, and then nothing changes.
    """
    now = timezone.now()
    if not solved:
        ticket = Ticket.objects.select_for_update().filter(token=token).first()
        if ticket is None:
            raise TicketError("No such conversation.", code="not_found")
        return ticket_reopen_locked(ticket, reason="not_solved", now=now)
    updated = Ticket.objects.filter(
        token=token, status=Status.RESOLVED, resolution_confirmed_at__isnull=True
    ).update(
        resolution_confirmed_at=now,
        resolution_confirmed_by=Ticket.ResolutionConfirmation.CUSTOMER,
    )
    ticket = Ticket.objects.filter(token=token).first()
    if ticket is None:
        raise TicketError("No such conversation.", code="not_found")
    if updated != 1:
        refusal = reopen_refusal(ticket, now=now)
        raise refusal or TicketError("Nothing to confirm.", code="not_resolved")
    # Inside the transaction: payouts releases the held pay line with the confirmation.
    resolution_confirmed.send(sender=Ticket, ticket=ticket)
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket_id: int, reason: str) -> Ticket:
    """Reopen a resolved, unconfirmed ticket within the reopen window, for the customer
    (``reason``: ``not_solved`` or ``wrote_again``); see ``ticket_reopen_locked``."""
    return ticket_reopen_locked(locked_ticket(ticket_id), reason=reason, now=timezone.now())


def ticket_reopen_locked(ticket: Ticket, *, reason: str, now: datetime) -> Ticket:
    """Reopen a ticket whose row the caller holds locked, inside its transaction.

    Back to the queue at its original escalation time (``_transition`` keeps escalated_at),
    so it goes ahead of everything escalated since; ``resolved_by`` stays, and the dispatcher
    offers it to that agent first when they are eligible (``Ticket.preferred_agent_id``).
    The rating stays: a ticket is rated once. Audited as a customer's change naming the
    resolving agent, with the reason "reopened: <reason>" (reopen rates are counted from
    these rows). Payouts reverses the resolution's pay line on hearing ``ticket_reopened``.
    Refused (``reopen_refusal``) with nothing changed.
    """
    if reason not in REOPEN_REASONS:
        raise ValueError(f"Unknown reopen reason {reason!r}.")
    refusal = reopen_refusal(ticket, now=now)
    if refusal is not None:
        raise refusal
    resolver = (
        Agent.objects.select_related("user").filter(pk=ticket.resolved_by_id).first()
        if ticket.resolved_by_id
        else None
    )
    _transition(
        ticket,
        Status.QUEUED,
        actor_kind=Actor.CUSTOMER,
        agent=resolver,
        reason=f"{TicketEvent.REOPEN_REASON_PREFIX} {reason}",
    )
    ticket.reopen_count += 1
    ticket.save(update_fields=["reopen_count"])
    ticket_reopened.send(
        sender=Ticket, ticket=ticket, agent_id=ticket.resolved_by_id, reason=reason
    )
    with in_conversation_language(ticket.language):
        body = str(REOPENED_MESSAGES[reason])
    append_message(ticket, sender=Message.Sender.SYSTEM, body=body)
    announce.ticket_queued(ticket)
    dispatch_soon()
    return ticket


def resolutions_confirm_quiet(
    *, now: datetime | None = None, limit: int = CONFIRM_QUIET_BATCH
) -> list[int]:
    """Confirm, by the window, one batch of resolved tickets still unconfirmed whose reopen
    window has passed; returns their ids (fewer than ``limit``: none are left).

    Safe to run in several workers at once and to retry: rows another worker holds are
    skipped, and the conditional UPDATE confirms only what is still unconfirmed. A fixed
    number of queries besides what the receivers of ``resolution_confirmed`` write, each
    ticket's announcement sent inside this transaction.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.REOPEN_WINDOW_HOURS)
    with transaction.atomic():
        # The partial index ticket_unconfirmed_idx serves this.
        tickets = list(
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(
                status=Status.RESOLVED,
                resolution_confirmed_at__isnull=True,
                resolved_at__lte=cutoff,
            )
            .order_by("resolved_at", "pk")[:limit]
        )
        if not tickets:
            return []
        Ticket.objects.filter(
            pk__in=[ticket.pk for ticket in tickets],
            status=Status.RESOLVED,
            resolution_confirmed_at__isnull=True,
        ).update(
            resolution_confirmed_at=now,
            resolution_confirmed_by=Ticket.ResolutionConfirmation.WINDOW,
        )
        for ticket in tickets:
            ticket.resolution_confirmed_at = now
            ticket.resolution_confirmed_by = Ticket.ResolutionConfirmation.WINDOW
            resolution_confirmed.send(sender=Ticket, ticket=ticket)
    return [ticket.pk for ticket in tickets]


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
        # Gone or suspended: the ticket it was offered goes to someone else.
        offers_withdraw(agent_id=agent_id, reason="withdrawn")
        dispatch_soon()
    return [ticket.pk for ticket in tickets]


def _requeue(ticket: Ticket, *, agent: Agent, actor_kind: str, actor, reason: str) -> None:
    _transition(
        ticket, Status.QUEUED, actor_kind=actor_kind, actor=actor, agent=agent, reason=reason
    )
    with in_conversation_language(ticket.language):
        body = gettext("Your agent had to step away. You're first in line for the next person.")
    append_message(ticket, sender=Message.Sender.SYSTEM, body=body)
    announce.ticket_left_agent(ticket, agent_id=agent.pk)
    announce.ticket_queued(ticket)
    dispatch_soon()  # the ticket is back in the queue, and its agent has a free slot


@transaction.atomic
def ticket_abandon(*, ticket_id: int, reason: str) -> Ticket:
    ticket = locked_ticket(ticket_id)
    was_queued = ticket.status == Status.QUEUED
    _transition(ticket, Status.ABANDONED, actor_kind=Actor.SYSTEM, reason=reason)
    # The agent it was offered to is free for another ticket.
    if was_queued and offers_withdraw(ticket_id=ticket.pk, reason="withdrawn"):
        dispatch_soon()
    if ticket.escalated_at:
        announce.ticket_left_queue(ticket_id=ticket.pk, language=ticket.language)
    announce.ticket_status(ticket)
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
    ticket_rated.send(sender=Ticket, ticket=ticket)
    return ticket


def ticket_email_reply_request(*, ticket_id: int, email: str) -> Ticket:
    """The customer of a queued ticket would rather be answered by email at ``email`` than
    keep the page open (docs/dispatch.md, "Nobody who can help is online"). The ticket stays
    in the queue, in its place, marked as awaiting an email reply; asking again replaces the
    address. ``email`` was validated by the edge; it is checked again here, since nothing
    but a valid address may be stored. Refused (``not_queued``) once the ticket left the
    queue. One conditional UPDATE: no lock, no race with a claim (a claimed ticket refuses).
    """
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise TicketError("Enter a valid email address.", code="invalid_email") from None
    now = timezone.now()
    updated = Ticket.objects.filter(pk=ticket_id, status=Status.QUEUED).update(
        reply_email=email, reply_email_requested_at=now
    )
    if updated != 1:
        raise TicketError(
            "Only a conversation waiting for a person can be answered by email.",
            code="not_queued",
        )
    return Ticket.objects.get(pk=ticket_id)


def tickets_abandon_stale(*, now=None) -> list[int]:
    """Abandon conversations whose customer has been gone longer than the set time."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TICKET_ABANDON_AFTER_SECONDS)
    # A customer who left an email address for the reply is gone on purpose: its ticket
    # waits in the queue for an agent however long the page stays closed.
    stale = list(
        Ticket.objects.filter(
            status__in=[Status.BOT, Status.QUEUED],
            last_customer_activity_at__lt=cutoff,
            reply_email_requested_at__isnull=True,
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


def append_message(
    ticket: Ticket,
    *,
    sender: str,
    body: str,
    client_id: str | None = None,
    agent: Agent | None = None,
    article: KnowledgeArticle | None = None,
    customer_active: bool = False,
    language: str | None = None,
) -> Message:
    """Store a message with the next seq of a ticket the caller holds locked (or just made).

    The seq comes from the ticket row's counter, which the caller's lock makes current and
    which is bumped under that lock, so seqs are gapless: a rolled-back insert rolls the
    counter back with it. (Were an instance ever stale, the unique (ticket, seq) constraint
    would refuse the insert rather than let two messages share a seq.) One UPDATE carries the
    counter and, for a customer's message, the activity stamp, and the conversation's
    language when its first message changed it (``tickets.messages``).
    """
    seq = ticket.last_seq + 1
    changes: dict[str, Any] = {"last_seq": seq}
    if customer_active:
        changes["last_customer_activity_at"] = timezone.now()
    if language is not None:
        changes["language"] = language
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
        article=article,
    )
    announce.message_stored(message, ticket=ticket, agent=agent)
    return message
