"""Scoring a review on the rubric, the agent's one dispute and its settlement by a second
reviewer (quality.reviews)."""

import pytest

from quality.models import Dispute, Review, ReviewScore, RubricCriterion
from quality.reviews import (
    CriterionScore,
    ReviewError,
    ReviewNotFound,
    review_dispute,
    review_score,
    review_settle,
    score_percent,
)
from tests.factories import AgentFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


def all_criteria(score: int = 4, comment: str = "") -> dict[int, CriterionScore]:
    return {
        pk: CriterionScore(score, comment)
        for pk in RubricCriterion.objects.filter(is_active=True).values_list("pk", flat=True)
    }


def scored_review(reviewer=None, score: int = 4) -> Review:
    review = ReviewFactory()
    return review_score(
        review_id=review.pk,
        reviewer=reviewer or UserFactory(is_staff=True),
        scores=all_criteria(score),
        comments="Good.",
    )


def disputed_review(reviewer=None) -> Review:
    review = scored_review(reviewer)
    review_dispute(review_id=review.pk, agent_id=review.agent_id, reason="I did solve it.")
    return Review.objects.get(pk=review.pk)


def test_the_default_rubric_has_the_five_criteria_of_the_issue():
    assert list(RubricCriterion.objects.values_list("name", flat=True)) == [
        "Solved the problem",
        "Accuracy",
        "Tone",
        "Followed policy",
        "Privacy",
    ]


@pytest.mark.parametrize(
    ("scores", "weights", "expected"),
    [
        ({1: 1, 2: 1}, {1: 1, 2: 1}, 0),
        ({1: 5, 2: 5}, {1: 1, 2: 1}, 100),
        ({1: 3}, {1: 1}, 50),
        ({1: 5, 2: 1}, {1: 3, 2: 1}, 75),
        ({1: 4, 2: 4, 3: 5}, {1: 1, 2: 1, 3: 1}, 83),  # 83.33…
        ({1: 2, 2: 3}, {1: 1, 2: 1}, 38),  # 37.5 rounds half up
    ],
)
def test_the_score_is_the_weighted_mean_of_each_criterion_as_a_percent(scores, weights, expected):
    assert score_percent(scores, weights) == expected


def test_scoring_stores_each_criterion_and_the_weighted_percent():
    review = ReviewFactory()
    reviewer = UserFactory(is_staff=True)
    criteria = list(RubricCriterion.objects.filter(is_active=True))
    RubricCriterion.objects.filter(pk=criteria[0].pk).update(weight=3)
    scores = {c.pk: CriterionScore(4) for c in criteria}
    scores[criteria[0].pk] = CriterionScore(2, "Missed the refund step.")

    scored = review_score(
        review_id=review.pk, reviewer=reviewer, scores=scores, comments="  Check refunds.  "
    )

    # (3 × 25 + 4 × 75) / 7 = 53.57…
    assert (scored.status, scored.score_pct, scored.reviewer, scored.comments) == (
        Review.Status.SCORED,
        54,
        reviewer,
        "Check refunds.",
    )
    assert scored.scored_at is not None
    assert ReviewScore.objects.filter(review=review).count() == len(criteria)
    assert ReviewScore.objects.get(review=review, criterion=criteria[0]).comment == (
        "Missed the refund step."
    )


def test_scoring_twice_is_refused_and_the_first_score_stands():
    review = scored_review(score=5)

    with pytest.raises(ReviewError, match="already scored"):
        review_score(
            review_id=review.pk, reviewer=UserFactory(), scores=all_criteria(1), comments="No."
        )

    review.refresh_from_db()
    assert (review.score_pct, review.comments) == (100, "Good.")
    assert ReviewScore.objects.filter(review=review, score=5).count() == 5


def test_a_missing_criterion_is_refused_and_nothing_is_stored():
    review = ReviewFactory()
    scores = all_criteria()
    scores.pop(next(iter(scores)))

    with pytest.raises(ReviewError, match="missing: Solved the problem"):
        review_score(review_id=review.pk, reviewer=UserFactory(), scores=scores)

    review.refresh_from_db()
    assert review.status == Review.Status.QUEUED
    assert not ReviewScore.objects.exists()


@pytest.mark.parametrize("bad", [0, 6, -1])
def test_a_score_out_of_range_is_refused_and_nothing_is_stored(bad):
    review = ReviewFactory()
    scores = all_criteria()
    scores[next(iter(scores))] = CriterionScore(bad)

    with pytest.raises(ReviewError, match="from 1 to 5"):
        review_score(review_id=review.pk, reviewer=UserFactory(), scores=scores)

    assert Review.objects.get(pk=review.pk).status == Review.Status.QUEUED
    assert not ReviewScore.objects.exists()


def test_an_inactive_criterion_is_neither_asked_nor_accepted():
    review = ReviewFactory()
    retired = RubricCriterion.objects.get(name="Privacy")
    retired.is_active = False
    retired.save()
    scores = all_criteria()

    with pytest.raises(ReviewError, match="active criteria"):
        review_score(
            review_id=review.pk,
            reviewer=UserFactory(),
            scores={**scores, retired.pk: CriterionScore(3)},
        )
    scored = review_score(review_id=review.pk, reviewer=UserFactory(), scores=scores)

    assert scored.scores.count() == 4


