"""The ``confirm`` frame over the customer's socket, through the whole ASGI application:
"Did this solve your problem?" after a resolve (docs/protocol.md, docs/quality.md)."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from tests.factories import AgentFactory, QueuedTicketFactory
from tests.tickets.wsclient import open_customer
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async


@pytest.fixture(autouse=True)
def pick_routing(settings):
    settings.ROUTING_MODE = "pick"


def resolved_ticket() -> Ticket:
    ticket = QueuedTicketFactory()
    agent = AgentFactory()
    assert services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    return services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)


async def test_a_customer_connecting_after_a_resolve_is_asked_whether_it_solved_it():
    ticket = await db(resolved_ticket)()

    socket, _, _ = await open_customer(ticket.token)
    status = await socket.receive_type("status")

    assert status["status"] == "resolved"
    assert status["confirm_asked"] is True
    ends = ticket.resolved_at + timedelta(hours=72)
    assert status["reopen_until"] == ends.isoformat()
    await socket.close()


async def test_a_confirmed_resolution_is_not_asked_about_again_on_connecting():
    ticket = await db(resolved_ticket)()
    await db(services.ticket_resolution_confirm)(token=ticket.token, solved=True)

    socket, _, _ = await open_customer(ticket.token)
    status = await socket.receive_type("status")

    assert status["status"] == "resolved"
    assert "confirm_asked" not in status
    await socket.close()


async def test_yes_is_answered_confirm_ok():
    ticket = await db(resolved_ticket)()
    socket, _, _ = await open_customer(ticket.token)
    await socket.receive_type("status")

    await socket.send({"type": "confirm", "solved": True})

    assert await socket.receive_type("confirm.ok", "error") == {
        "type": "confirm.ok",
        "solved": True,
    }
    await db(ticket.refresh_from_db)()
    assert ticket.resolution_confirmed_by == "customer"
    await socket.close()


async def test_no_is_answered_and_the_customer_is_told_they_are_queued_again():
    ticket = await db(resolved_ticket)()
    socket, _, _ = await open_customer(ticket.token)
    await socket.receive_type("status")

    await socket.send({"type": "confirm", "solved": False})

    assert (await socket.receive_type("confirm.ok", "error"))["solved"] is False
    message = await socket.receive_type("message")
    assert message["body"] == "You said this wasn't solved, so you're at the front of the queue."
    status = await socket.receive_type("status")
    assert (status["status"], status["queue_position"]) == ("queued", 1)
    await socket.close()


async def test_a_refused_confirm_is_an_error_with_its_code():
    ticket = await db(resolved_ticket)()
    await db(Ticket.objects.filter(pk=ticket.pk).update)(
        resolved_at=timezone.now() - timedelta(hours=73)
    )
    socket, _, _ = await open_customer(ticket.token)
    await socket.receive_type("status")

    await socket.send({"type": "confirm", "solved": False})

    error = await socket.receive_type("error", "confirm.ok")
    assert error["code"] == "reopen_window_closed"
    await db(ticket.refresh_from_db)()
    assert ticket.status == "resolved"
    await socket.close()


@pytest.mark.parametrize("solved", ["no", 0, None])
async def test_a_confirm_that_is_not_true_or_false_is_refused(solved):
    ticket = await db(resolved_ticket)()
    socket, _, _ = await open_customer(ticket.token)
    await socket.receive_type("status")

    await socket.send({"type": "confirm", "solved": solved})

    assert (await socket.receive_type("error"))["code"] == "invalid_field"
    await db(ticket.refresh_from_db)()
    assert (ticket.status, ticket.resolution_confirmed_at) == ("resolved", None)
    await socket.close()
