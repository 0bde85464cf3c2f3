"""Sockets under faults: an outage answers ``unavailable`` and changes nothing, no handler's
failure takes a socket down, every way out cleans up, and a silent socket is closed."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError

from agents.models import Agent, AgentConnection
from tests.factories import AgentFactory, QueuedTicketFactory, TicketFactory
from tests.tickets.wsclient import open_agent, open_customer
from tickets import assistant_flow, consumers, protocol, services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async


def database_down(*args, **kwargs):
    raise OperationalError("terminating connection due to administrator command")


async def connections_of(agent_id: int) -> int:
    return await db(AgentConnection.objects.filter(agent_id=agent_id).count)()


async def eventually(check, timeout: float = 3.0) -> bool:
    """Poll an async check until it holds (the cleanup runs on the consumer's own task)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_a_claim_during_a_database_outage_is_answered_unavailable(monkeypatch):
    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")
    monkeypatch.setattr(protocol, "agent_claim", database_down)

    await socket.send({"type": "claim", "ticket": ticket.pk})

    error = await socket.receive_type("error")
    assert (error["code"], error["ticket"], error["frame"], error["retry"]) == (
        "unavailable",
        ticket.pk,
        "claim",
        True,
    )
    await db(ticket.refresh_from_db)()
    assert ticket.status == Ticket.Status.QUEUED
    await socket.close()


async def test_the_socket_stays_usable_after_an_outage_ends(monkeypatch):
    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")
    monkeypatch.setattr(protocol, "agent_claim", database_down)
    await socket.send({"type": "claim", "ticket": ticket.pk})
    await socket.receive_type("error")
    monkeypatch.undo()

    await socket.send({"type": "claim", "ticket": ticket.pk})

    assert (await socket.receive_type("claim.ok"))["ticket"]["id"] == ticket.pk
    await socket.close()


async def test_talk_to_a_person_during_an_outage_tells_the_customer_to_retry(monkeypatch):
    ticket = await db(TicketFactory)()
    socket, _, _ = await open_customer(ticket.token)
    await socket.receive_type("status")
    monkeypatch.setattr(assistant_flow, "conversation_request_human", database_down)

    await socket.send({"type": "request_human"})

    error = await socket.receive_type("error")
    assert (error["code"], error["frame"], error["retry"]) == ("unavailable", "request_human", True)
    await db(ticket.refresh_from_db)()
    assert ticket.status == Ticket.Status.BOT
    monkeypatch.undo()
    await socket.send({"type": "request_human"})
    assert (await socket.receive_type("status"))["status"] == Ticket.Status.QUEUED
    await socket.close()


async def test_a_message_during_an_outage_is_not_acknowledged_and_names_its_client_id(
    monkeypatch,
):
    ticket = await db(TicketFactory)()
    socket, _, _ = await open_customer(ticket.token)
    await socket.receive_type("status")
    monkeypatch.setattr(
        consumers.messages, "message_post_customer", lambda **kwargs: database_down()
    )

    await socket.send({"type": "message", "client_id": "c-1", "body": "Where is my refund?"})

    error = await socket.receive_type("error", "ack")
    assert (error["type"], error["code"], error["client_id"]) == ("error", "unavailable", "c-1")
    await socket.close()


async def test_an_unexpected_failure_answers_internal_and_keeps_the_socket(monkeypatch):
    agent = await db(AgentFactory)()
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(protocol, "agent_heartbeat", broken)
    await socket.send({"type": "heartbeat"})

    assert (await socket.receive_type("error"))["code"] == "internal"
    monkeypatch.undo()
    await socket.send({"type": "heartbeat"})
    assert (await socket.receive_type("heartbeat.ok"))["tickets"] == {}
    await socket.close()


async def test_an_agent_handshake_during_a_database_outage_closes_with_try_again_later(
    monkeypatch,
):
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    monkeypatch.setattr(protocol, "working_agent_for_user", database_down)

    socket, connected, _ = await open_agent(agent.user)

    assert connected  # accepted only to say why
    assert await socket.communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 1013,
    }
    assert await connections_of(agent.pk) == 0


async def test_a_session_lookup_during_a_database_outage_closes_with_try_again_later(
    monkeypatch,
):
    agent = await db(AgentFactory)()
    monkeypatch.setattr(SessionStore, "load", lambda self: database_down())

    socket, _, _ = await open_agent(agent.user)

    assert await socket.communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 1013,
    }


async def test_a_customer_handshake_during_a_database_outage_closes_with_try_again_later(
    monkeypatch,
):
    ticket = await db(TicketFactory)()
    monkeypatch.setattr(protocol, "ticket_for_token", database_down)

    socket, _, _ = await open_customer(ticket.token)

    assert await socket.communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 1013,
    }


