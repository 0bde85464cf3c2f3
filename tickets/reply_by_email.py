"""The answer by email to a customer who left a message (docs/dispatch.md, "Nobody who can
help is online").

The customer asked to be answered at ``Ticket.reply_email`` and may never open the chat page
again, so when an agent resolves such a ticket (``tickets.services.ticket_resolve``) the
agent's replies are mailed to that address, once, by a Celery task
(``tickets.tasks.send_reply_email``).

What the email holds: the agents' replies written since the customer asked to be emailed,
not the whole transcript. The customer knows what it wrote, and what the assistant said
before it asked for a person did not help; the replies are the answer it waits for. The
whole conversation is one link away (the chat page by its token, which also offers the
transcript download and the rating). Each reply is signed with its agent's first name only,
as the chat page shows it.

At least once, and once in all but one narrow case: a sender claims the send for
``REPLY_EMAIL_LEASE_SECONDS`` by a conditional UPDATE (``reply_email_claimed_at``, where no
live claim is and nothing was sent), so of two runs (a resolve enqueued twice, a message
delivered twice) one sends and the other finds it claimed. The mail goes out after that
commit, never inside a transaction, and ``reply_emailed_at`` is set once it went. A failed
send gives the claim back and raises, for the task's retry. A sender lost between the claim
and the send (a killed worker), retries that ran out, or a resolve whose enqueue never
reached the broker leave the email unsent: every few minutes ``reply_emails_overdue`` finds
those and the email is sent again. The one way to two copies is a worker lost between the
mail server taking the email and ``reply_emailed_at`` being written; the customer is waiting
for this answer, and a second copy is the better failure than none.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from core.site_url import site_url_or_default
from tickets.language import in_conversation_language
from tickets.models import Message, Ticket

logger = logging.getLogger(__name__)

# The most replies one email quotes; the rest are on the conversation page.
REPLY_EMAIL_MAX_REPLIES = 100
# The most overdue emails one sweep enqueues; a longer backlog is the next sweep's.
REPLY_EMAIL_SWEEP_BATCH = 200
# The sweep stops trying an email this long after the resolve: an address the mail server
# keeps refusing is not retried forever. It stays unsent where operators see it (the ticket
# admin's reply_emailed_at), and an answer days late is a person's call to make.
REPLY_EMAIL_SWEEP_MAX_AGE = timedelta(days=3)
PRODUCT_NAME = "Humanline"


def _lease() -> timedelta:
    return timedelta(seconds=settings.REPLY_EMAIL_LEASE_SECONDS)


def _unsent() -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        status=Ticket.Status.RESOLVED, reply_emailed_at__isnull=True
    ).exclude(reply_email="")


def reply_email_claim(*, ticket_id: int, now: datetime | None = None) -> Ticket | None:
    """Claim the email of a resolved ticket whose customer asked to be answered by email;
    None if there is nothing to send (no address, not resolved, sent already) or another
    sender's claim is still live. One conditional UPDATE, autocommitted: the claim stands
    before any mail goes out."""
    now = now or timezone.now()
    claimed = (
        _unsent()
        .filter(pk=ticket_id)
        .filter(
            Q(reply_email_claimed_at__isnull=True) | Q(reply_email_claimed_at__lt=now - _lease())
        )
        .update(reply_email_claimed_at=now)
    )
    if claimed != 1:
        return None
    return Ticket.objects.select_related("agent__user", "integration").get(pk=ticket_id)


def reply_email_release(*, ticket: Ticket) -> None:
    """Give back a claim whose email could not be sent, so a retry sends it. Only this
    claim's: the timestamp must still be the one set when claiming."""
    Ticket.objects.filter(
        pk=ticket.pk, reply_email_claimed_at=ticket.reply_email_claimed_at
    ).update(reply_email_claimed_at=None)


def _reply_email_sent(*, ticket: Ticket) -> None:
    marked = Ticket.objects.filter(pk=ticket.pk, reply_emailed_at__isnull=True).update(
        reply_emailed_at=timezone.now()
    )
    if marked != 1:
        # Another sender took over a lapsed claim and sent it too: the lease is shorter than
        # this send took.
        logger.warning("reply email for ticket %s was sent twice", ticket.pk)


def reply_emails_overdue(*, now: datetime | None = None) -> list[int]:
    """Tickets whose email should have gone by now and has not: a claim older than the
    lease (its sender died or gave up), or no claim a lease after the resolve (the enqueue
    was lost); resolved within REPLY_EMAIL_SWEEP_MAX_AGE. One query; the partial index on
    unsent replies keeps it small."""
    now = now or timezone.now()
    cutoff = now - _lease()
    return list(
        _unsent()
        .filter(resolved_at__gte=now - REPLY_EMAIL_SWEEP_MAX_AGE)
        .filter(
            Q(reply_email_claimed_at__lt=cutoff)
            | Q(reply_email_claimed_at__isnull=True, resolved_at__lt=cutoff)
        )
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:REPLY_EMAIL_SWEEP_BATCH]
    )


def reply_email_content(*, ticket: Ticket, site_url: str | None = None) -> tuple[str, str]:
    """The subject and plain-text body of the email to the customer of ``ticket``."""
    replies = list(
        Message.objects.filter(
            ticket_id=ticket.pk,
            sender=Message.Sender.AGENT,
            created_at__gte=ticket.reply_email_requested_at,
        )
        .select_related("agent__user")
        .order_by("seq")[:REPLY_EMAIL_MAX_REPLIES]
    )
    # A company's own assistant handed the conversation over: it is that company's support.
    brand = ticket.integration.name if ticket.integration_id else PRODUCT_NAME
    # Written in the conversation's language, as the chat was (docs/i18n.md).
    with in_conversation_language(ticket.language):
        context = {
            "brand": brand,
            "customer_first_name": ticket.customer_first_name,
            "agent_name": ticket.agent.display_name if ticket.agent else gettext("Our agent"),
            "replies": [
                {
                    "agent_name": reply.agent.display_name if reply.agent else gettext("Agent"),
                    "body": reply.body,
                }
                for reply in replies
            ],
            "conversation_url": f"{site_url_or_default(site_url)}/chat/?c={ticket.token}",
        }
        subject = gettext("Your conversation with %(brand)s support") % {"brand": brand}
        return subject, render_to_string("emails/reply_by_email.txt", context)


def reply_email_send(*, ticket_id: int, site_url: str | None = None) -> bool:
    """Email the customer of a resolved ticket the agents' replies, once (called by the Celery
    task, after the resolve committed). True if this call sent it."""
    ticket = reply_email_claim(ticket_id=ticket_id)
    if ticket is None:
        return False
    try:
        subject, body = reply_email_content(ticket=ticket, site_url=site_url)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [ticket.reply_email])
    except Exception:
        reply_email_release(ticket=ticket)
        raise
    _reply_email_sent(ticket=ticket)
    return True