def test_scoring_an_unknown_review_is_not_found():
    with pytest.raises(ReviewNotFound):
        review_score(review_id=999_999, reviewer=UserFactory(), scores=all_criteria())


# --- Disputes -----------------------------------------------------------------------------


def test_the_agent_disputes_a_scored_review_once_with_a_reason():
    review = scored_review()

    dispute = review_dispute(
        review_id=review.pk, agent_id=review.agent_id, reason="  The customer left happy. "
    )

    assert dispute.reason == "The customer left happy."
    assert Review.objects.get(pk=review.pk).status == Review.Status.DISPUTED


def test_a_second_dispute_is_refused():
    review = disputed_review()

    with pytest.raises(ReviewError, match="already disputed"):
        review_dispute(review_id=review.pk, agent_id=review.agent_id, reason="Again.")

    assert Dispute.objects.get(review=review).reason == "I did solve it."


def test_an_empty_reason_is_refused_and_nothing_is_stored():
    review = scored_review()

    with pytest.raises(ReviewError, match="Say why"):
        review_dispute(review_id=review.pk, agent_id=review.agent_id, reason="   ")

    assert Review.objects.get(pk=review.pk).status == Review.Status.SCORED
    assert not Dispute.objects.exists()


def test_another_agents_review_is_not_found():
    review = scored_review()

    with pytest.raises(ReviewNotFound):
        review_dispute(review_id=review.pk, agent_id=AgentFactory().pk, reason="Not mine.")

    assert not Dispute.objects.exists()


def test_a_queued_review_cannot_be_disputed():
    review = ReviewFactory()

    with pytest.raises(ReviewError, match="not scored yet"):
        review_dispute(review_id=review.pk, agent_id=review.agent_id, reason="Early.")


def test_a_second_reviewer_upholds_the_review():
    review = disputed_review()
    second = UserFactory(is_staff=True)

    dispute = review_settle(
        review_id=review.pk, settler=second, outcome="upheld", note="The refund was wrong."
    )

    review.refresh_from_db()
    assert (review.status, review.score_pct) == (Review.Status.SETTLED, 75)
    assert (dispute.outcome, dispute.settled_by, dispute.original_score_pct) == (
        "upheld",
        second,
        None,
    )


def test_a_second_reviewer_revises_the_score_and_the_old_one_is_kept():
    review = disputed_review()

    dispute = review_settle(
        review_id=review.pk,
        settler=UserFactory(is_staff=True),
        outcome="revised",
        note="Fair point.",
        revised_score_pct=90,
    )

    review.refresh_from_db()
    assert (review.status, review.score_pct) == (Review.Status.SETTLED, 90)
    assert (dispute.original_score_pct, dispute.settlement_note) == (75, "Fair point.")


def test_the_first_reviewer_may_not_settle_the_dispute():
    first = UserFactory(is_staff=True)
    review = disputed_review(reviewer=first)

    with pytest.raises(ReviewError, match="second reviewer"):
        review_settle(review_id=review.pk, settler=first, outcome="upheld", note="Mine stands.")

    assert Review.objects.get(pk=review.pk).status == Review.Status.DISPUTED
    assert Dispute.objects.get(review=review).outcome == ""


def test_a_dispute_is_settled_once():
    review = disputed_review()
    review_settle(review_id=review.pk, settler=UserFactory(), outcome="upheld", note="Stands.")

    with pytest.raises(ReviewError, match="already settled"):
        review_settle(
            review_id=review.pk,
            settler=UserFactory(),
            outcome="revised",
            note="Changed my mind.",
            revised_score_pct=10,
        )

    assert Review.objects.get(pk=review.pk).score_pct == 75


@pytest.mark.parametrize(
    ("outcome", "note", "pct", "message"),
    [
        ("upheld", "  ", None, "Write a note"),
        ("revised", "Fair.", None, "percentage from 0 to 100"),
        ("revised", "Fair.", 101, "percentage from 0 to 100"),
        ("upheld", "Stands.", 50, "keeps its score"),
        ("maybe", "Hmm.", None, "Uphold the review or revise"),
    ],
)
def test_a_settlement_without_a_note_or_a_valid_score_is_refused(outcome, note, pct, message):
    review = disputed_review()

    with pytest.raises(ReviewError, match=message):
        review_settle(
            review_id=review.pk,
            settler=UserFactory(),
            outcome=outcome,
            note=note,
            revised_score_pct=pct,
        )

    assert Review.objects.get(pk=review.pk).status == Review.Status.DISPUTED


def test_a_review_not_disputed_cannot_be_settled():
    review = scored_review()

    with pytest.raises(ReviewError, match="not disputed"):
        review_settle(review_id=review.pk, settler=UserFactory(), outcome="upheld", note="Ok.")
