"""An offer's life after the round that made it: accepted (the claim), declined, run out,
withdrawn; each refusal leaves everything as it was; away and back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents import services as agent_services
from agents.models import Agent, AgentAvailabilityEvent
from tests.factories import AgentFactory, OfferFactory, QueuedTicketFactory
from tickets import dispatch, services
from tickets.dispatch import OfferGone
from tickets.models import Message, Offer, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
Outcome = Offer.Outcome


def state() -> tuple:
    """Everything an answer to an offer could change."""
    return (
        list(
            Offer.objects.order_by("pk").values_list(
                "pk", "outcome", "decided_at", "decline_reason", "decline_note"
            )
        ),
        list(Ticket.objects.order_by("pk").values_list("pk", "status", "agent_id", "last_seq")),
        TicketEvent.objects.count(),
        Message.objects.count(),
        list(
            Agent.objects.order_by("pk").values_list(
                "pk", "availability", "consecutive_missed_offers", "last_assigned_at"
            )
        ),
        AgentAvailabilityEvent.objects.count(),
    )


def offer_out(**agent_fields) -> Offer:
    """A pending offer made by a real round."""
    agent = AgentFactory(**agent_fields)
    QueuedTicketFactory()
    [offer_id] = dispatch.dispatch_round()
    offer = Offer.objects.get(pk=offer_id)
    assert offer.agent_id == agent.pk
    return offer


def run_out(offer: Offer) -> list[int]:
    return dispatch.offers_expire(now=offer.expires_at)


# --- Accepting ----------------------------------------------------------------------------------


def test_accepting_an_offer_claims_the_ticket_for_the_agent():
    offer = offer_out()

    ticket = dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)

    ticket.refresh_from_db()
    offer.refresh_from_db()
    assert (ticket.status, ticket.agent_id) == (Ticket.Status.ASSIGNED, offer.agent_id)
    assert (offer.outcome, offer.decided_at is not None) == (Outcome.ACCEPTED, True)


def test_an_accepted_offer_is_audited_as_the_tickets_claim():
    offer = offer_out()

    dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)

    event = TicketEvent.objects.get(ticket_id=offer.ticket_id)
    assert (event.from_status, event.to_status, event.agent_id, event.reason) == (
        "queued",
        "assigned",
        offer.agent_id,
        "offer accepted",
    )
    assert event.actor_id == offer.agent.user_id


def test_the_customer_is_told_who_joined_when_an_offer_is_accepted(
    pushes, django_capture_on_commit_callbacks
):
    offer = offer_out(user__first_name="Ada")

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)

    last = Message.objects.filter(ticket_id=offer.ticket_id).latest("seq")
    assert (last.sender, last.body) == ("system", "Ada joined the conversation.")
    assert (f"agent.{offer.agent_id}", "ticket.assigned") in [
        (group, event["type"]) for group, event in pushes
    ]
    status = next(
        event
        for group, event in pushes
        if group == f"chat.{offer.ticket_id}" and event["type"] == "status"
    )
    assert (status["status"], status["agent_name"]) == ("assigned", "Ada")


def test_accepting_stamps_the_agents_last_assignment_and_forgets_its_misses():
    offer = offer_out()
    Agent.objects.filter(pk=offer.agent_id).update(consecutive_missed_offers=2)

    dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)

    agent = Agent.objects.get(pk=offer.agent_id)
    assert agent.consecutive_missed_offers == 0
    assert agent.last_assigned_at is not None


def _ran_out(offer):
    run_out(offer)


def _past_its_time_not_yet_swept(offer):
    Offer.objects.filter(pk=offer.pk).update(
        sent_at=timezone.now() - timedelta(seconds=30),
        expires_at=timezone.now() - timedelta(seconds=1),
    )


def _customer_left(offer):
    services.ticket_abandon(ticket_id=offer.ticket_id, reason="customer left")


def _claimed_by_another_agent(offer):
    other = AgentFactory()
    assert services.ticket_claim(ticket_id=offer.ticket_id, agent_id=other.pk).ok


def _accepted_already(offer):
    dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)


def _declined_already(offer):
    dispatch.offer_decline(offer_id=offer.pk, agent_id=offer.agent_id, reason="busy")


def _chats_full(offer):
    for _ in range(offer.agent.capacity):
        QueuedTicketFactory(status=Ticket.Status.ASSIGNED, agent=offer.agent)


GONE_CASES = [
    pytest.param(_ran_out, "expired", id="it ran out"),
    pytest.param(_past_its_time_not_yet_swept, "expired", id="past its time, not yet swept"),
    pytest.param(_customer_left, "withdrawn", id="the customer left"),
    pytest.param(_claimed_by_another_agent, "taken", id="another agent claimed the ticket"),
    pytest.param(_accepted_already, "taken", id="accepted already"),
    pytest.param(_declined_already, "withdrawn", id="declined already"),
]


@pytest.mark.parametrize(("happened", "reason"), GONE_CASES)
def test_accepting_an_offer_that_is_gone_is_refused_and_changes_nothing(happened, reason):
    offer = offer_out()
    happened(offer)
    before = state()

    with pytest.raises(OfferGone) as refused:
        dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)

    assert refused.value.reason == reason
    assert state() == before


def test_accepting_with_every_chat_slot_taken_is_refused_and_changes_nothing():
    offer = offer_out()
    _chats_full(offer)
    before = state()

    with pytest.raises(OfferGone) as refused:
        dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)

    assert refused.value.reason == "capacity"
    assert state() == before
    assert Offer.objects.get(pk=offer.pk).outcome == Outcome.PENDING


def test_accepting_another_agents_offer_is_refused_and_changes_nothing():
    offer = offer_out()
    intruder = AgentFactory()
    before = state()

    with pytest.raises(OfferGone) as refused:
        dispatch.offer_accept(offer_id=offer.pk, agent_id=intruder.pk)

    assert refused.value.reason == "not_yours"
    assert state() == before


def test_accepting_an_unknown_offer_is_refused_and_changes_nothing():
    offer = offer_out()
    before = state()

    with pytest.raises(OfferGone) as refused:
        dispatch.offer_accept(offer_id=offer.pk + 1000, agent_id=offer.agent_id)

    assert refused.value.reason == "not_found"
    assert state() == before


def test_an_unknown_agent_accepting_is_told_the_offer_is_not_theirs():
    offer = offer_out()
    before = state()

    with pytest.raises(OfferGone) as refused:
        dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id + 1000)

    assert refused.value.reason == "not_yours"
    assert state() == before


def test_an_agent_who_may_no_longer_take_the_ticket_has_the_offer_withdrawn():
    offer = offer_out()
    Agent.objects.filter(pk=offer.agent_id).update(skills=["tech"])

    with pytest.raises(OfferGone) as refused:
        dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)

    assert refused.value.reason == "withdrawn"
    offer.refresh_from_db()
    assert offer.outcome == Outcome.WITHDRAWN
    assert Ticket.objects.get(pk=offer.ticket_id).status == Ticket.Status.QUEUED


def test_accepting_an_offer_costs_a_fixed_number_of_queries(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    offer = offer_out()

    # The agent (locked), the offer, the ticket (locked), the offer again, the capacity count,
    # the offer accepted, then the claim's own (tickets.services.ticket_assign): the
    # conditional UPDATE, the ticket, the event, the agent's stamp, the look for offers to
    # withdraw, the message's seq and insert; a savepoint and its release.
    with django_capture_on_commit_callbacks(execute=False), django_assert_max_num_queries(15):
        dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)


# --- Declining ----------------------------------------------------------------------------------


def test_declining_records_the_reason_and_leaves_the_ticket_queued():
    offer = offer_out()

    dispatch.offer_decline(
        offer_id=offer.pk, agent_id=offer.agent_id, reason="not_my_skill", note=" refunds "
    )

    offer.refresh_from_db()
    assert (offer.outcome, offer.decline_reason, offer.decline_note) == (
        Outcome.DECLINED,
        "not_my_skill",
        "refunds",
    )
    assert offer.decided_at is not None
    assert Ticket.objects.get(pk=offer.ticket_id).status == Ticket.Status.QUEUED


def test_declining_breaks_the_agents_row_of_missed_offers():
    offer = offer_out()
    Agent.objects.filter(pk=offer.agent_id).update(consecutive_missed_offers=2)

    dispatch.offer_decline(offer_id=offer.pk, agent_id=offer.agent_id, reason="busy")

    assert Agent.objects.get(pk=offer.agent_id).consecutive_missed_offers == 0


def test_declining_with_an_unknown_reason_is_refused_and_changes_nothing():
    offer = offer_out()
    before = state()

    with pytest.raises(services.TicketError) as refused:
        dispatch.offer_decline(offer_id=offer.pk, agent_id=offer.agent_id, reason="bored")

    assert refused.value.code == "invalid_field"
    assert state() == before


@pytest.mark.parametrize(("happened", "reason"), GONE_CASES)
def test_declining_an_offer_that_is_gone_is_refused_and_changes_nothing(happened, reason):
    offer = offer_out()
    happened(offer)
    before = state()

    with pytest.raises(OfferGone) as refused:
        dispatch.offer_decline(offer_id=offer.pk, agent_id=offer.agent_id, reason="busy")

    assert refused.value.reason == reason
    assert state() == before


@pytest.mark.parametrize(
    ("whose", "reason"), [("intruder", "not_yours"), ("unknown offer", "not_found")]
)
def test_declining_an_offer_that_is_not_the_agents_is_refused_and_changes_nothing(whose, reason):
    offer = offer_out()
    intruder = AgentFactory()
    before = state()
    agent_id = intruder.pk if whose == "intruder" else offer.agent_id
    offer_id = offer.pk + 1000 if whose == "unknown offer" else offer.pk

    with pytest.raises(OfferGone) as refused:
        dispatch.offer_decline(offer_id=offer_id, agent_id=agent_id, reason="busy")

    assert refused.value.reason == reason
    assert state() == before


# --- Running out ---------------------------------------------------------------------------------


def test_an_offer_runs_out_at_its_time_and_not_before():
    offer = offer_out()

    assert dispatch.offers_expire(now=offer.expires_at - timedelta(seconds=1)) == []
    assert dispatch.offers_expire(now=offer.expires_at) == [offer.pk]

    offer.refresh_from_db()
    assert (offer.outcome, offer.decided_at) == (Outcome.EXPIRED, offer.expires_at)
    assert Agent.objects.get(pk=offer.agent_id).consecutive_missed_offers == 1


def test_the_agent_is_told_its_offer_ran_out(pushes, django_capture_on_commit_callbacks):
    offer = offer_out()

    with django_capture_on_commit_callbacks(execute=True):
        run_out(offer)

    assert pushes == [
        (f"agent.{offer.agent_id}", {"type": "offer.gone", "offer": offer.pk, "reason": "expired"})
    ]


def test_an_agent_who_lets_offers_run_out_in_a_row_is_set_away(
    settings, pushes, django_capture_on_commit_callbacks
):
    settings.OFFER_MISSES_BEFORE_AWAY = 3
    offer = offer_out()
    Agent.objects.filter(pk=offer.agent_id).update(consecutive_missed_offers=2)

    with django_capture_on_commit_callbacks(execute=True):
        run_out(offer)

    agent = Agent.objects.get(pk=offer.agent_id)
    assert (agent.availability, agent.consecutive_missed_offers) == ("away", 3)
    event = AgentAvailabilityEvent.objects.get(agent=agent)
    assert (event.from_availability, event.to_availability) == ("available", "away")
    assert (
        f"agent.{agent.pk}",
        {"type": "presence", "status": "away", "reason": "missed_offers"},
    ) in pushes


def test_an_agent_short_of_the_misses_stays_available(settings):
    settings.OFFER_MISSES_BEFORE_AWAY = 3
    offer = offer_out()
    Agent.objects.filter(pk=offer.agent_id).update(consecutive_missed_offers=1)

    run_out(offer)

    agent = Agent.objects.get(pk=offer.agent_id)
    assert (agent.availability, agent.consecutive_missed_offers) == ("available", 2)


def test_an_away_agent_keeps_its_chats_and_gets_no_offers():
    agent = AgentFactory(availability="away")
    held = QueuedTicketFactory(status=Ticket.Status.ASSIGNED, agent=agent)
    QueuedTicketFactory()

    assert dispatch.dispatch_round() == []
    assert Ticket.objects.get(pk=held.pk).agent_id == agent.pk


def test_the_sweep_expires_many_offers_for_a_fixed_number_of_queries(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    AgentFactory.create_batch(6)
    QueuedTicketFactory.create_batch(6)
    dispatch.dispatch_round()
    later = timezone.now() + timedelta(minutes=1)

    # Due offers, their agents locked, the offers locked, expired, the misses counted, who
    # is now away; a savepoint and its release.
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(6 + 2):
        assert len(dispatch.offers_expire(now=later)) == 6


# --- Withdrawn --------------------------------------------------------------------------------


def test_an_offer_is_withdrawn_when_the_customer_leaves(pushes, django_capture_on_commit_callbacks):
    offer = offer_out()

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_abandon(ticket_id=offer.ticket_id, reason="customer left")

    offer.refresh_from_db()
    assert offer.outcome == Outcome.WITHDRAWN
    gone = {"type": "offer.gone", "offer": offer.pk, "reason": "withdrawn"}
    assert (f"agent.{offer.agent_id}", gone) in pushes


def test_an_offer_is_withdrawn_as_taken_when_another_agent_claims_the_ticket(
    pushes, django_capture_on_commit_callbacks
):
    offer = offer_out()
    picker = AgentFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_claim(ticket_id=offer.ticket_id, agent_id=picker.pk)

    assert Offer.objects.get(pk=offer.pk).outcome == Outcome.WITHDRAWN
    gone = {"type": "offer.gone", "offer": offer.pk, "reason": "taken"}
    assert (f"agent.{offer.agent_id}", gone) in pushes


def test_a_suspended_agents_offer_is_withdrawn_and_the_ticket_offered_to_another():
    offer = offer_out()
    agent_services.agent_transition(
        agent_id=offer.agent_id, to_status=Agent.Status.SUSPENDED, actor=None, reason="test"
    )
    other = AgentFactory()

    dispatch.dispatch_round()

    assert Offer.objects.get(pk=offer.pk).outcome == Outcome.WITHDRAWN
    assert Offer.objects.get(outcome=Outcome.PENDING).agent_id == other.pk


def test_an_agent_gone_offline_has_its_offer_withdrawn():
    offer = offer_out()

    services.tickets_requeue_for_agent(agent_id=offer.agent_id, reason="agent went offline")

    assert Offer.objects.get(pk=offer.pk).outcome == Outcome.WITHDRAWN


def test_a_ticket_leaving_the_queue_without_an_offer_out_withdraws_nothing():
    ticket = QueuedTicketFactory()
    settled = OfferFactory(
        ticket=ticket, outcome=Outcome.EXPIRED, decided_at=timezone.now(), sent_at=timezone.now()
    )

    services.ticket_abandon(ticket_id=ticket.pk, reason="customer left")

    assert Offer.objects.get(pk=settled.pk).outcome == Outcome.EXPIRED


# --- Away and back -----------------------------------------------------------------------------


def test_an_agent_back_from_away_takes_offers_again_with_its_misses_forgotten(
    pushes, django_capture_on_commit_callbacks
):
    agent = AgentFactory(availability="away", consecutive_missed_offers=3)
    ticket = QueuedTicketFactory()

    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.agent_set_available(agent_id=agent.pk) is True
    dispatch.dispatch_round()

    agent.refresh_from_db()
    assert (agent.availability, agent.consecutive_missed_offers) == ("available", 0)
    assert Offer.objects.get().ticket_id == ticket.pk
    event = AgentAvailabilityEvent.objects.get(agent=agent)
    assert (event.from_availability, event.to_availability, event.reason) == (
        "away",
        "available",
        "back",
    )
    assert (f"agent.{agent.pk}", {"type": "presence", "status": "available"}) in pushes


def test_coming_back_when_already_available_changes_nothing():
    agent = AgentFactory()
    before = state()

    assert dispatch.agent_set_available(agent_id=agent.pk) is False
    assert state() == before


def test_stepping_away_withdraws_the_offer_out_without_counting_a_miss():
    offer = offer_out()

    assert dispatch.agent_set_away(agent_id=offer.agent_id, reason="lunch") is True

    agent = Agent.objects.get(pk=offer.agent_id)
    assert (agent.availability, agent.consecutive_missed_offers) == ("away", 0)
    assert Offer.objects.get(pk=offer.pk).outcome == Outcome.WITHDRAWN


def test_an_unknown_availability_is_refused():
    agent = AgentFactory()

    with pytest.raises(agent_services.AvailabilityError):
        agent_services.agent_availability_set(agent_id=agent.pk, to="asleep")

    assert Agent.objects.get(pk=agent.pk).availability == "available"
