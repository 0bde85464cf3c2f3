"""Reviews: which conversations go to the review queue, scoring them on the rubric, the
agent's one dispute and its settlement by a second reviewer (docs/quality.md, section 2).

Every change of a review's status is a conditional UPDATE on the status it leaves, so two
reviewers pressing at once, or a form sent twice, change it once; the loser is told why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quality.models import Dispute, Review, ReviewScore, RubricCriterion
from tickets.models import Ticket

DISPUTE_REASON_MAX_CHARS = 2000
COMMENT_MAX_CHARS = 4000
SCORE_MIN, SCORE_MAX = 1, 5


class ReviewError(Exception):
    """A refused review operation; the message is for the person who asked."""


class ReviewNotFound(ReviewError):
    """No such review, or not one the asker may act on (an agent's view answers 404)."""


@dataclass(frozen=True)
class CriterionScore:
    score: int
    comment: str = ""


# --- Into the queue ---------------------------------------------------------------------


def is_sampled(*, ticket: Ticket, percent: float | None = None) -> bool:
    """Whether this resolution of the ticket falls in the random sample.

    Deterministic: the SHA-256 of the ticket's token and its resolution (the reopen count,
    which the next resolve after a reopen follows) read as a number in [0, 1), below
    ``percent``/100. A retried or twice-heard receiver decides the same way, and SHA-256
    spreads tokens uniformly, so the share sampled over many tickets is the percentage. The
    token is the customer's secret, so nobody who handles tickets can tell in advance which
    of them will be sampled.
    """
    if percent is None:
        percent = settings.QA_SAMPLE_PERCENT
    digest = hashlib.sha256(f"{ticket.token}:{ticket.reopen_count}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    return draw < percent / 100


def review_queue(*, ticket_id: int, agent_id: int | None, reason: str) -> None:
    """Put the conversation in the review queue for ``reason``, once: one INSERT that the
    unique (ticket, reason) constraint turns into nothing when the review exists already.
    Run inside the announcing change's transaction, so it must stay one query. A ticket no
    agent handled (``agent_id`` None) has nothing to review."""
    if agent_id is None:
        return
    Review.objects.bulk_create(
        [Review(ticket_id=ticket_id, agent_id=agent_id, reason=reason)], ignore_conflicts=True
    )


# --- Scoring ------------------------------------------------------------------------------


def score_percent(scores: Mapping[int, int], weights: Mapping[int, int]) -> int:
    """The weighted mean of each criterion's (score − 1) / 4 × 100, rounded half up: 1 is
    0 %, 5 is 100 %. Integer arithmetic, so the same scores always give the same percent."""
    numerator = sum(weights[cid] * (score - SCORE_MIN) * 100 for cid, score in scores.items())
    denominator = sum(weights[cid] for cid in scores) * (SCORE_MAX - SCORE_MIN)
    return (2 * numerator + denominator) // (2 * denominator)


def _checked_scores(scores: Mapping[int, CriterionScore]) -> dict[int, int]:
    """The active criteria's weights, once ``scores`` is found to be the whole rubric in
    range; refused otherwise."""
    active = {
        pk: (name, weight)
        for pk, name, weight in RubricCriterion.objects.filter(is_active=True).values_list(
            "pk", "name", "weight"
        )
    }
    if not active:
        raise ReviewError("The rubric has no active criteria: add one before scoring.")
    if set(scores) - set(active):
        raise ReviewError("Score only the rubric's active criteria.")
    missing = [name for cid, (name, _) in active.items() if cid not in scores]
    if missing:
        raise ReviewError(f"Score every criterion; missing: {', '.join(missing)}.")
    for cid, given in scores.items():
        name = active[cid][0]
        if not isinstance(given.score, int) or not SCORE_MIN <= given.score <= SCORE_MAX:
            raise ReviewError(f"{name}: a score is from {SCORE_MIN} to {SCORE_MAX}.")
        if len(given.comment) > COMMENT_MAX_CHARS:
            raise ReviewError(f"{name}: the comment is too long.")
    return {cid: weight for cid, (_, weight) in active.items()}


@transaction.atomic
def review_score(
    *, review_id: int, reviewer, scores: Mapping[int, CriterionScore], comments: str = ""
) -> Review:
    """Score a queued review: every active criterion from 1 to 5 with an optional comment,
    and overall comments for the agent. Refused, with nothing stored, if the review was
    scored already (by anyone), or a criterion is missing, unknown or out of range."""
    comments = comments.strip()
    if len(comments) > COMMENT_MAX_CHARS:
        raise ReviewError("The comments are too long.")
    weights = _checked_scores(scores)
    pct = score_percent({cid: given.score for cid, given in scores.items()}, weights)
    claimed = Review.objects.filter(pk=review_id, status=Review.Status.QUEUED).update(
        status=Review.Status.SCORED,
        reviewer=reviewer,
        score_pct=pct,
        comments=comments,
        scored_at=timezone.now(),
    )
    if claimed != 1:
        if not Review.objects.filter(pk=review_id).exists():
            raise ReviewNotFound("No such review.")
        raise ReviewError("This review was already scored; it cannot be scored twice.")
    ReviewScore.objects.bulk_create(
        ReviewScore(
            review_id=review_id, criterion_id=cid, score=given.score, comment=given.comment.strip()
        )
        for cid, given in scores.items()
    )
    return Review.objects.get(pk=review_id)


# --- Disputes -----------------------------------------------------------------------------


@transaction.atomic
def review_dispute(*, review_id: int, agent_id: int, reason: str) -> Dispute:
    """The agent disagrees with a scored review of its own, once, saying why. Another
    agent's review is ``ReviewNotFound`` (its existence is not confirmed); a review not
    scored yet, or disputed already, is refused."""
    reason = reason.strip()
    if not reason:
        raise ReviewError("Say why you disagree with the review.")
    if len(reason) > DISPUTE_REASON_MAX_CHARS:
        raise ReviewError(f"Keep the reason under {DISPUTE_REASON_MAX_CHARS} characters.")
    moved = Review.objects.filter(
        pk=review_id, agent_id=agent_id, status=Review.Status.SCORED
    ).update(status=Review.Status.DISPUTED)
    if moved != 1:
        status = (
            Review.objects.filter(pk=review_id, agent_id=agent_id)
            .values_list("status", flat=True)
            .first()
        )
        if status is None:
            raise ReviewNotFound("No such review.")
        if status == Review.Status.QUEUED:
            raise ReviewError("This review is not scored yet.")
        raise ReviewError("You have already disputed this review; a review is disputed once.")
    return Dispute.objects.create(review_id=review_id, reason=reason)


@transaction.atomic
def review_settle(
    *,
    review_id: int,
    settler,
    outcome: str,
    note: str,
    revised_score_pct: int | None = None,
) -> Dispute:
    """A second reviewer settles the agent's dispute: uphold the review, or revise its
    score (the old one kept on the dispute), with a note the agent reads. The reviewer who
    scored it may not settle it."""
    note = note.strip()
    if not note:
        raise ReviewError("Write a note for the agent: why the review stands or changes.")
    if len(note) > COMMENT_MAX_CHARS:
        raise ReviewError("The note is too long.")
    if outcome not in Dispute.Outcome.values:
        raise ReviewError("Uphold the review or revise its score.")
    if outcome == Dispute.Outcome.REVISED:
        if not isinstance(revised_score_pct, int) or not 0 <= revised_score_pct <= 100:
            raise ReviewError("A revised score is a percentage from 0 to 100.")
    elif revised_score_pct is not None:
        raise ReviewError("An upheld review keeps its score; give a new score only to revise.")
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise ReviewNotFound("No such review.")
    if review.reviewer_id == settler.pk:
        raise ReviewError("You scored this review, so a second reviewer must settle its dispute.")
    if review.status != Review.Status.DISPUTED:
        raise ReviewError(
            "This review's dispute is already settled."
            if review.status == Review.Status.SETTLED
            else "This review is not disputed."
        )
    now = timezone.now()
    dispute = Dispute.objects.get(review_id=review_id)
    dispute.outcome = outcome
    dispute.settled_by = settler
    dispute.settlement_note = note
    dispute.settled_at = now
    review.status = Review.Status.SETTLED
    review_fields = ["status"]
    if outcome == Dispute.Outcome.REVISED:
        dispute.original_score_pct = review.score_pct
        review.score_pct = revised_score_pct
        review_fields.append("score_pct")
    review.save(update_fields=review_fields)
    dispute.save()
    return dispute
