"""Quality listens: what tickets announce that a reviewer should see (docs/quality.md).

Each receiver runs inside the announcing change's transaction and costs at most one query
(reviews.review_queue): the review commits with the resolve, rating, reopen or report, or
not at all. Heard twice, a signal still makes one review (one per ticket and reason).
Connected in ``QualityConfig.ready``.
"""

from django.dispatch import receiver

from quality import reviews
from quality.models import Review
from tickets.signals import ticket_rated, ticket_reopened, ticket_reported, ticket_resolved

# Ratings of this many stars or fewer always go to review.
LOW_RATING_MAX = 2


def _resolving_agent_id(ticket) -> int | None:
    return ticket.resolved_by_id or ticket.agent_id


@receiver(ticket_resolved, dispatch_uid="quality.sample_review")
def queue_sampled_review(sender, *, ticket, **kwargs) -> None:
    if reviews.is_sampled(ticket=ticket):
        reviews.review_queue(
            ticket_id=ticket.pk, agent_id=_resolving_agent_id(ticket), reason=Review.Reason.SAMPLE
        )


@receiver(ticket_rated, dispatch_uid="quality.low_rating_review")
def queue_low_rating_review(sender, *, ticket, **kwargs) -> None:
    if ticket.rating is not None and ticket.rating <= LOW_RATING_MAX:
        reviews.review_queue(
            ticket_id=ticket.pk,
            agent_id=_resolving_agent_id(ticket),
            reason=Review.Reason.LOW_RATING,
        )


@receiver(ticket_reopened, dispatch_uid="quality.reopened_review")
def queue_reopened_review(sender, *, ticket, agent_id=None, **kwargs) -> None:
    # The reopen has cleared ticket.agent; the agent who had resolved it is sent along.
    reviews.review_queue(
        ticket_id=ticket.pk,
        agent_id=agent_id or ticket.resolved_by_id,
        reason=Review.Reason.REOPENED,
    )


@receiver(ticket_reported, dispatch_uid="quality.complaint_review")
def queue_complaint_review(sender, *, complaint, **kwargs) -> None:
    reviews.review_queue(
        ticket_id=complaint.ticket_id, agent_id=complaint.agent_id, reason=Review.Reason.COMPLAINT
    )
