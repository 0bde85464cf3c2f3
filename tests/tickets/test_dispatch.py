"""Dispatch rounds: which queued tickets are offered to which free agents, what a round
writes and announces, and what it costs. Races between processes are in
test_dispatch_race.py (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from agents.models import Agent
from tests.factories import AgentFactory, OfferFactory, QueuedTicketFactory, TicketFactory
from tickets import dispatch, services
from tickets.models import Offer, Ticket, TicketEvent
from tickets.signals import offers_made

pytestmark = pytest.mark.django_db
Outcome = Offer.Outcome


def pending() -> list[tuple[int, int]]:
    """(ticket, agent) of every offer out."""
    return sorted(
        Offer.objects.filter(outcome=Outcome.PENDING).values_list("ticket_id", "agent_id")
    )


# --- What a round offers ----------------------------------------------------------------------


def test_a_round_offers_a_queued_ticket_to_a_free_agent_until_the_timeout(settings):
    settings.OFFER_TIMEOUT_SECONDS = 15
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    now = timezone.now()

    made = dispatch.dispatch_round(now=now)

    offer = Offer.objects.get()
    assert made == [offer.pk]
    assert (offer.ticket_id, offer.agent_id, offer.outcome) == (ticket.pk, agent.pk, "pending")
    assert (offer.sent_at, offer.expires_at) == (now, now + timedelta(seconds=15))
    agent.refresh_from_db()
    assert agent.last_offered_at == now


def test_an_offer_leaves_the_ticket_queued_and_writes_no_ticket_event():
    AgentFactory()
    ticket = QueuedTicketFactory()

    dispatch.dispatch_round()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.agent_id) == (Ticket.Status.QUEUED, None)
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_a_ticket_with_an_offer_out_is_not_offered_to_anyone_else():
    first = AgentFactory()
    ticket = QueuedTicketFactory()
    dispatch.dispatch_round()
    AgentFactory()

    made = dispatch.dispatch_round()

    assert made == []
    assert pending() == [(ticket.pk, first.pk)]


def test_an_agent_is_offered_one_ticket_at_a_time():
    agent = AgentFactory(capacity=3)
    first, _second = QueuedTicketFactory.create_batch(2)

    dispatch.dispatch_round()
    dispatch.dispatch_round()

    assert pending() == [(first.pk, agent.pk)]


def test_one_round_offers_as_many_tickets_as_there_are_free_agents():
    agents = AgentFactory.create_batch(3)
    tickets = QueuedTicketFactory.create_batch(5)

    made = dispatch.dispatch_round()

    assert len(made) == 3
    offered = pending()
    assert sorted(agent_id for _, agent_id in offered) == sorted(a.pk for a in agents)
    assert [ticket_id for ticket_id, _ in offered] == [t.pk for t in tickets[:3]]


def test_the_most_urgent_ticket_is_offered_first_then_the_longest_waiting():
    AgentFactory()
    now = timezone.now()
    QueuedTicketFactory(escalated_at=now - timedelta(minutes=10))
    urgent = QueuedTicketFactory(priority=Ticket.Priority.URGENT, escalated_at=now)

    dispatch.dispatch_round()

    assert [ticket_id for ticket_id, _ in pending()] == [urgent.pk]


def test_the_free_agent_with_fewest_open_chats_is_offered_the_ticket():
    busier, idle = AgentFactory(), AgentFactory()
    QueuedTicketFactory(status=Ticket.Status.ASSIGNED, agent=busier)
    ticket = QueuedTicketFactory()
    # Fairness would favour the busier agent: the load comes first.
    Agent.objects.filter(pk=idle.pk).update(last_offered_at=timezone.now())

    dispatch.dispatch_round()

    assert pending() == [(ticket.pk, idle.pk)]


def test_among_equally_loaded_agents_the_one_longest_without_an_offer_is_chosen():
    now = timezone.now()
    recent = AgentFactory(last_offered_at=now - timedelta(seconds=30))
    longest = AgentFactory(last_offered_at=now - timedelta(minutes=10))
    ticket = QueuedTicketFactory()

    dispatch.dispatch_round(now=now)

    assert pending() == [(ticket.pk, longest.pk)]
    assert recent.pk not in dict(pending()).values()


def test_a_better_acceptance_rate_breaks_a_tie_of_load_and_fairness():
    now = timezone.now()
    reluctant, keen = AgentFactory(), AgentFactory()
    for outcome in ["expired", "declined", "accepted"]:
        OfferFactory(
            agent=reluctant,
            ticket=TicketFactory(),
            sent_at=now - timedelta(hours=1),
            outcome=outcome,
            decided_at=now - timedelta(hours=1),
            decline_reason="busy" if outcome == "declined" else "",
        )
    OfferFactory(
        agent=keen,
        ticket=TicketFactory(),
        sent_at=now - timedelta(hours=1),
        outcome="accepted",
        decided_at=now - timedelta(hours=1),
    )
    Agent.objects.update(last_offered_at=now - timedelta(minutes=5))
    ticket = QueuedTicketFactory()

    dispatch.dispatch_round(now=now)

    assert pending() == [(ticket.pk, keen.pk)]


def test_a_probation_agent_is_not_offered_a_vip_ticket_while_a_standard_agent_is_free():
    now = timezone.now()
    # Fairness alone would choose the agent on probation: never offered anything.
    on_probation = AgentFactory(quality_tier=Agent.QualityTier.PROBATION)
    standard = AgentFactory(
        quality_tier=Agent.QualityTier.STANDARD, last_offered_at=now - timedelta(seconds=30)
    )
    vip = QueuedTicketFactory(is_vip=True, priority=Ticket.Priority.HIGH)

    dispatch.dispatch_round(now=now)

    assert pending() == [(vip.pk, standard.pk)]
    assert on_probation.pk not in dict(pending()).values()


def test_a_probation_agent_is_offered_a_vip_ticket_when_no_standard_agent_is_free():
    AgentFactory(quality_tier=Agent.QualityTier.STANDARD, availability=Agent.Availability.AWAY)
    on_probation = AgentFactory(quality_tier=Agent.QualityTier.PROBATION)
    vip = QueuedTicketFactory(is_vip=True, priority=Ticket.Priority.HIGH)

    dispatch.dispatch_round()

    assert pending() == [(vip.pk, on_probation.pk)]


def test_with_a_vip_and_a_normal_ticket_the_standard_agent_gets_the_vip_one():
    on_probation = AgentFactory(quality_tier=Agent.QualityTier.PROBATION)
    standard = AgentFactory(quality_tier=Agent.QualityTier.EXPERT)
    normal = QueuedTicketFactory(escalated_at=timezone.now() - timedelta(minutes=5))
    urgent = QueuedTicketFactory(priority=Ticket.Priority.URGENT)

    dispatch.dispatch_round()

    assert pending() == sorted([(urgent.pk, standard.pk), (normal.pk, on_probation.pk)])


def test_among_equally_idle_agents_the_higher_quality_score_is_offered_the_ticket():
    now = timezone.now()
    AgentFactory(quality_score=60, last_offered_at=now - timedelta(seconds=60))
    better = AgentFactory(quality_score=92, last_offered_at=now - timedelta(seconds=61))
    ticket = QueuedTicketFactory()

    dispatch.dispatch_round(now=now)

    assert pending() == [(ticket.pk, better.pk)]


def _suspended():
    return AgentFactory(status=Agent.Status.SUSPENDED)


def _inactive_user():
    agent = AgentFactory()
    get_user_model().objects.filter(pk=agent.user_id).update(is_active=False)
    return agent


@pytest.mark.parametrize(
    "make_agent",
    [
        pytest.param(lambda: AgentFactory(availability="away"), id="away"),
        pytest.param(lambda: AgentFactory(is_online=False), id="offline"),
        pytest.param(
            lambda: AgentFactory(connection_count=0, disconnected_at=timezone.now()),
            id="between sockets, in its grace period",
        ),
        pytest.param(_suspended, id="suspended"),
        pytest.param(_inactive_user, id="login disabled"),
        pytest.param(lambda: AgentFactory(languages=["de"]), id="another language"),
        pytest.param(lambda: AgentFactory(skills=["tech"]), id="lacking the skill"),
    ],
)
def test_an_agent_who_may_not_take_the_ticket_is_not_offered_it(make_agent):
    make_agent()
    QueuedTicketFactory()

    assert dispatch.dispatch_round() == []
    assert not Offer.objects.exists()


def test_an_agent_with_every_slot_taken_is_not_offered_a_ticket():
    agent = AgentFactory(capacity=1)
    QueuedTicketFactory(status=Ticket.Status.ASSIGNED, agent=agent)
    QueuedTicketFactory()

    assert dispatch.dispatch_round() == []


def test_a_ticket_nobody_free_can_take_does_not_hide_the_tickets_behind_it(monkeypatch):
    monkeypatch.setattr(dispatch, "DISPATCH_ROUND_TICKETS", 2)
    agent = AgentFactory(skills=["general"])
    now = timezone.now()
    for minutes in (30, 20):
        QueuedTicketFactory(
            required_skills=["legal"], escalated_at=now - timedelta(minutes=minutes)
        )
    takeable = QueuedTicketFactory(escalated_at=now - timedelta(minutes=10))

    dispatch.dispatch_round()

    assert pending() == [(takeable.pk, agent.pk)]


def test_bot_conversations_and_held_tickets_are_not_offered():
    AgentFactory()
    TicketFactory()
    QueuedTicketFactory(status=Ticket.Status.ASSIGNED, agent=AgentFactory(is_online=False))

    assert dispatch.dispatch_round() == []


# --- Passing a ticket up -----------------------------------------------------------------------


def test_an_agent_who_declined_a_ticket_is_not_offered_it_again_at_once():
    first = AgentFactory()
    ticket = QueuedTicketFactory()
    [offer_id] = dispatch.dispatch_round()
    dispatch.offer_decline(offer_id=offer_id, agent_id=first.pk, reason="busy")

    assert dispatch.dispatch_round() == []

    second = AgentFactory()
    dispatch.dispatch_round()
    assert pending() == [(ticket.pk, second.pk)]


def test_a_ticket_nobody_else_can_take_comes_back_to_the_agent_who_passed_it_up_sooner():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    [offer_id] = dispatch.dispatch_round()
    dispatch.offer_decline(offer_id=offer_id, agent_id=agent.pk, reason="busy")
    soon = timezone.now() + timedelta(seconds=dispatch.REOFFER_SOLE_AFTER_SECONDS - 1)
    later = timezone.now() + timedelta(seconds=dispatch.REOFFER_SOLE_AFTER_SECONDS + 1)

    assert dispatch.dispatch_round(now=soon) == []
    dispatch.dispatch_round(now=later)

    assert pending() == [(ticket.pk, agent.pk)]


def test_a_ticket_another_free_agent_can_take_does_not_come_back_to_its_passer_early():
    first, second = AgentFactory(), AgentFactory()
    ticket = QueuedTicketFactory()
    [offer_id] = dispatch.dispatch_round()
    passer = first if pending() == [(ticket.pk, first.pk)] else second
    other = second if passer is first else first
    dispatch.offer_decline(offer_id=offer_id, agent_id=passer.pk, reason="busy")
    later = timezone.now() + timedelta(seconds=dispatch.REOFFER_SOLE_AFTER_SECONDS + 1)

    dispatch.dispatch_round(now=later)

    assert pending() == [(ticket.pk, other.pk)]


def test_a_ticket_comes_back_to_an_agent_who_passed_it_up_once_the_pause_is_over():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    [offer_id] = dispatch.dispatch_round()
    dispatch.offer_decline(offer_id=offer_id, agent_id=agent.pk, reason="busy")
    later = timezone.now() + timedelta(seconds=dispatch.REOFFER_AFTER_SECONDS + 1)

    dispatch.dispatch_round(now=later)

    assert pending() == [(ticket.pk, agent.pk)]


def test_a_ticket_that_ran_out_goes_to_the_next_agent_in_the_next_round():
    first = AgentFactory(last_offered_at=None)
    ticket = QueuedTicketFactory()
    now = timezone.now()
    dispatch.dispatch_round(now=now)
    second = AgentFactory()
    later = now + timedelta(seconds=16)

    dispatch.offers_expire(now=later)
    dispatch.dispatch_round(now=later)

    assert pending() == [(ticket.pk, second.pk)]
    assert Offer.objects.get(agent=first).outcome == Outcome.EXPIRED


# --- What a round announces --------------------------------------------------------------------


def test_each_offer_is_pushed_to_its_own_agent_only_after_commit(
    pushes, django_capture_on_commit_callbacks, settings
):
    settings.OFFER_TIMEOUT_SECONDS = 15
    agent, other = AgentFactory(), AgentFactory(is_online=False)
    ticket = QueuedTicketFactory(topic="billing", summary="Double charge.")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [offer_id] = dispatch.dispatch_round()
    assert pushes == []
    for callback in callbacks:
        callback()

    [(group, event)] = [push for push in pushes if push[0].startswith("agent.")]
    assert group == f"agent.{agent.pk}" != f"agent.{other.pk}"
    assert event["type"] == "offer"
    assert event["offer"] == offer_id
    assert event["expires_in"] == 15
    assert event["ticket"]["id"] == ticket.pk
    assert event["ticket"]["summary"] == "Double charge."
    assert "pay" not in event  # no rate card in force (tests/payouts/test_offer_pay.py)
    # And the customer is told a person is being connected.
    assert [event for group, event in pushes if group.startswith("chat.")] == [
        {"type": "status", "status": "queued", "connecting": True}
    ]


def test_the_offers_made_are_announced_once_per_round_inside_its_transaction():
    AgentFactory.create_batch(2)
    QueuedTicketFactory.create_batch(2)
    heard: list[list[int]] = []

    def receiver(sender, *, offers, **kwargs):
        # Inside the round: the rows are there to read, with their tickets.
        assert Offer.objects.filter(pk__in=[o.pk for o in offers]).count() == len(offers)
        heard.append(sorted(o.ticket.pk for o in offers))

    offers_made.connect(receiver, dispatch_uid="test-offers-made")
    try:
        dispatch.dispatch_round()
    finally:
        offers_made.disconnect(dispatch_uid="test-offers-made")

    assert heard == [sorted(Ticket.objects.values_list("pk", flat=True))]


def test_nothing_calls_the_dispatcher_yet_whatever_the_routing_mode(settings):
    settings.ROUTING_MODE = "offer"
    AgentFactory()
    ticket = TicketFactory()

    services.ticket_escalate(ticket_id=ticket.pk, reason="customer_request")

    assert not Offer.objects.exists()


# --- What a round costs ------------------------------------------------------------------------


def test_a_round_with_no_free_agent_costs_two_queries(django_assert_num_queries):
    QueuedTicketFactory.create_batch(3)

    with django_assert_num_queries(2 + 2):  # + the savepoint and its release
        assert dispatch.dispatch_round() == []


def test_a_round_with_an_empty_queue_costs_one_query_and_locks_no_agent(
    django_assert_num_queries,
):
    AgentFactory.create_batch(3)

    with django_assert_num_queries(1 + 2) as captured:
        assert dispatch.dispatch_round() == []
    assert not any("FOR UPDATE" in query["sql"] for query in captured.captured_queries)


@pytest.mark.parametrize(("tickets", "agents"), [(1, 1), (30, 1), (1, 12), (30, 12)])
def test_a_round_costs_the_same_number_of_queries_whatever_the_tickets_and_agents(
    tickets, agents, django_assert_num_queries, django_capture_on_commit_callbacks
):
    AgentFactory.create_batch(agents)
    QueuedTicketFactory.create_batch(tickets)

    # Free agents (locked), the queue's head, its tickets (locked), the offers out, the
    # agents' acceptance rates and ratings (cached after this), the offers, the agents'
    # stamps; and the savepoint with its release; and payouts' quote of the offers' pay,
    # which finds no rate card in force (tests/payouts/test_offer_pay.py counts one with).
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(8 + 2 + 1):
        made = dispatch.dispatch_round()

    assert len(made) == min(tickets, agents)


def test_the_tie_breakers_are_read_once_a_minute_not_every_round(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    AgentFactory.create_batch(2)
    QueuedTicketFactory.create_batch(4)
    with django_capture_on_commit_callbacks(execute=False):
        dispatch.dispatch_round()
    Offer.objects.update(outcome=Outcome.WITHDRAWN, decided_at=timezone.now())

    # + 1: payouts looks for a rate card to quote the offers' pay.
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(6 + 2 + 1):
        assert len(dispatch.dispatch_round()) == 2
