"""What starts a dispatch round (services.dispatch_soon, tickets.tasks.dispatch_offers): in
offer and hybrid routing every change that may make an offer possible, once committed; in
pick routing nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import AgentFactory, OfferFactory, QueuedTicketFactory, TicketFactory
from tickets import dispatch, services, tasks
from tickets.models import Offer

pytestmark = pytest.mark.django_db(transaction=True)


def pending() -> list[tuple[int, int]]:
    return sorted(
        Offer.objects.filter(outcome=Offer.Outcome.PENDING).values_list("ticket_id", "agent_id")
    )


@pytest.mark.parametrize("mode", ["offer", "hybrid"])
def test_an_escalation_is_offered_to_the_best_free_agent_in_one_round(settings, mode):
    settings.ROUTING_MODE = mode
    busy = AgentFactory()
    QueuedTicketFactory(status="assigned", agent=busy)
    free = AgentFactory()
    ticket = TicketFactory()

    services.ticket_escalate(ticket_id=ticket.pk, reason="customer asked")

    assert pending() == [(ticket.pk, free.pk)]


def test_in_pick_routing_an_escalation_makes_no_offer(settings):
    settings.ROUTING_MODE = "pick"
    AgentFactory()
    ticket = TicketFactory()

    services.ticket_escalate(ticket_id=ticket.pk, reason="customer asked")

    assert not Offer.objects.exists()


def test_a_released_ticket_is_offered_to_another_agent_at_once(settings):
    settings.ROUTING_MODE = "offer"
    holder = AgentFactory()
    other = AgentFactory()
    ticket = QueuedTicketFactory(status="assigned", agent=holder)

    services.ticket_release(ticket_id=ticket.pk, agent_id=holder.pk, reason="stuck")

    # The releasing agent is free too; the fairness rule decides, and either is a free agent.
    assert [t for t, _ in pending()] == [ticket.pk]
    assert pending()[0][1] in (holder.pk, other.pk)


def test_an_agent_back_from_away_is_offered_a_waiting_ticket_at_once(settings):
    settings.ROUTING_MODE = "offer"
    agent = AgentFactory(availability="away")
    ticket = QueuedTicketFactory()

    dispatch.agent_set_available(agent_id=agent.pk)

    assert pending() == [(ticket.pk, agent.pk)]


def test_the_sweep_expires_offers_then_offers_their_tickets_again(settings):
    settings.ROUTING_MODE = "offer"
    sent = timezone.now() - timedelta(seconds=30)
    late = OfferFactory(sent_at=sent, expires_at=sent + timedelta(seconds=15))
    other = AgentFactory()

    made = tasks.dispatch_offers()

    late.refresh_from_db()
    assert late.outcome == "expired"
    assert made == 1
    assert pending() == [(late.ticket_id, other.pk)]


def test_the_sweep_does_nothing_in_pick_routing(settings):
    settings.ROUTING_MODE = "pick"
    AgentFactory()
    QueuedTicketFactory()

    assert tasks.dispatch_offers() == 0
    assert not Offer.objects.exists()


def test_an_agent_whose_offered_ticket_was_abandoned_is_offered_the_next_at_once(settings):
    settings.ROUTING_MODE = "offer"
    offer = OfferFactory()
    waiting = QueuedTicketFactory()

    services.ticket_abandon(ticket_id=offer.ticket_id, reason="customer left")

    assert pending() == [(waiting.pk, offer.agent_id)]
