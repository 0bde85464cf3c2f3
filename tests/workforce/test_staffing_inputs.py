"""Staffing's measured inputs: customers' patience and agents' efficiency per chat."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import AgentFactory, TicketFactory
from tickets.models import Ticket
from workforce import selectors

pytestmark = pytest.mark.django_db


def abandoned(*, escalated_at, left_after, swept_after):
    ticket = TicketFactory(status=Ticket.Status.ABANDONED, escalated_at=escalated_at)
    Ticket.objects.filter(pk=ticket.pk).update(
        last_customer_activity_at=escalated_at + left_after,
        abandoned_at=escalated_at + left_after + swept_after,
    )


def answered(*, escalated_at, waited, agent):
    TicketFactory(
        status=Ticket.Status.RESOLVED,
        agent=agent,
        resolved_by=agent,
        escalated_at=escalated_at,
        claimed_at=escalated_at + waited,
        resolved_at=escalated_at + waited + timedelta(minutes=10),
    )


def test_patience_is_abandonments_over_all_time_spent_waiting(settings):
    settings.SHIFT_PATIENCE_MIN_ABANDONMENTS = 3
    now = timezone.now()
    agent = AgentFactory()
    for day in range(3):
        # Left after 100 s; the sweep noticed half an hour later, which must not count.
        abandoned(
            escalated_at=now - timedelta(days=day + 1),
            left_after=timedelta(seconds=100),
            swept_after=timedelta(minutes=30),
        )
        answered(
            escalated_at=now - timedelta(days=day + 1), waited=timedelta(seconds=50), agent=agent
        )

    patience = selectors.customer_patience(now=now)

    # (3 × 100 + 3 × 50) s of waiting for 3 abandonments.
    assert patience.measured
    assert patience.abandonments == 3
    assert patience.mean_seconds == pytest.approx(150)


def test_with_too_few_abandonments_the_default_patience_stands_in(settings):
    settings.SHIFT_PATIENCE_MIN_ABANDONMENTS = 30
    settings.SHIFT_DEFAULT_PATIENCE_SECONDS = 180
    now = timezone.now()
    abandoned(
        escalated_at=now - timedelta(hours=1),
        left_after=timedelta(seconds=20),
        swept_after=timedelta(minutes=30),
    )

    patience = selectors.customer_patience(now=now)

    assert (patience.mean_seconds, patience.abandonments, patience.measured) == (180, 1, False)


def test_abandonments_outside_the_window_are_not_counted(settings):
    settings.SHIFT_PATIENCE_MIN_ABANDONMENTS = 1
    settings.SHIFT_PATIENCE_WINDOW_DAYS = 28
    now = timezone.now()
    abandoned(
        escalated_at=now - timedelta(days=40),
        left_after=timedelta(seconds=20),
        swept_after=timedelta(minutes=30),
    )

    assert selectors.customer_patience(now=now).abandonments == 0


def test_patience_is_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.customer_patience(now=timezone.now())


def test_chat_efficiency_falls_back_to_the_setting_without_history(settings):
    settings.SHIFT_CHAT_EFFICIENCY = {1: 1.0, 2: 0.9}

    assert selectors.chat_efficiency(now=timezone.now()) == {1: 1.0, 2: 0.9}


def test_chat_efficiency_is_measured_from_resolved_tickets(settings, django_assert_num_queries):
    settings.SHIFT_EFFICIENCY_MIN_TICKETS = 2
    settings.SHIFT_CHAT_EFFICIENCY = {1: 1.0, 2: 0.9}
    now = timezone.now()
    alone, doubled = AgentFactory(), AgentFactory()
    for hour in (2, 4):
        start = now - timedelta(hours=hour)
        TicketFactory(
            status=Ticket.Status.RESOLVED,
            agent=alone,
            resolved_by=alone,
            escalated_at=start,
            claimed_at=start,
            resolved_at=start + timedelta(minutes=10),
        )
        for _ in range(2):
            TicketFactory(
                status=Ticket.Status.RESOLVED,
                agent=doubled,
                resolved_by=doubled,
                escalated_at=start,
                claimed_at=start,
                resolved_at=start + timedelta(minutes=20),
            )

    with django_assert_num_queries(1):
        efficiency = selectors.chat_efficiency(now=now)

    assert efficiency[2] == pytest.approx(0.5)


def test_a_reopened_tickets_wait_is_not_counted(settings):
    settings.SHIFT_PATIENCE_MIN_ABANDONMENTS = 1
    now = timezone.now()
    abandoned(
        escalated_at=now - timedelta(hours=3),
        left_after=timedelta(seconds=60),
        swept_after=timedelta(minutes=30),
    )
    # Escalated two hours ago, resolved, reopened and claimed again just now.
    TicketFactory(
        status=Ticket.Status.ASSIGNED,
        agent=AgentFactory(),
        escalated_at=now - timedelta(hours=2),
        claimed_at=now - timedelta(seconds=1),
        reopen_count=1,
    )

    assert selectors.customer_patience(now=now).mean_seconds == pytest.approx(60)
