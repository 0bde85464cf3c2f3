"""What a claim and an escalation announce, and how often: queue positions are coalesced, the
customers concerned are still told at once, and the queue resync serves a whole process."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import AgentFactory, QueuedTicketFactory, TicketFactory
from tickets import announce, protocol, services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_position_clock(monkeypatch):
    monkeypatch.setattr(announce, "_queue_positions_sent_at", {})


def position_updates(pushes, tickets) -> list[int]:
    groups = {f"chat.{t.pk}" for t in tickets}
    return [
        event["queue_position"]
        for group, event in pushes
        if group in groups and event.get("status") == "queued"
    ]


def test_claims_in_the_same_second_broadcast_queue_positions_once(
    pushes, django_capture_on_commit_callbacks
):
    first, second = AgentFactory(), AgentFactory()
    claimed = QueuedTicketFactory.create_batch(2)
    waiting = QueuedTicketFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_claim(ticket_id=claimed[0].pk, agent_id=first.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_claim(ticket_id=claimed[1].pk, agent_id=second.pk)

    assert position_updates(pushes, [waiting]) == [2]  # the first claim's broadcast only
    # Both claimed customers still hear who joined, each at once.
    assigned = [group for group, event in pushes if event.get("status") == "assigned"]
    assert assigned == [f"chat.{claimed[0].pk}", f"chat.{claimed[1].pk}"]


def test_a_broadcast_goes_out_again_once_the_interval_has_passed(
    pushes, monkeypatch, django_capture_on_commit_callbacks
):
    agent = AgentFactory(capacity=3)
    claimed = QueuedTicketFactory.create_batch(2)
    waiting = QueuedTicketFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_claim(ticket_id=claimed[0].pk, agent_id=agent.pk)
    monkeypatch.setattr(announce, "QUEUE_POSITIONS_MIN_INTERVAL_SECONDS", 0)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_claim(ticket_id=claimed[1].pk, agent_id=agent.pk)

    assert position_updates(pushes, [waiting]) == [2, 1]


def test_a_newcomer_hears_its_place_even_when_the_broadcast_is_coalesced(
    pushes, django_capture_on_commit_callbacks
):
    ahead = QueuedTicketFactory(escalated_at=timezone.now() - timedelta(minutes=1))
    first, second = TicketFactory(), TicketFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_escalate(ticket_id=first.pk, reason="customer_request")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_escalate(ticket_id=second.pk, reason="customer_request")

    assert position_updates(pushes, [first]) == [2]
    assert position_updates(pushes, [second]) == [3]  # on its own: the broadcast was skipped
    assert position_updates(pushes, [ahead]) == [1]


def test_the_process_resync_refuses_an_agent_suspended_meanwhile(settings):
    settings.ROUTING_MODE = "pick"  # the queue snapshot, not offer routing's digest
    working = AgentFactory()
    suspended = AgentFactory(status="suspended")
    ticket = QueuedTicketFactory()

    snapshots = protocol.agents_resync(agent_ids=[working.pk, suspended.pk])

    assert snapshots[suspended.pk] is None
    assert [card["id"] for card in snapshots[working.pk].queue_event["tickets"]] == [ticket.pk]


def test_the_process_resync_never_stamps_an_agent_as_seen():
    # Liveness comes from the agent's sockets being heard: a server refreshing it on its own
    # timer kept agents whose sockets had died online forever.
    long_ago = timezone.now() - timedelta(minutes=5)
    working = AgentFactory(last_seen_at=long_ago)

    protocol.agents_resync(agent_ids=[working.pk])

    working.refresh_from_db()
    assert working.last_seen_at == long_ago
