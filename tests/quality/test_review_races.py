"""Reviewers, agents and customers pressing at once change a review, a dispute or a report
once, with real threads on PostgreSQL (the conditional UPDATEs and row locks being proven).
"""

import threading
from collections.abc import Callable

import pytest
from django.db import connections

from quality.models import Dispute, Review, RubricCriterion
from quality.reviews import CriterionScore, ReviewError, review_dispute, review_score
from tests.factories import (
    ResolvedTicketFactory,
    ReviewFactory,
    UserFactory,
    ensure_default_rubric,
)
from tickets.complaints import ComplaintRefused, complaint_file
from tickets.models import Complaint

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]


@pytest.fixture(autouse=True)
def _rubric():
    ensure_default_rubric()


# Below the test pool's size (DB_POOL_MAX_SIZE=5): each thread holds a connection.
RACERS = 4


def race(attempt: Callable[[int], object], refusal: type[Exception]) -> list[str]:
    start = threading.Barrier(RACERS)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def racer(index: int) -> None:
        try:
            start.wait(timeout=30)
            try:
                attempt(index)
                outcome = "done"
            except refusal:
                outcome = "refused"
            with lock:
                outcomes.append(outcome)
        except BaseException as error:  # surfaced below: a thread must not fail silently
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return sorted(outcomes)


def test_reviewers_scoring_one_review_at_once_score_it_once():
    review = ReviewFactory()
    reviewers = [UserFactory(is_staff=True) for _ in range(RACERS)]
    criteria = list(RubricCriterion.objects.filter(is_active=True).values_list("pk", flat=True))

    outcomes = race(
        lambda i: review_score(
            review_id=review.pk,
            reviewer=reviewers[i],
            scores={pk: CriterionScore(i + 1) for pk in criteria},
        ),
        ReviewError,
    )

    assert outcomes == ["done"] + ["refused"] * (RACERS - 1)
    review.refresh_from_db()
    assert review.scores.count() == len(criteria)
    assert {s.score for s in review.scores.all()} == {reviewers.index(review.reviewer) + 1}


def test_an_agent_disputing_twice_at_once_disputes_once():
    review = ReviewFactory()
    review_score(
        review_id=review.pk,
        reviewer=UserFactory(),
        scores={
            pk: CriterionScore(3)
            for pk in RubricCriterion.objects.filter(is_active=True).values_list("pk", flat=True)
        },
    )

    outcomes = race(
        lambda i: review_dispute(review_id=review.pk, agent_id=review.agent_id, reason=f"#{i}"),
        ReviewError,
    )

    assert outcomes == ["done"] + ["refused"] * (RACERS - 1)
    assert Dispute.objects.filter(review=review).count() == 1


def test_a_report_sent_several_times_at_once_is_stored_once():
    ticket = ResolvedTicketFactory()

    outcomes = race(lambda i: complaint_file(token=ticket.token, category="rude"), ComplaintRefused)

    assert outcomes == ["done"] + ["refused"] * (RACERS - 1)
    assert Complaint.objects.filter(ticket=ticket).count() == 1
    assert Review.objects.filter(ticket=ticket).count() == 1
