"""Pushes a consumer holds while its database call runs, to send from its own event loop."""

from unittest import mock

import pytest

from tests.factories import AgentFactory, QueuedTicketFactory
from tickets import events, messages, services

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_held_call_returns_the_committed_pushes_and_sends_none():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    with mock.patch.object(events, "send_pushes") as send:
        (message, created), pushes = events.call_holding_pushes(
            messages.message_post_customer, token=ticket.token, client_id="c-1", body="hi"
        )

    send.assert_not_called()
    assert created
    assert [group for group, _ in pushes] == [
        events.chat_group(ticket.pk),
        events.agent_group(agent.pk),
    ]
    assert all(event["seq"] == message.seq for _, event in pushes)


def test_a_held_call_that_fails_holds_nothing_back_for_later():
    ticket = QueuedTicketFactory()

    with pytest.raises(services.TicketError):
        events.call_holding_pushes(
            messages.message_post_agent, ticket_id=ticket.pk, agent_id=0, client_id="x", body="b"
        )

    assert events._held.get() is None
