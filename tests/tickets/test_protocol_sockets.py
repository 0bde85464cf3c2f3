"""The websocket protocol end to end through the whole ASGI application, in-process."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from tests.factories import AgentFactory, QueuedTicketFactory, TicketFactory, UserFactory
from tests.tickets.wsclient import open_agent, open_customer
from tickets import events, messages, services
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def pick_routing(settings):
    """The open queue's protocol (offer routing's is in test_offer_sockets.py)."""
    settings.ROUTING_MODE = "pick"


db = sync_to_async


async def message_count(ticket_id: int) -> int:
    return await db(Message.objects.filter(ticket_id=ticket_id).count)()


# --- Connecting ---------------------------------------------------------------------------


async def test_a_customer_socket_with_an_unknown_token_is_closed_with_4404():
    socket, connected, _ = await open_customer("no-such-token")

    output = await socket.communicator.receive_output(timeout=2)

    assert connected
    assert output == {"type": "websocket.close", "code": 4404}


async def test_a_socket_from_a_foreign_origin_is_refused():
    ticket = await db(TicketFactory)()

    _, connected, _ = await open_customer(ticket.token, origin=(b"origin", b"https://evil.example"))

    assert not connected


async def test_an_anonymous_agent_socket_is_closed_with_4403():
    socket, _, _ = await open_agent(None)

    assert await socket.communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 4403,
    }


async def test_a_logged_in_user_who_is_not_an_active_agent_is_closed_with_4403():
    suspended = await db(AgentFactory)(status="suspended")
    plain_user = await db(UserFactory)()

    for user in (suspended.user, plain_user):
        socket, _, _ = await open_agent(user)
        assert (await socket.communicator.receive_output(timeout=2))["code"] == 4403


async def test_an_agent_sees_its_queue_and_held_tickets_on_connect_and_is_online():
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    queued = await db(QueuedTicketFactory)()
    await db(QueuedTicketFactory)(language="fr")

    socket, connected, _ = await open_agent(agent.user)
    queue = await socket.receive()
    assigned = await socket.receive()

    assert connected
    assert queue["type"] == "queue"
    assert [card["id"] for card in queue["tickets"]] == [queued.pk]
    assert set(queue["tickets"][0]) >= {
        "id",
        "topic",
        "language",
        "priority",
        "escalation_reason",
        "required_skills",
        "waiting_seconds",
        "summary",
    }
    assert assigned == {"type": "assigned", "tickets": []}
    await db(agent.refresh_from_db)()
    assert (agent.is_online, agent.connection_count) == (True, 1)
    await socket.close()
    await db(agent.refresh_from_db)()
    assert agent.connection_count == 0
    assert agent.disconnected_at is not None


async def test_the_queue_card_carries_no_contact_details():
    agent = await db(AgentFactory)()
    await db(QueuedTicketFactory)(
        customer_name="Maria Lopez",
        customer_email="maria@example.com",
        customer_phone="+1 555 010 9999",
        summary="Customer maria@example.com asks about a refund.",
    )

    socket, _, _ = await open_agent(agent.user)
    text = json.dumps(await socket.receive())

    assert "maria@example.com" not in text
    assert "555" not in text
    assert "Lopez" not in text
    assert "Maria" in text  # the first name does reach the agent
    await socket.close()


# --- The round trip -----------------------------------------------------------------------


async def test_escalation_claim_chat_and_resolve_round_trip():
    agent = await db(AgentFactory)()
    ticket = await db(TicketFactory)()
    agent_socket, _, _ = await open_agent(agent.user)
    await agent_socket.receive_type("assigned")
    customer, _, _ = await open_customer(ticket.token)
    assert (await customer.receive_type("status"))["status"] == "bot"

    await customer.send({"type": "request_human"})
    queued = await customer.receive_type("status")
    new = await agent_socket.receive_type("ticket.new")

    assert (queued["status"], queued["queue_position"]) == ("queued", 1)
    assert "eta_seconds" in queued
    assert new["ticket"]["id"] == ticket.pk

    await agent_socket.send({"type": "claim", "ticket": ticket.pk})
    claim = await agent_socket.receive_type("claim.ok", "claim.failed")
    status = await customer.receive_type("status")

    assert claim["type"] == "claim.ok"
    assert [m["sender"] for m in claim["ticket"]["transcript"]][-1] == "system"
    assert (status["status"], status["agent_name"]) == ("assigned", agent.user.first_name)

    await customer.send(
        {"type": "message", "client_id": "c-1", "body": "My card was charged twice"}
    )
    ack = await customer.receive_type("ack")
    at_agent = await agent_socket.receive_type("message")
    while at_agent["sender"] == "system":  # "… joined the conversation"
        at_agent = await agent_socket.receive_type("message")

    assert ack["client_id"] == "c-1"
    assert at_agent == {
        "type": "message",
        "ticket": ticket.pk,
        "seq": ack["seq"],
        "sender": "customer",
        "body": "My card was charged twice",
        "created_at": at_agent["created_at"],
    }

    await agent_socket.send(
        {"type": "message", "ticket": ticket.pk, "client_id": "a-1", "body": "Let me check."}
    )
    agent_ack = await agent_socket.receive_type("ack")
    at_customer = await customer.receive_type("message")
    while at_customer["sender"] != "agent":  # its own echo and the system notes come first
        at_customer = await customer.receive_type("message")

    assert at_customer["seq"] == agent_ack["seq"] == ack["seq"] + 1
    assert at_customer["sender"] == "agent"
    assert at_customer["agent_name"] == agent.user.first_name

    await agent_socket.send({"type": "typing", "ticket": ticket.pk})
    assert await customer.receive_type("typing") == {"type": "typing", "sender": "agent"}
    await customer.send({"type": "typing"})
    assert await agent_socket.receive_type("typing") == {"type": "typing", "ticket": ticket.pk}

    await agent_socket.send({"type": "resolve", "ticket": ticket.pk})
    assert (await agent_socket.receive_type("resolve.ok"))["ticket"] == ticket.pk
    assert (await customer.receive_type("status"))["status"] == "resolved"

    await customer.send({"type": "rate", "score": 5, "comment": "Quick and kind"})
    assert await customer.receive_type("rate.ok", "error") == {"type": "rate.ok", "score": 5}
    await db(ticket.refresh_from_db)()
    assert (ticket.status, ticket.rating) == ("resolved", 5)
    await customer.close()
    await agent_socket.close()


async def test_a_second_agent_is_told_when_the_first_claims_the_ticket():
    first, second = await db(AgentFactory)(), await db(AgentFactory)()
    ticket = await db(TicketFactory)()
    first_socket, _, _ = await open_agent(first.user)
    second_socket, _, _ = await open_agent(second.user)
    await db(services.ticket_escalate)(ticket_id=ticket.pk, reason="customer_request")
    await first_socket.receive_type("ticket.new")
    await second_socket.receive_type("ticket.new")

    await first_socket.send({"type": "claim", "ticket": ticket.pk})
    await first_socket.receive_type("claim.ok")
    taken = await second_socket.receive_type("ticket.taken")
    await second_socket.send({"type": "claim", "ticket": ticket.pk})
    failed = await second_socket.receive_type("claim.ok", "claim.failed")

    assert taken == {"type": "ticket.taken", "ticket": ticket.pk}
    assert failed == {"type": "claim.failed", "ticket": ticket.pk, "reason": "taken"}
    await first_socket.close()
    await second_socket.close()


async def test_a_ticket_needing_a_skill_the_agent_lacks_is_not_pushed_to_it():
    agent = await db(AgentFactory)(skills=["general"])
    ticket = await db(TicketFactory)()
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")

    await db(services.ticket_escalate)(
        ticket_id=ticket.pk, reason="sensitive_topic", required_skills=["fraud"]
    )

    assert await socket.nothing_more()
    await socket.close()


async def test_a_resent_customer_message_gets_the_same_ack_and_is_stored_once():
    ticket = await db(QueuedTicketFactory)()
    customer, _, _ = await open_customer(ticket.token)
    frame = {"type": "message", "client_id": "same-id", "body": "hello?"}

    await customer.send(frame)
    first = await customer.receive_type("ack")
    await customer.send(frame)
    second = await customer.receive_type("ack")

    assert first == second
    assert await db(Message.objects.filter(ticket=ticket, sender="customer").count)() == 1
    await customer.close()


async def test_resume_replays_every_message_after_the_seq_in_order():
    ticket = await db(QueuedTicketFactory)()
    for i in range(1, 5):
        await db(messages.message_post_customer)(
            token=ticket.token, client_id=f"m{i}", body=f"n{i}"
        )
    customer, _, _ = await open_customer(ticket.token)
    await customer.receive_type("status")

    await customer.send({"type": "resume", "after_seq": 2})
    replay = [await customer.receive_type("message") for _ in range(2)]

    assert [m["seq"] for m in replay] == [3, 4]
    assert [m["body"] for m in replay] == ["n3", "n4"]
    assert await customer.nothing_more()
    await customer.close()


# --- Privacy ------------------------------------------------------------------------------


async def test_an_agent_cannot_read_a_transcript_it_does_not_hold():
    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    socket, _, _ = await open_agent(agent.user)

    await socket.send({"type": "resume", "ticket": ticket.pk, "after_seq": 0})
    error = await socket.receive_type("error")

    assert error["code"] == "forbidden"
    await socket.close()


async def test_after_releasing_a_ticket_the_agent_can_no_longer_read_or_write_it():
    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    socket, _, _ = await open_agent(agent.user)
    await socket.send({"type": "claim", "ticket": ticket.pk})
    await socket.receive_type("claim.ok")

    await socket.send({"type": "release", "ticket": ticket.pk, "reason": "wrong skill"})
    await socket.receive_type("release.ok")
    await socket.send({"type": "resume", "ticket": ticket.pk, "after_seq": 0})
    resume_error = await socket.receive_type("error")
    stored_before = await message_count(ticket.pk)
    await socket.send({"type": "message", "ticket": ticket.pk, "client_id": "x", "body": "hi"})
    message_error = await socket.receive_type("error")

    assert resume_error["code"] == message_error["code"] == "forbidden"
    assert await message_count(ticket.pk) == stored_before
    await socket.close()


async def test_customer_contact_details_typed_in_chat_are_hidden_from_the_agent():
    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    await db(services.ticket_claim)(ticket_id=ticket.pk, agent_id=agent.pk)
    socket, _, _ = await open_agent(agent.user)
    customer, _, _ = await open_customer(ticket.token)

    await customer.send(
        {
            "type": "message",
            "client_id": "c",
            "body": "mail me at jo@example.com or +44 20 7946 0958",
        }
    )
    seen = await socket.receive_type("message")

    assert "jo@example.com" not in seen["body"]
    assert "7946" not in seen["body"]
    await customer.close()
    await socket.close()


# --- Bad frames: an error, nothing stored, the socket stays open --------------------------

BAD_CUSTOMER_FRAMES = [
    ("{not json", "invalid_json"),
    ('["a", "list"]', "invalid_frame"),
    ('{"type": "dance"}', "unknown_type"),
    ('{"body": "no type"}', "missing_field"),
    ('{"type": "message", "body": "no client id"}', "missing_field"),
    ('{"type": "message", "client_id": "x"}', "missing_field"),
    (json.dumps({"type": "message", "client_id": "x", "body": "a" * 4001}), "body_too_long"),
    ('{"type": "message", "client_id": "x", "body": "   "}', "empty_body"),
    ('{"type": "message", "client_id": "x", "body": 42}', "invalid_field"),
    ('{"type": "resume", "after_seq": -1}', "invalid_field"),
    ('{"type": "rate", "score": 9}', "invalid_field"),
    # PostgreSQL stores neither NUL nor a lone surrogate: refused before any write.
    ('{"type": "message", "client_id": "x", "body": "a\\u0000b"}', "invalid_field"),
    ('{"type": "message", "client_id": "x", "body": "a\\ud800b"}', "invalid_field"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_CUSTOMER_FRAMES)
async def test_a_bad_customer_frame_gets_an_error_and_stores_nothing(frame, code):
    ticket = await db(QueuedTicketFactory)()
    customer, _, _ = await open_customer(ticket.token)
    await customer.receive_type("status")
    before = await message_count(ticket.pk)

    await customer.send(frame)
    error = await customer.receive_type("error")

    assert error["code"] == code
    assert error["detail"]
    assert await message_count(ticket.pk) == before
    await customer.send({"type": "message", "client_id": "after", "body": "still open"})
    assert (await customer.receive_type("ack"))["client_id"] == "after"
    await customer.close()


BAD_AGENT_FRAMES = [
    ("{not json", "invalid_json"),
    ('{"type": "steal"}', "unknown_type"),
    ('{"type": "claim"}', "missing_field"),
    ('{"type": "claim", "ticket": "abc"}', "invalid_field"),
    ('{"type": "message", "ticket": 1, "client_id": "x"}', "missing_field"),
    ('{"type": "note", "ticket": 1, "client_id": "x", "body": "a\\u0000b"}', "invalid_field"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_AGENT_FRAMES)
async def test_a_bad_agent_frame_gets_an_error_and_changes_nothing(frame, code):
    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")

    await socket.send(frame)
    error = await socket.receive_type("error")

    assert error["code"] == code
    await db(ticket.refresh_from_db)()
    assert ticket.status == Ticket.Status.QUEUED
    assert await message_count(ticket.pk) == 0
    await socket.send({"type": "heartbeat"})
    assert (await socket.receive_type("heartbeat.ok"))["type"] == "heartbeat.ok"
    await socket.close()


async def test_an_agent_message_over_4000_characters_is_refused_and_not_stored():
    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    await db(services.ticket_claim)(ticket_id=ticket.pk, agent_id=agent.pk)
    before = await message_count(ticket.pk)
    socket, _, _ = await open_agent(agent.user)

    await socket.send(
        {"type": "message", "ticket": ticket.pk, "client_id": "x", "body": "b" * 4001}
    )
    error = await socket.receive_type("error")

    assert error["code"] == "body_too_long"
    assert await message_count(ticket.pk) == before
    await socket.close()


async def test_frames_over_the_rate_limit_are_refused_and_not_stored():
    ticket = await db(QueuedTicketFactory)()
    customer, _, _ = await open_customer(ticket.token)
    await customer.receive_type("status")

    for i in range(15):
        await customer.send({"type": "message", "client_id": f"burst-{i}", "body": "spam"})
    replies = [await customer.receive_type("ack", "error") for _ in range(15)]

    acks = [r for r in replies if r["type"] == "ack"]
    errors = [r for r in replies if r["type"] == "error"]
    assert len(acks) == 10
    assert [e["code"] for e in errors] == ["rate_limited"] * 5
    assert await db(Message.objects.filter(ticket=ticket, sender="customer").count)() == 10
    await customer.close()


# --- Healing lost pushes ------------------------------------------------------------------


async def test_a_ticket_whose_push_was_lost_reaches_the_agent_by_the_queue_resync(settings):
    settings.AGENT_QUEUE_RESYNC_SECONDS = 0.2
    agent = await db(AgentFactory)()
    socket, _, _ = await open_agent(agent.user)
    assert (await socket.receive_type("queue"))["tickets"] == []

    # Written straight to the database: no push at all, as if the channel layer dropped it.
    ticket = await db(QueuedTicketFactory)()
    queue = await socket.receive_type("queue", timeout=2)

    assert [card["id"] for card in queue["tickets"]] == [ticket.pk]
    await socket.close()


async def test_an_agent_suspended_while_connected_is_disconnected_and_loses_its_tickets():
    from agents.services import agent_transition

    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    await db(services.ticket_claim)(ticket_id=ticket.pk, agent_id=agent.pk)
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")

    await db(agent_transition)(agent_id=agent.pk, to_status="suspended", actor=None, reason="test")
    closed = await socket.communicator.receive_output(timeout=3)
    while closed["type"] != "websocket.close":
        closed = await socket.communicator.receive_output(timeout=3)

    assert closed["code"] == 4403
    await db(ticket.refresh_from_db)()
    assert (ticket.status, ticket.agent_id) == ("queued", None)


async def test_a_push_without_its_frame_text_from_an_older_release_still_reaches_the_socket():
    ticket = await db(QueuedTicketFactory)()
    customer, _, _ = await open_customer(ticket.token)
    await customer.receive_type("status")

    await get_channel_layer().group_send(
        events.chat_group(ticket.pk),
        {"type": "push", "event": {"type": "typing", "sender": "agent"}},
    )

    assert await customer.receive_type("typing") == {"type": "typing", "sender": "agent"}
    await customer.close()
