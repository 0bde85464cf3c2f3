"""Presence: an agent is online while a socket of its is heard, and only then.

Each open socket is an AgentConnection row; the count is recounted from the rows; a row
whose socket died without closing stops being heard and is swept, so no failure on the
way out can leave an agent online with nobody behind it.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from agents import services
from agents.models import Agent, AgentConnection
from tests.factories import AgentFactory, QueuedTicketFactory
from tickets import services as ticket_services
from tickets.models import Ticket
from tickets.tasks import requeue_tickets_of_departed_agents

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return AgentFactory(is_online=False, connection_count=0, last_seen_at=None)


def heard_ago(channel_name: str, seconds: float) -> None:
    AgentConnection.objects.filter(channel_name=channel_name).update(
        heard_at=timezone.now() - timedelta(seconds=seconds)
    )


def silent_too_long() -> float:
    return settings.AGENT_HEARTBEAT_TIMEOUT_SECONDS + 1


def test_opening_a_socket_records_it_and_puts_the_agent_online(agent):
    assert services.agent_connected(agent_id=agent.pk, channel_name="socket-1")

    agent.refresh_from_db()
    assert (agent.is_online, agent.connection_count, agent.disconnected_at) == (True, 1, None)
    assert list(agent.connections.values_list("channel_name", flat=True)) == ["socket-1"]


def test_an_agent_who_may_not_work_is_refused_and_nothing_is_recorded():
    suspended = AgentFactory(status=Agent.Status.SUSPENDED, is_online=False, connection_count=0)

    assert not services.agent_connected(agent_id=suspended.pk, channel_name="socket-1")
    assert not AgentConnection.objects.exists()


def test_closing_the_same_socket_twice_counts_it_once(agent):
    services.agent_connected(agent_id=agent.pk, channel_name="socket-1")
    services.agent_connected(agent_id=agent.pk, channel_name="socket-2")

    services.agent_disconnected(agent_id=agent.pk, channel_name="socket-1")
    services.agent_disconnected(agent_id=agent.pk, channel_name="socket-1")

    agent.refresh_from_db()
    assert (agent.connection_count, agent.disconnected_at) == (1, None)


def test_closing_the_last_socket_starts_the_grace_period(agent):
    services.agent_connected(agent_id=agent.pk, channel_name="socket-1")

    services.agent_disconnected(agent_id=agent.pk, channel_name="socket-1")

    agent.refresh_from_db()
    assert agent.connection_count == 0
    assert agent.disconnected_at is not None
    assert agent.is_online  # until the grace period passes


def test_heard_sockets_are_stamped_and_forgotten_ones_named(agent):
    services.agent_connected(agent_id=agent.pk, channel_name="socket-1")
    heard_ago("socket-1", 30)
    Agent.objects.filter(pk=agent.pk).update(last_seen_at=timezone.now() - timedelta(minutes=5))

    forgotten = services.agent_sockets_heard(channel_names=["socket-1", "swept-socket"])

    assert forgotten == {"swept-socket"}
    connection = AgentConnection.objects.get(channel_name="socket-1")
    assert connection.heard_at > timezone.now() - timedelta(seconds=5)
    agent.refresh_from_db()
    assert agent.last_seen_at > timezone.now() - timedelta(seconds=5)


def test_a_socket_silent_past_the_timeout_is_forgotten_by_the_sweep(agent):
    services.agent_connected(agent_id=agent.pk, channel_name="socket-1")
    heard_ago("socket-1", silent_too_long())

    services.agents_mark_departed()

    agent.refresh_from_db()
    assert not AgentConnection.objects.exists()
    assert agent.connection_count == 0
    assert agent.disconnected_at < timezone.now() - timedelta(
        seconds=settings.AGENT_HEARTBEAT_TIMEOUT_SECONDS
    )  # the grace period counts from when it was last heard


def test_an_agent_with_one_live_socket_stays_online_when_another_goes_silent(agent):
    services.agent_connected(agent_id=agent.pk, channel_name="dead")
    services.agent_connected(agent_id=agent.pk, channel_name="live")
    heard_ago("dead", silent_too_long() + settings.AGENT_DISCONNECT_GRACE_SECONDS)

    assert services.agents_mark_departed() == []

    agent.refresh_from_db()
    assert (agent.is_online, agent.connection_count, agent.disconnected_at) == (True, 1, None)


def test_an_agent_whose_socket_died_silently_loses_its_tickets_after_the_grace_period(agent):
    services.agent_connected(agent_id=agent.pk, channel_name="socket-1")
    ticket = QueuedTicketFactory()
    assert ticket_services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    # Neither a close nor a heartbeat ever came: the server never ran the socket's cleanup.
    heard_ago("socket-1", silent_too_long() + settings.AGENT_DISCONNECT_GRACE_SECONDS + 1)

    requeue_tickets_of_departed_agents()

    ticket.refresh_from_db()
    agent.refresh_from_db()
    assert (ticket.status, ticket.agent_id) == (Ticket.Status.QUEUED, None)
    assert (agent.is_online, agent.connection_count) == (False, 0)


def test_a_recently_silent_socket_keeps_its_tickets_for_the_grace_period(agent):
    services.agent_connected(agent_id=agent.pk, channel_name="socket-1")
    ticket = QueuedTicketFactory()
    assert ticket_services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    heard_ago("socket-1", silent_too_long())

    requeue_tickets_of_departed_agents()

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ASSIGNED


def test_an_agent_counted_online_with_no_socket_gets_a_grace_period_then_goes_offline():
    # A count raised by a socket from before connection rows, or by hand: the rows decide.
    ghost = AgentFactory(is_online=True, connection_count=3, disconnected_at=None)

    assert services.agents_mark_departed() == []
    ghost.refresh_from_db()
    assert ghost.disconnected_at is not None

    later = timezone.now() + timedelta(seconds=settings.AGENT_DISCONNECT_GRACE_SECONDS + 1)
    assert services.agents_mark_departed(now=later) == [ghost.pk]


def test_suspending_an_agent_forgets_its_sockets(agent):
    services.agent_connected(agent_id=agent.pk, channel_name="socket-1")

    services.agent_transition(agent_id=agent.pk, to_status=Agent.Status.SUSPENDED, actor=None)

    assert not AgentConnection.objects.exists()


def test_a_time_limit_mid_sweep_leaves_the_departed_agent_online_with_its_tickets(
    agent, monkeypatch
):
    from celery.exceptions import SoftTimeLimitExceeded

    services.agent_connected(agent_id=agent.pk, channel_name="socket-1")
    ticket = QueuedTicketFactory()
    assert ticket_services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    heard_ago("socket-1", silent_too_long() + settings.AGENT_DISCONNECT_GRACE_SECONDS + 1)

    def cut_short(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(ticket_services, "tickets_requeue_for_agent", cut_short)
    with pytest.raises(SoftTimeLimitExceeded):
        requeue_tickets_of_departed_agents()

    # Nothing of the sweep stands: not an offline agent holding a ticket.
    ticket.refresh_from_db()
    agent.refresh_from_db()
    assert (ticket.status, ticket.agent_id) == (Ticket.Status.ASSIGNED, agent.pk)
    assert agent.is_online
    monkeypatch.undo()

    requeue_tickets_of_departed_agents()  # the next sweep does it all

    ticket.refresh_from_db()
    agent.refresh_from_db()
    assert (ticket.status, ticket.agent_id) == (Ticket.Status.QUEUED, None)
    assert not agent.is_online
