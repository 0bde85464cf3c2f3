"""Which conversations land in the review queue: the sample, low ratings, reopens and
complaints (quality.receivers, quality.reviews)."""

import math

import pytest
from django.db import transaction

from quality import reviews
from quality.models import Review
from quality.receivers import (
    queue_complaint_review,
    queue_low_rating_review,
    queue_reopened_review,
    queue_sampled_review,
)
from tests.factories import AgentFactory, ResolvedTicketFactory, TicketFactory
from tickets.models import Complaint, Ticket
from tickets.signals import ticket_rated, ticket_reopened, ticket_reported, ticket_resolved

pytestmark = pytest.mark.django_db

TICKETS = 1000


def _binomial_bounds(n: int, percent: float, sigmas: float = 4.5) -> tuple[float, float]:
    # The count sampled is Binomial(n, p): 4.5 standard deviations either side of n·p
    # fail a correct sampler about once in 150,000 runs, and still catch a rate that is
    # off by a third (at 5 %: 50 ± 31 of 1,000; a sampler at 0 % or 10 % falls outside).
    p = percent / 100
    spread = sigmas * math.sqrt(n * p * (1 - p))
    return n * p - spread, n * p + spread


def _sample_over_resolved_tickets(count: int) -> int:
    agent = AgentFactory()
    tickets = Ticket.objects.bulk_create(
        ResolvedTicketFactory.build(agent=agent, resolved_by=agent) for _ in range(count)
    )
    with transaction.atomic():
        for ticket in tickets:
            queue_sampled_review(sender=Ticket, ticket=ticket)
    return Review.objects.filter(reason=Review.Reason.SAMPLE).count()


def test_the_default_five_percent_of_a_thousand_resolved_tickets_is_sampled(settings):
    assert settings.QA_SAMPLE_PERCENT == 5.0
    low, high = _binomial_bounds(TICKETS, 5.0)

    sampled = _sample_over_resolved_tickets(TICKETS)

    assert low <= sampled <= high


def test_an_overridden_twenty_percent_of_a_thousand_resolved_tickets_is_sampled(settings):
    settings.QA_SAMPLE_PERCENT = 20.0
    low, high = _binomial_bounds(TICKETS, 20.0)

    sampled = _sample_over_resolved_tickets(TICKETS)

    assert low <= sampled <= high


def test_zero_percent_samples_nothing_and_a_hundred_samples_everything(settings):
    tickets = ResolvedTicketFactory.build_batch(50)

    assert not any(reviews.is_sampled(ticket=t, percent=0) for t in tickets)
    assert all(reviews.is_sampled(ticket=t, percent=100) for t in tickets)


def test_the_sampling_decision_is_the_same_each_time_for_one_resolution():
    tickets = ResolvedTicketFactory.build_batch(200)

    first = [reviews.is_sampled(ticket=t, percent=30) for t in tickets]

    assert first == [reviews.is_sampled(ticket=t, percent=30) for t in tickets]


def test_a_resolve_after_a_reopen_is_a_new_draw():
    tickets = ResolvedTicketFactory.build_batch(200)
    before = [reviews.is_sampled(ticket=t, percent=50) for t in tickets]
    for ticket in tickets:
        ticket.reopen_count += 1

    assert before != [reviews.is_sampled(ticket=t, percent=50) for t in tickets]


def test_a_sampled_resolve_heard_through_the_signal_queues_a_review_of_the_resolver(settings):
    settings.QA_SAMPLE_PERCENT = 100
    ticket = ResolvedTicketFactory()

    ticket_resolved.send(sender=Ticket, ticket=ticket)

    review = Review.objects.get(ticket=ticket)
    assert (review.reason, review.agent, review.status) == (
        Review.Reason.SAMPLE,
        ticket.resolved_by,
        Review.Status.QUEUED,
    )


def test_a_resolve_heard_twice_makes_one_review(settings):
    settings.QA_SAMPLE_PERCENT = 100
    ticket = ResolvedTicketFactory()

    ticket_resolved.send(sender=Ticket, ticket=ticket)
    ticket_resolved.send(sender=Ticket, ticket=ticket)

    assert Review.objects.filter(ticket=ticket).count() == 1


