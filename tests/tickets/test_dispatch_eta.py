"""The wait a queued customer is told, from the dispatcher's own view: free slots take the first
tickets after the time agents take to accept; the rest wait for the service rate measured over
the last minutes, floored by the speakers' capacity turning over once per handle time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import AgentFactory, OfferFactory, QueuedTicketFactory, TicketFactory
from tickets import announce, selectors
from tickets.models import Ticket
from tickets.selectors import DispatchView


def view(**overrides) -> DispatchView:
    values = dict(
        capacity=10,
        free=2,
        served_in_window=0,
        served_over_seconds=0.0,
        take_seconds=6,
        handle_seconds=300,
    )
    values.update(overrides)
    return DispatchView(**values)


@pytest.mark.parametrize(
    ("overrides", "position", "expected"),
    [
        # A free slot for it: only the time tickets take to be taken lately.
        ({}, 1, 6),
        ({}, 2, 6),
        # Third of ten slots turning over every 300 s: one ticket every 30 s.
        ({}, 3, 6 + 30),
        ({}, 5, 6 + 90),
        # 600 tickets taken over the last 300 s (2 a second) beat the turnover's 1/30.
        ({"served_in_window": 600, "served_over_seconds": 300.0}, 5, 6 + 2),
        # The same 60 taken over the 30 s since the first: 2 a second too.
        ({"served_in_window": 60, "served_over_seconds": 30.0}, 5, 6 + 2),
        # 5 taken in 5 minutes (a quiet spell) is below the turnover: the turnover holds.
        ({"served_in_window": 5, "served_over_seconds": 300.0}, 3, 6 + 30),
        # Too few takes, or too short a spell, to call a rate: the turnover holds.
        ({"served_in_window": 4, "served_over_seconds": 40.0}, 3, 6 + 30),
        ({"served_in_window": 50, "served_over_seconds": 10.0}, 3, 6 + 30),
        # Nobody online who can take it: nobody can say (issue #19), whatever others serve.
        ({"capacity": 0, "free": 0}, 2, None),
        ({"capacity": 0, "free": 0, "served_in_window": 50, "served_over_seconds": 60.0}, 1, None),
    ],
)
def test_the_wait_for_a_place_comes_from_free_slots_and_the_service_rate(
    overrides, position, expected
):
    assert view(**overrides).eta_seconds(position) == expected


@pytest.mark.django_db
def test_the_view_counts_only_the_slots_of_available_speakers_of_the_language():
    AgentFactory(capacity=3)
    AgentFactory(capacity=2, availability="away")
    AgentFactory(capacity=4, languages=["de"])
    AgentFactory(capacity=5, is_online=False)
    busy = AgentFactory(capacity=2)
    TicketFactory(status=Ticket.Status.ASSIGNED, agent=busy, claimed_at=timezone.now())

    seen = selectors.dispatch_view(language="en")

    assert (seen.capacity, seen.free) == (5, 4)


@pytest.mark.django_db
def test_the_service_rate_counts_the_tickets_of_the_language_taken_in_the_window():
    agent = AgentFactory()
    now = timezone.now()
    for claimed_at, language in [
        (now - timedelta(minutes=1), "en"),
        (now - timedelta(minutes=4), "en"),
        (now - timedelta(minutes=6), "en"),  # before the window
        (now - timedelta(minutes=1), "de"),  # another language's
    ]:
        TicketFactory(
            status=Ticket.Status.RESOLVED,
            agent=agent,
            language=language,
            escalated_at=claimed_at - timedelta(seconds=5),
            claimed_at=claimed_at,
            resolved_at=now,
        )

    seen = selectors.dispatch_view(language="en", now=now)

    assert (seen.served_in_window, seen.served_over_seconds) == (2, 240.0)


@pytest.mark.django_db
def test_the_time_to_take_is_the_median_of_the_latest_takes():
    agent = AgentFactory()
    now = timezone.now()
    for waited in (2, 3, 4, 30, 1):
        claimed_at = now - timedelta(seconds=60)
        TicketFactory(
            status=Ticket.Status.ASSIGNED,
            agent=agent,
            escalated_at=claimed_at - timedelta(seconds=waited),
            claimed_at=claimed_at,
        )

    assert selectors.dispatch_view(language="en", now=now).take_seconds == 3


@pytest.mark.django_db
def test_without_takes_the_time_to_take_is_the_default():
    assert selectors.dispatch_view(language="en").take_seconds == (selectors.DEFAULT_TAKE_SECONDS)


@pytest.mark.django_db
def test_the_view_is_read_in_a_fixed_number_of_queries(django_assert_num_queries):
    for _ in range(5):
        agent = AgentFactory()
        TicketFactory(status=Ticket.Status.ASSIGNED, agent=agent, claimed_at=timezone.now())

    # Agents, their held chats, the takes' count, the latest takes, the handle time.
    with django_assert_num_queries(5):
        selectors.dispatch_view(language="en")


@pytest.mark.django_db
def test_the_queue_broadcast_keeps_saying_connecting_while_an_offer_is_out(pushes):
    offered = OfferFactory().ticket
    waiting = QueuedTicketFactory()

    announce.broadcast_queue_positions(language="en")

    told = {group: event for group, event in pushes}
    assert told[f"chat.{offered.pk}"].get("connecting") is True
    assert "connecting" not in told[f"chat.{waiting.pk}"]
    assert told[f"chat.{waiting.pk}"]["queue_position"] == 2