async def test_a_socket_that_crashes_still_gives_up_its_presence(monkeypatch):
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")
    assert await connections_of(agent.pk) == 1

    async def crash(self, message):
        raise RuntimeError("the socket's writer broke")

    monkeypatch.setattr(consumers.AgentConsumer, "push", crash)
    await db(services.ticket_escalate)(
        ticket_id=(await db(TicketFactory)()).pk, reason="customer_request"
    )

    async def released() -> bool:
        return await connections_of(agent.pk) == 0

    assert await eventually(released)
    await db(agent.refresh_from_db)()
    assert (agent.connection_count, agent.disconnected_at is not None) == (0, True)


async def test_the_server_closes_a_socket_whose_client_went_silent(settings):
    settings.AGENT_QUEUE_RESYNC_SECONDS = 0.05
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")
    for consumer in consumers.queue_resync.sockets:
        consumer.heard_at -= settings.AGENT_HEARTBEAT_TIMEOUT_SECONDS + 1

    while (output := await socket.communicator.receive_output(timeout=2))["type"] != (
        "websocket.close"
    ):
        pass

    assert output["code"] == consumers.CLOSE_HEARTBEAT_TIMEOUT
    assert await connections_of(agent.pk) == 0


async def test_a_socket_forgotten_by_the_presence_sweep_is_closed_to_reconnect(settings):
    settings.AGENT_QUEUE_RESYNC_SECONDS = 0.05
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")
    await db(AgentConnection.objects.filter(agent_id=agent.pk).delete)()  # swept as silent

    await socket.send({"type": "heartbeat"})  # heard again, but no longer recorded
    while (output := await socket.communicator.receive_output(timeout=2))["type"] != (
        "websocket.close"
    ):
        pass

    assert output["code"] == consumers.CLOSE_HEARTBEAT_TIMEOUT

    # The socket's cleanup (agent_disconnected, holding the agent's row) runs on after the
    # close: waited for, so the test database's flush does not race it into a deadlock.
    async def cleaned_up() -> bool:
        agent_row = await db(Agent.objects.get)(pk=agent.pk)
        return agent_row.connection_count == 0

    assert await eventually(cleaned_up)


async def test_a_heard_socket_is_stamped_by_its_process(settings):
    settings.AGENT_QUEUE_RESYNC_SECONDS = 0.05
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")
    first_heard = await db(AgentConnection.objects.values_list("heard_at", flat=True).get)()

    await socket.send({"type": "heartbeat"})

    async def stamped() -> bool:
        heard = await db(AgentConnection.objects.values_list("heard_at", flat=True).get)()
        return heard > first_heard

    assert await eventually(stamped)
    await socket.close()


async def test_the_customer_heartbeat_reply_carries_the_latest_seq():
    ticket = await db(TicketFactory)()
    socket, _, _ = await open_customer(ticket.token)
    await socket.receive_type("status")
    await db(services.ticket_escalate)(ticket_id=ticket.pk, reason="customer_request")

    await socket.send({"type": "heartbeat"})

    await db(ticket.refresh_from_db)()
    assert (await socket.receive_type("heartbeat.ok"))["last_seq"] == ticket.last_seq == 1
    await socket.close()


async def test_the_agent_heartbeat_reply_carries_each_held_tickets_latest_seq():
    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")
    await socket.send({"type": "claim", "ticket": ticket.pk})
    await socket.receive_type("claim.ok")

    await socket.send({"type": "heartbeat"})

    await db(ticket.refresh_from_db)()
    assert (await socket.receive_type("heartbeat.ok"))["tickets"] == {
        str(ticket.pk): ticket.last_seq
    }
    await socket.close()


async def test_a_customer_sees_the_latest_seq_in_the_status_on_connect():
    ticket = await db(TicketFactory)()
    await db(services.ticket_escalate)(ticket_id=ticket.pk, reason="customer_request")

    socket, _, _ = await open_customer(ticket.token)

    assert (await socket.receive_type("status"))["last_seq"] == 1
    await socket.close()


async def test_a_heartbeat_puts_the_socket_back_in_groups_the_layer_forgot():
    ticket = await db(TicketFactory)()
    socket, _, _ = await open_customer(ticket.token)
    await socket.receive_type("status")
    layer = get_channel_layer()
    layer.groups.clear()  # what a Redis restarted empty does to every group

    await socket.send({"type": "heartbeat"})
    await socket.receive_type("heartbeat.ok")
    await db(services.ticket_escalate)(ticket_id=ticket.pk, reason="customer_request")

    assert (await socket.receive_type("status"))["status"] == Ticket.Status.QUEUED
    await socket.close()


async def test_a_socket_that_cannot_be_written_to_is_ended_and_gives_up_its_presence(
    settings, monkeypatch
):
    settings.AGENT_QUEUE_RESYNC_SECONDS = 0.05
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")

    async def client_gone(self, snapshot, text):
        raise ConnectionResetError("the client went away without a close frame")

    monkeypatch.setattr(consumers.AgentConsumer, "resync", client_gone)

    async def released() -> bool:
        return await connections_of(agent.pk) == 0

    assert await eventually(released)
    assert not consumers.queue_resync.sockets