def test_without_resolved_by_the_review_goes_to_the_ticket_agent(settings):
    settings.QA_SAMPLE_PERCENT = 100
    ticket = ResolvedTicketFactory(resolved_by=None)

    queue_sampled_review(sender=Ticket, ticket=ticket)

    assert Review.objects.get(ticket=ticket).agent == ticket.agent


@pytest.mark.parametrize("rating", [1, 2])
def test_every_one_or_two_star_rating_lands_in_the_queue(settings, rating):
    settings.QA_SAMPLE_PERCENT = 0
    ticket = ResolvedTicketFactory(rating=rating)

    ticket_rated.send(sender=Ticket, ticket=ticket)

    assert Review.objects.filter(ticket=ticket, reason=Review.Reason.LOW_RATING).count() == 1


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_a_three_to_five_star_rating_does_not(rating):
    ticket = ResolvedTicketFactory(rating=rating)

    queue_low_rating_review(sender=Ticket, ticket=ticket)

    assert not Review.objects.filter(ticket=ticket).exists()


def test_a_low_rating_heard_twice_makes_one_review():
    ticket = ResolvedTicketFactory(rating=1)

    ticket_rated.send(sender=Ticket, ticket=ticket)
    ticket_rated.send(sender=Ticket, ticket=ticket)

    assert Review.objects.filter(ticket=ticket).count() == 1


def test_every_reopen_lands_in_the_queue_for_the_agent_who_had_resolved_it():
    resolver = AgentFactory()
    # A reopen sends the ticket back to the queue, which clears its agent.
    ticket = TicketFactory(status=Ticket.Status.QUEUED, resolved_by=resolver, reopen_count=1)

    ticket_reopened.send(sender=Ticket, ticket=ticket, agent_id=resolver.pk, reason="not_solved")
    ticket_reopened.send(sender=Ticket, ticket=ticket, agent_id=resolver.pk, reason="not_solved")

    review = Review.objects.get(ticket=ticket)
    assert (review.reason, review.agent) == (Review.Reason.REOPENED, resolver)


def test_every_complaint_lands_in_the_queue_for_the_complaint_agent():
    ticket = ResolvedTicketFactory()
    complaint = Complaint.objects.create(ticket=ticket, agent=ticket.agent, category="rude")

    ticket_reported.send(sender=Complaint, complaint=complaint)
    queue_complaint_review(sender=Complaint, complaint=complaint)

    review = Review.objects.get(ticket=ticket)
    assert (review.reason, review.agent) == (Review.Reason.COMPLAINT, ticket.agent)


def test_one_ticket_may_be_queued_for_several_reasons(settings):
    settings.QA_SAMPLE_PERCENT = 100
    ticket = ResolvedTicketFactory(rating=1)

    queue_sampled_review(sender=Ticket, ticket=ticket)
    queue_low_rating_review(sender=Ticket, ticket=ticket)
    queue_reopened_review(sender=Ticket, ticket=ticket, agent_id=ticket.agent_id)

    assert sorted(Review.objects.filter(ticket=ticket).values_list("reason", flat=True)) == [
        "low_rating",
        "reopened",
        "sample",
    ]


def test_a_receiver_costs_one_query(settings, django_assert_num_queries):
    settings.QA_SAMPLE_PERCENT = 100
    ticket = ResolvedTicketFactory()

    with django_assert_num_queries(1):
        queue_sampled_review(sender=Ticket, ticket=ticket)


def test_a_ticket_nobody_handled_is_not_queued(settings):
    settings.QA_SAMPLE_PERCENT = 100
    ticket = TicketFactory(status=Ticket.Status.ABANDONED)

    queue_sampled_review(sender=Ticket, ticket=ticket)

    assert not Review.objects.exists()


def test_resolving_through_the_ticket_service_queues_a_sampled_review(settings):
    from tickets import services

    settings.QA_SAMPLE_PERCENT = 100
    agent = AgentFactory()
    ticket = TicketFactory(
        status=Ticket.Status.ASSIGNED, agent=agent, escalated_at=None, claimed_at=None
    )

    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)

    assert Review.objects.get(ticket=ticket).agent == agent
