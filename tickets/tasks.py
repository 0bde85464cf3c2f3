"""Celery tasks of the conversation flow: ids in, a service call, retries here.

Every task may run twice (acks_late, at-least-once delivery), so each one checks what is
already done before doing it.
"""

import logging

from celery import shared_task
from django.db import transaction

from agents import services as agent_services
from core.jobs import MAIL_RETRY, coalesced_task_started, enqueue
from tickets import (
    announce,
    assistant_flow,
    dispatch,
    integrations,
    reply_by_email,
    routing,
    services,
    unserved,
)
from tickets.models import Ticket

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5)
def assistant_reply(self, ticket_id: int, seq: int) -> None:
    """The assistant's answer to message ``seq``; a customer is never left without one.

    A lost connection to the assistant's backend is retried on a worker, with backoff; any
    other failure, or the last retry's, is logged and answered with a fallback that offers a
    person. Run eagerly (embedded profile) there is no retry: the task runs inside the
    customer's socket call, and a retry there would hammer the backend with no backoff.
    The soft time limit (SoftTimeLimitExceeded is an Exception) is such a failure too: the
    customer gets the fallback before the hard limit would leave them with nothing.
    """
    try:
        assistant_flow.conversation_assistant_reply(ticket_id=ticket_id, customer_seq=seq)
    except ConnectionError as error:
        if not self.request.is_eager and self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=2 ** (self.request.retries + 1)) from error
        logger.exception("the assistant is unreachable: ticket %s seq %s", ticket_id, seq)
        assistant_flow.conversation_assistant_failed(ticket_id=ticket_id, customer_seq=seq)
    except Exception:
        logger.exception("the assistant failed: ticket %s seq %s", ticket_id, seq)
        assistant_flow.conversation_assistant_failed(ticket_id=ticket_id, customer_seq=seq)


# Embedding a whole help centre runs about a millisecond a word: minutes for a large one.
# Cut by the soft limit, what it stored stays stored (a cache) and the next run goes on.
@shared_task(acks_late=True, soft_time_limit=15 * 60, time_limit=16 * 60)
def prepare_assistant() -> int:
    """Embed the help centre after it changed (coalesced: a burst of edits runs this once)."""
    coalesced_task_started("tickets.tasks.prepare_assistant")
    return assistant_flow.assistant_prepare()


@shared_task(acks_late=True)
def requeue_tickets_of_departed_agents() -> int:
    # One transaction: an agent taken offline and its tickets back in the queue commit
    # together, so a time limit or a lost worker between the two cannot leave an offline
    # agent holding tickets that the next sweep (which looks for online agents) never finds.
    with transaction.atomic():
        departed = agent_services.agents_mark_departed()
        for agent_id in departed:
            services.tickets_requeue_for_agent(agent_id=agent_id, reason="agent went offline")
    return len(departed)


@shared_task(acks_late=True)
def dispatch_offers() -> int:
    """Expire the offers past their time, then offer queued tickets to free agents; the
    number of offers made. Enqueued on commit by every trigger (services.dispatch_soon) and
    run every second by the schedule. Safe to run twice or at once in several processes
    (tickets.dispatch); does nothing in pick routing, so a message queued before a switch
    to pick is harmless."""
    coalesced_task_started("tickets.tasks.dispatch_offers")
    if not routing.offers_routing():
        return 0
    dispatch.offers_expire()
    return len(dispatch.dispatch_round())


@shared_task(acks_late=True)
def abandon_stale_tickets() -> int:
    return len(services.tickets_abandon_stale())


# Bounds one run: a backlog larger than this (a long outage) is caught up by the next runs.
CONFIRM_QUIET_MAX_BATCHES = 25


@shared_task(acks_late=True)
def confirm_quiet_resolutions() -> int:
    """Confirm, by the window, resolved tickets whose reopen window passed quietly
    (docs/quality.md): in batches of their own transaction, until none is left or the run's
    bound is reached. Safe to run twice or in several workers at once."""
    confirmed = 0
    for _ in range(CONFIRM_QUIET_MAX_BATCHES):
        batch = services.resolutions_confirm_quiet()
        confirmed += len(batch)
        if len(batch) < services.CONFIRM_QUIET_BATCH:
            break
    return confirmed


@shared_task(acks_late=True)
def broadcast_queue_positions() -> int:
    languages = (
        Ticket.objects.filter(status=Ticket.Status.QUEUED)
        .values_list("language", flat=True)
        .distinct()
    )
    return sum(announce.broadcast_queue_positions(language=code) for code in languages)


@shared_task(acks_late=True)
def alert_unserved_queue() -> int:
    """Warn operators of tickets nobody online can take; safe to run twice (throttled)."""
    return len(unserved.unserved_queue_alert())


# --- Bring your own AI: webhooks to the company's assistant -------------------------------
# Retries are not Celery's here: a failed attempt stores its next_attempt_at and the drain
# below picks it up, so backoff survives restarts and works alike in both profiles (an eager
# Celery retry would spin in the resolving agent's request instead of waiting).


@shared_task(acks_late=True)
def deliver_resolved_ticket_webhook(ticket_id: int) -> str | None:
    delivery = integrations.webhook_record_resolved(ticket_id=ticket_id)
    if delivery is None:
        return None
    return integrations.webhook_attempt(delivery_id=delivery.pk)


# A drain of many deliveries, each bounded by its 5 s timeout; an attempt cut short stays
# due and is tried again by the next drain.
@shared_task(acks_late=True, soft_time_limit=4 * 60, time_limit=5 * 60)
def deliver_due_webhooks() -> int:
    return integrations.webhooks_deliver_due()


# At most one email per ticket, whatever the deliveries: the send is claimed first
# (tickets.reply_by_email); a failed send gives the claim back and MAIL_RETRY retries it.
@shared_task(**MAIL_RETRY)
def send_reply_email(ticket_id: int) -> bool:
    """The agents' replies to a customer who asked to be answered by email (after a resolve)."""
    return reply_by_email.reply_email_send(ticket_id=ticket_id)


@shared_task(acks_late=True)
def send_overdue_reply_emails() -> int:
    """Enqueue the reply emails that should have gone by now (tickets.reply_by_email); each
    send claims its own, so a sweep that overlaps a retry sends nothing twice."""
    overdue = reply_by_email.reply_emails_overdue()
    for ticket_id in overdue:
        enqueue("tickets.tasks.send_reply_email", ticket_id)
    return len(overdue)
