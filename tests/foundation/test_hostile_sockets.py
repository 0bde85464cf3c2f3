"""Websocket handshakes to paths that lead nowhere: closed with 4404, never an error."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from marketplace.asgi import application
from tests.factories import TicketFactory
from tests.tickets.wsclient import ORIGIN, open_customer

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(path: str) -> tuple[bool, dict]:
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN])
    connected, _ = await communicator.connect()
    closed = await communicator.receive_output(timeout=2)
    await communicator.wait()
    return connected, closed


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/", "/", "/ws/agent/extra/", "/ws/chat/"])
async def test_a_socket_to_an_unknown_path_is_accepted_then_closed_with_4404(path):
    connected, closed = await handshake(path)

    assert connected
    assert closed == {"type": "websocket.close", "code": 4404}


@pytest.mark.parametrize("token", ["%00", "abc%00def", "%C3%A9t%C3%A9", "a%20b", "x" * 65])
async def test_a_customer_socket_with_a_garbage_token_is_closed_with_4404(token):
    connected, closed = await handshake(f"/ws/chat/{token}/")

    assert connected
    assert closed == {"type": "websocket.close", "code": 4404}


async def test_a_customer_socket_with_a_real_token_still_connects():
    ticket = await sync_to_async(TicketFactory)()
    socket, connected, _ = await open_customer(ticket.token)

    assert connected
    assert (await socket.receive_type("status"))["status"] == "bot"
    await socket.close()


async def test_a_socket_from_a_foreign_origin_to_an_unknown_path_is_still_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/nope/", headers=[(b"origin", b"https://evil.example")]
    )

    connected, _ = await communicator.connect()

    assert not connected
