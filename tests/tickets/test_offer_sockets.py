"""Offers over the agent socket (docs/protocol.md): accept, decline, presence, what a socket
is told on connecting, and bad input, which changes nothing."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from agents.models import Agent
from tests.factories import AgentFactory, OfferFactory, QueuedTicketFactory, TicketFactory
from tests.tickets.wsclient import open_agent, open_customer
from tickets import services
from tickets.models import Offer, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async


@pytest.fixture(autouse=True)
def _offer_routing(settings):
    settings.ROUTING_MODE = "offer"


def _state() -> tuple:
    """Everything an answer to an offer could change."""
    return (
        list(
            Offer.objects.order_by("pk").values_list(
                "pk", "outcome", "decline_reason", "decided_at", "agent_id", "ticket_id"
            )
        ),
        list(Ticket.objects.order_by("pk").values_list("pk", "status", "agent_id")),
        list(
            Agent.objects.order_by("pk").values_list(
                "pk", "availability", "consecutive_missed_offers"
            )
        ),
    )


state = db(_state)


async def connected_with_frames(agent):
    """An agent's socket, once the dispatch round its connection triggers is over, and the
    frames it was sent until then."""
    socket, ok, _ = await open_agent(agent.user)
    assert ok
    # Frames are handled after connect returns: once a heartbeat is answered, the round
    # (and the expiry before it) is over.
    await socket.send({"type": "heartbeat"})
    frames = []
    while (frame := await socket.receive())["type"] != "heartbeat.ok":
        frames.append(frame)
    # A push the round made may be handled after the heartbeat (the socket's two inputs).
    while not await socket.nothing_more(timeout=0.2):
        frames.append(await socket.receive())
    return socket, frames


async def connected(agent):
    socket, _ = await connected_with_frames(agent)
    return socket


def of_type(frames, kind):
    return [frame for frame in frames if frame["type"] == kind]


# --- Accept ---------------------------------------------------------------------------------


async def test_accepting_an_offer_answers_claim_ok_as_a_claim_does():
    offer = await db(OfferFactory)()
    socket = await connected(offer.agent)

    await socket.send({"type": "accept", "offer": offer.pk})
    reply = await socket.receive_type("claim.ok", "offer.gone")

    assert reply["type"] == "claim.ok"
    assert reply["ticket"]["id"] == offer.ticket_id
    assert isinstance(reply["ticket"]["transcript"], list)
    assert reply["ticket"]["notes"] == []
    ticket = await db(Ticket.objects.get)(pk=offer.ticket_id)
    assert (ticket.status, ticket.agent_id) == ("assigned", offer.agent_id)
    await socket.close()


async def test_accepting_another_agents_offer_is_not_yours_and_changes_nothing():
    offer = await db(OfferFactory)()
    other = await db(AgentFactory)()
    socket = await connected(other)
    before = await state()

    await socket.send({"type": "accept", "offer": offer.pk})

    assert await socket.receive_type("offer.gone", "claim.ok") == {
        "type": "offer.gone",
        "offer": offer.pk,
        "reason": "not_yours",
    }
    assert await state() == before
    await socket.close()


async def test_accepting_an_unknown_offer_is_not_found_and_changes_nothing():
    agent = await db(AgentFactory)()
    socket = await connected(agent)
    before = await state()

    await socket.send({"type": "accept", "offer": 987654})

    reply = await socket.receive_type("offer.gone", "claim.ok")
    assert reply == {"type": "offer.gone", "offer": 987654, "reason": "not_found"}
    assert await state() == before
    await socket.close()


async def test_accepting_an_offer_past_its_time_is_expired_and_changes_nothing():
    sent = timezone.now() - timedelta(seconds=30)
    offer = await db(OfferFactory)(sent_at=sent, expires_at=sent + timedelta(seconds=15))
    socket = await connected(offer.agent)
    before = await state()

    await socket.send({"type": "accept", "offer": offer.pk})

    reply = await socket.receive_type("offer.gone", "claim.ok")
    assert reply["reason"] == "expired"
    assert await state() == before
    await socket.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "accept"}, "missing_field"),
        ({"type": "accept", "offer": "1"}, "invalid_field"),
        ({"type": "accept", "offer": 0}, "invalid_field"),
        ({"type": "accept", "offer": True}, "invalid_field"),
        ({"type": "decline", "offer": 1}, "missing_field"),
        ({"type": "decline", "offer": 1, "reason": "lunch"}, "invalid_field"),
        ({"type": "presence", "status": "asleep"}, "invalid_field"),
        ({"type": "presence"}, "missing_field"),
    ],
)
async def test_a_malformed_offer_frame_is_an_error_and_changes_nothing(frame, code):
    offer = await db(OfferFactory)()
    socket = await connected(offer.agent)
    before = await state()

    await socket.send(frame)

    reply = await socket.receive_type("error", "claim.ok", "decline.ok", "presence")
    assert (reply["type"], reply["code"]) == ("error", code)
    assert await state() == before
    await socket.close()


# --- Decline --------------------------------------------------------------------------------


async def test_declining_an_offer_answers_decline_ok_and_records_the_reason():
    offer = await db(OfferFactory)()
    socket = await connected(offer.agent)

    await socket.send({"type": "decline", "offer": offer.pk, "reason": "not_my_skill"})

    assert await socket.receive_type("decline.ok", "offer.gone") == {
        "type": "decline.ok",
        "offer": offer.pk,
    }
    await db(offer.refresh_from_db)()
    assert (offer.outcome, offer.decline_reason) == ("declined", "not_my_skill")
    await socket.close()


async def test_a_declined_ticket_is_offered_to_the_next_free_agent_at_once():
    offer = await db(OfferFactory)()
    other = await db(AgentFactory)()
    other_socket = await connected(other)
    socket = await connected(offer.agent)

    await socket.send({"type": "decline", "offer": offer.pk, "reason": "busy"})
    await socket.receive_type("decline.ok")

    pushed = await other_socket.receive_type("offer")
    assert pushed["ticket"]["id"] == offer.ticket_id
    assert pushed["expires_in"] > 0
    await socket.close()
    await other_socket.close()


async def test_declining_another_agents_offer_is_not_yours_and_changes_nothing():
    offer = await db(OfferFactory)()
    other = await db(AgentFactory)()
    socket = await connected(other)
    before = await state()

    await socket.send({"type": "decline", "offer": offer.pk, "reason": "busy"})

    reply = await socket.receive_type("offer.gone", "decline.ok")
    assert reply["reason"] == "not_yours"
    assert await state() == before
    await socket.close()


# --- Presence -------------------------------------------------------------------------------


async def test_an_agent_going_away_is_answered_and_its_offer_withdrawn():
    offer = await db(OfferFactory)()
    socket = await connected(offer.agent)

    await socket.send({"type": "presence", "status": "away"})

    assert await socket.receive_type("presence") == {"type": "presence", "status": "away"}
    agent = await db(Agent.objects.get)(pk=offer.agent_id)
    await db(offer.refresh_from_db)()
    assert (agent.availability, offer.outcome) == ("away", "withdrawn")
    await socket.close()


async def test_an_away_agent_coming_back_is_answered_and_available():
    agent = await db(AgentFactory)(availability="away")
    socket = await connected(agent)

    await socket.send({"type": "presence", "status": "available"})

    assert (await socket.receive_type("presence"))["status"] == "available"
    await db(agent.refresh_from_db)()
    assert agent.availability == "available"
    await socket.close()


# --- Connecting -----------------------------------------------------------------------------


async def test_a_connecting_agent_is_shown_its_pending_offer():
    offer = await db(OfferFactory)()

    socket, frames = await connected_with_frames(offer.agent)

    [pushed] = of_type(frames, "offer")
    assert (pushed["offer"], pushed["ticket"]["id"]) == (offer.pk, offer.ticket_id)
    await socket.close()


async def test_a_connecting_away_agent_is_told_it_is_away():
    agent = await db(AgentFactory)(availability="away")

    socket, frames = await connected_with_frames(agent)

    assert of_type(frames, "presence") == [{"type": "presence", "status": "away"}]
    await socket.close()


async def test_a_connecting_agent_is_offered_a_waiting_ticket_at_once():
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    ticket = await db(QueuedTicketFactory)()

    socket, frames = await connected_with_frames(agent)

    [pushed] = of_type(frames, "offer")
    assert pushed["ticket"]["id"] == ticket.pk
    await socket.close()


async def test_in_pick_routing_a_connecting_agent_hears_no_offer(settings):
    settings.ROUTING_MODE = "pick"
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    await db(QueuedTicketFactory)()

    socket, frames = await connected_with_frames(agent)

    assert of_type(frames, "offer") == []
    assert await socket.nothing_more(timeout=0.3)
    assert not await db(Offer.objects.exists)()
    await socket.close()


# --- What agents and customers see of the queue ----------------------------------------------


async def test_in_offer_routing_an_agent_is_shown_a_digest_not_the_queues_tickets():
    agent = await db(AgentFactory)(availability="away")  # away: nothing is offered to it
    await db(QueuedTicketFactory)()
    await db(QueuedTicketFactory)(language="fr")

    socket, frames = await connected_with_frames(agent)

    assert of_type(frames, "queue") == []
    [digest] = of_type(frames, "queue.digest")
    assert (digest["waiting"], digest["by_language"]) == (1, {"en": 1})
    assert digest["oldest_wait_seconds"] >= 0
    await socket.close()


async def test_in_offer_routing_an_escalation_reaches_agents_as_an_offer_not_ticket_new():
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    socket = await connected(agent)
    ticket = await db(TicketFactory)()

    await db(services.ticket_escalate)(ticket_id=ticket.pk, reason="customer asked")

    assert (await socket.receive_type("offer", "ticket.new"))["type"] == "offer"
    assert await socket.nothing_more(timeout=0.3)
    await socket.close()


async def test_in_hybrid_routing_an_agent_gets_the_queue_and_its_offers(settings):
    settings.ROUTING_MODE = "hybrid"
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    socket = await connected(agent)
    ticket = await db(TicketFactory)()

    await db(services.ticket_escalate)(ticket_id=ticket.pk, reason="customer asked")

    kinds = {(await socket.receive_type("offer", "ticket.new"))["type"] for _ in range(2)}
    assert kinds == {"offer", "ticket.new"}
    await socket.close()


async def test_the_queue_resync_sends_the_digest_in_offer_routing(settings):
    settings.AGENT_QUEUE_RESYNC_SECONDS = 0.05
    agent = await db(AgentFactory)(availability="away")
    socket, _, _ = await open_agent(agent.user)
    assert (await socket.receive())["type"] == "queue.digest"  # on connect

    assert (await socket.receive_type("queue.digest", "queue"))["type"] == "queue.digest"
    await socket.close()


async def test_a_customer_is_told_a_person_is_being_connected_while_an_offer_is_out():
    offer = await db(OfferFactory)()

    customer, ok, _ = await open_customer(offer.ticket.token)

    assert ok
    status = await customer.receive_type("status")
    assert (status["status"], status["connecting"]) == ("queued", True)
    await customer.close()
