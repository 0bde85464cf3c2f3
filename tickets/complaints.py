"""A customer's report of a conversation (docs/quality.md, section 3): stored once per
conversation and announced (``ticket_reported``) in the same transaction, so quality puts it
up for review with the report or not at all."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from tickets.masking import mask_secrets
from tickets.models import Complaint, Ticket
from tickets.services import TicketError
from tickets.signals import ticket_reported

COMPLAINT_DETAILS_MAX_CHARS = 2000


class ComplaintRefused(TicketError):
    """``code``: not_found, not_handled, already_reported or invalid."""


@transaction.atomic
def complaint_file(*, token: str, category: str, details: str = "") -> Complaint:
    """Report the conversation whose token the customer holds: a category and optional
    details (secrets masked, as in the chat). Only a conversation a person handled can be
    reported, and only once; every refusal stores nothing."""
    if category not in Complaint.Category.values:
        raise ComplaintRefused("Choose what went wrong.", code="invalid")
    details = details.strip()
    if len(details) > COMPLAINT_DETAILS_MAX_CHARS:
        raise ComplaintRefused(
            f"Keep the details under {COMPLAINT_DETAILS_MAX_CHARS} characters.", code="invalid"
        )
    # The ticket's row lock orders two reports sent at once; the unique constraint backs it.
    ticket = (
        Ticket.objects.select_for_update()
        .only("id", "agent_id", "resolved_by_id")
        .filter(token=token)
        .first()
    )
    if ticket is None:
        raise ComplaintRefused("No such conversation.", code="not_found")
    agent_id = ticket.agent_id or ticket.resolved_by_id
    if agent_id is None:
        raise ComplaintRefused(
            "Only a conversation with one of our agents can be reported.", code="not_handled"
        )
    if Complaint.objects.filter(ticket_id=ticket.pk).exists():
        raise ComplaintRefused("This conversation was already reported.", code="already_reported")
    try:
        with transaction.atomic():
            complaint = Complaint.objects.create(
                ticket_id=ticket.pk,
                agent_id=agent_id,
                category=category,
                details=mask_secrets(details),
            )
    except IntegrityError:
        raise ComplaintRefused(
            "This conversation was already reported.", code="already_reported"
        ) from None
    ticket_reported.send(sender=Complaint, complaint=complaint)
    return complaint
