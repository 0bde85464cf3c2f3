"""The ticket state machine, claiming and messages, tested without a socket."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents import services as agent_services
from tests.factories import AgentFactory, QueuedTicketFactory, TicketFactory
from tickets import messages, services
from tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
Status = Ticket.Status


# --- Transitions --------------------------------------------------------------------------


def test_escalating_a_bot_conversation_queues_it_with_an_event():
    ticket = TicketFactory()

    services.ticket_escalate(
        ticket_id=ticket.pk,
        reason="customer_request",
        topic="billing",
        priority=3,
        required_skills=["billing"],
        summary="Asked about a refund.",
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.QUEUED
    assert ticket.escalated_at is not None
    assert (ticket.topic, ticket.priority, ticket.required_skills) == ("billing", 3, ["billing"])
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.from_status, event.to_status, event.reason) == (
        "bot",
        "queued",
        "customer_request",
    )


def test_escalating_twice_changes_nothing_the_second_time():
    ticket = TicketFactory()
    services.ticket_escalate(ticket_id=ticket.pk, reason="customer_request")

    services.ticket_escalate(ticket_id=ticket.pk, reason="customer_request")

    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_a_vip_escalation_is_at_least_high_priority():
    ticket = TicketFactory(is_vip=True)

    services.ticket_escalate(ticket_id=ticket.pk, reason="vip", priority=Ticket.Priority.NORMAL)

    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.HIGH


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("bot", "resolved"),
        ("bot", "assigned"),
        ("queued", "resolved"),
        ("resolved", "assigned"),
        ("abandoned", "queued"),
        ("assigned", "abandoned"),
    ],
)
def test_a_transition_outside_the_state_machine_is_refused_and_changes_nothing(
    from_status, to_status
):
    agent = AgentFactory()
    ticket = TicketFactory(status=from_status, agent=agent if from_status == "assigned" else None)

    with pytest.raises(services.TransitionNotAllowed), services.transaction.atomic():
        services._transition(
            Ticket.objects.select_for_update().get(pk=ticket.pk),
            to_status,
            actor_kind="system",
        )

    ticket.refresh_from_db()
    assert ticket.status == from_status
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_a_stale_conversation_is_abandoned_and_a_fresh_one_is_not():
    stale = QueuedTicketFactory()
    fresh = QueuedTicketFactory()
    Ticket.objects.filter(pk=stale.pk).update(
        last_customer_activity_at=timezone.now() - timedelta(hours=2)
    )

    abandoned = services.tickets_abandon_stale()

    assert abandoned == [stale.pk]
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (Status.ABANDONED, Status.QUEUED)


# --- Claiming -----------------------------------------------------------------------------


def test_an_eligible_online_agent_claims_a_queued_ticket():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()

    result = services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    assert result.ok
    ticket.refresh_from_db()
    assert (ticket.status, ticket.agent_id) == (Status.ASSIGNED, agent.pk)
    assert ticket.claimed_at is not None
    assert TicketEvent.objects.filter(ticket=ticket, to_status="assigned", agent=agent).exists()


def test_the_second_claim_of_a_ticket_fails_as_taken():
    first, second = AgentFactory(), AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=first.pk)

    result = services.ticket_claim(ticket_id=ticket.pk, agent_id=second.pk)

    assert (result.ok, result.reason) == (False, "taken")
    ticket.refresh_from_db()
    assert ticket.agent_id == first.pk


def test_a_claim_over_capacity_fails_and_leaves_the_ticket_queued():
    agent = AgentFactory(capacity=1)
    services.ticket_claim(ticket_id=QueuedTicketFactory().pk, agent_id=agent.pk)
    ticket = QueuedTicketFactory()

    result = services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    assert (result.ok, result.reason) == (False, "capacity")
    ticket.refresh_from_db()
    assert ticket.status == Status.QUEUED


@pytest.mark.parametrize(
    ("agent_kwargs", "ticket_kwargs"),
    [
        ({"languages": ["es"]}, {}),
        ({"skills": ["general"]}, {"required_skills": ["general", "fraud"]}),
        ({"status": "suspended"}, {}),
        ({"is_online": False}, {}),
    ],
    ids=["other-language", "missing-skill", "suspended", "offline"],
)
def test_an_ineligible_agent_cannot_claim(agent_kwargs, ticket_kwargs):
    agent = AgentFactory(**agent_kwargs)
    ticket = QueuedTicketFactory(**ticket_kwargs)

    result = services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    assert (result.ok, result.reason) == (False, "not_eligible")
    ticket.refresh_from_db()
    assert ticket.status == Status.QUEUED


def test_claiming_a_ticket_that_does_not_exist_fails_as_not_found():
    result = services.ticket_claim(ticket_id=999_999, agent_id=AgentFactory().pk)

    assert (result.ok, result.reason) == (False, "not_found")


def test_a_ticket_still_with_the_assistant_cannot_be_claimed():
    result = services.ticket_claim(ticket_id=TicketFactory().pk, agent_id=AgentFactory().pk)

    assert (result.ok, result.reason) == (False, "taken")


# --- Resolve, release, departure ----------------------------------------------------------


def test_the_holder_resolves_its_ticket():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_at is not None


def test_another_agent_cannot_resolve_a_ticket_it_does_not_hold():
    holder, other = AgentFactory(), AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=holder.pk)

    with pytest.raises(services.Forbidden):
        services.ticket_resolve(ticket_id=ticket.pk, agent_id=other.pk)

    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED


def test_a_released_ticket_goes_back_to_the_queue_ahead_of_newer_ones():
    agent = AgentFactory()
    older = QueuedTicketFactory(escalated_at=timezone.now() - timedelta(minutes=5))
    newer = QueuedTicketFactory()
    services.ticket_claim(ticket_id=older.pk, agent_id=agent.pk)

    services.ticket_release(ticket_id=older.pk, agent_id=agent.pk, reason="needs a specialist")

    older.refresh_from_db()
    assert (older.status, older.agent_id) == (Status.QUEUED, None)
    from tickets.selectors import queue_positions

    assert queue_positions(language="en") == [(older.pk, 1), (newer.pk, 2)]
    assert TicketEvent.objects.filter(
        ticket=older, to_status="queued", reason="needs a specialist"
    ).exists()


def test_tickets_of_an_agent_gone_past_the_grace_period_return_to_the_queue():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    agent_services.agent_connected(agent_id=agent.pk, channel_name="socket-1")
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    agent_services.agent_disconnected(agent_id=agent.pk, channel_name="socket-1")
    from agents.models import Agent

    Agent.objects.filter(pk=agent.pk).update(disconnected_at=timezone.now() - timedelta(seconds=61))
    from tickets.tasks import requeue_tickets_of_departed_agents

    requeue_tickets_of_departed_agents()

    ticket.refresh_from_db()
    agent.refresh_from_db()
    assert ticket.status == Status.QUEUED
    assert agent.is_online is False


def test_an_agent_within_the_grace_period_keeps_its_tickets():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    agent_services.agent_connected(agent_id=agent.pk, channel_name="socket-1")
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    agent_services.agent_disconnected(agent_id=agent.pk, channel_name="socket-1")
    from tickets.tasks import requeue_tickets_of_departed_agents

    requeue_tickets_of_departed_agents()

    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED


# --- Messages -----------------------------------------------------------------------------


def test_messages_get_gapless_sequence_numbers():
    ticket = QueuedTicketFactory()

    seqs = [
        messages.message_post_customer(token=ticket.token, client_id=f"c{i}", body="hi")[0].seq
        for i in range(5)
    ]

    assert seqs == [1, 2, 3, 4, 5]


def test_a_resent_message_is_stored_once_and_gets_the_same_seq():
    ticket = QueuedTicketFactory()
    first, created_first = messages.message_post_customer(
        token=ticket.token, client_id="abc", body="Where is my refund?"
    )

    again, created_again = messages.message_post_customer(
        token=ticket.token, client_id="abc", body="Where is my refund?"
    )

    assert (created_first, created_again) == (True, False)
    assert again.seq == first.seq
    assert Message.objects.filter(ticket=ticket, sender="customer").count() == 1


def test_an_agent_message_on_a_ticket_it_does_not_hold_is_refused_and_not_stored():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()

    with pytest.raises(services.Forbidden):
        messages.message_post_agent(
            ticket_id=ticket.pk, agent_id=agent.pk, client_id="a1", body="hello"
        )

    assert not Message.objects.filter(ticket=ticket).exists()


def test_a_message_over_4000_characters_is_refused_and_not_stored():
    ticket = QueuedTicketFactory()

    with pytest.raises(services.InvalidMessage) as error:
        messages.message_post_customer(token=ticket.token, client_id="x", body="a" * 4001)

    assert error.value.code == "body_too_long"
    assert not Message.objects.filter(ticket=ticket).exists()


def test_a_customer_cannot_write_to_a_resolved_conversation_once_confirmed():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)
    services.ticket_resolution_confirm(token=ticket.token, solved=True)
    stored = Message.objects.filter(ticket=ticket).count()

    with pytest.raises(services.ConversationClosed):
        messages.message_post_customer(token=ticket.token, client_id="late", body="thanks!")

    assert Message.objects.filter(ticket=ticket).count() == stored


def test_card_numbers_are_masked_before_they_are_stored():
    ticket = QueuedTicketFactory()

    message, _ = messages.message_post_customer(
        token=ticket.token, client_id="card", body="my card is 4242 4242 4242 4242"
    )

    message.refresh_from_db()
    assert "4242 4242 4242 4242" not in message.body
    assert message.body.endswith("4242")


# --- Rating -------------------------------------------------------------------------------


def test_a_resolved_conversation_is_rated_once():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)

    services.ticket_rate(token=ticket.token, score=5, comment="Great")
    with pytest.raises(services.TicketError) as error:
        services.ticket_rate(token=ticket.token, score=1)

    ticket.refresh_from_db()
    assert (ticket.rating, error.value.code) == (5, "already_rated")


def test_a_conversation_cannot_be_rated_before_it_is_resolved():
    ticket = QueuedTicketFactory()

    with pytest.raises(services.TicketError) as error:
        services.ticket_rate(token=ticket.token, score=4)

    ticket.refresh_from_db()
    assert (ticket.rating, error.value.code) == (None, "not_resolved")


def test_a_claim_resent_by_the_agent_who_won_it_answers_ok_again_and_announces_nothing(
    django_capture_on_commit_callbacks,
):
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    assert services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok

    with django_capture_on_commit_callbacks() as announced:
        again = services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    assert (again.ok, again.ticket.pk) == (True, ticket.pk)
    assert announced == []
    assert TicketEvent.objects.filter(ticket=ticket, to_status=Status.ASSIGNED).count() == 1


def test_a_ticket_another_agent_holds_is_still_taken():
    winner, other = AgentFactory(), AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=winner.pk)

    assert services.ticket_claim(ticket_id=ticket.pk, agent_id=other.pk).reason == "taken"
