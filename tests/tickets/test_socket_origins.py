"""Which pages may open the sockets (marketplace/websocket_origin.py): an Origin must match
the scheme, host and port the client connected to, or be in CSRF_TRUSTED_ORIGINS."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from marketplace.asgi import application
from tests.factories import AgentFactory, TicketFactory
from tests.tickets.wsclient import session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)

HOST = "127.0.0.1:8000"


@pytest.fixture(autouse=True)
def _only_the_same_origin_is_trusted(settings):
    # The default CSRF_TRUSTED_ORIGINS lists http://127.0.0.1:8000; these tests decide
    # which origins are trusted themselves.
    settings.CSRF_TRUSTED_ORIGINS = []
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]


@pytest.fixture(params=["chat", "agent"])
def socket_path_and_cookie(request):
    """Each test runs against both sockets: a customer's chat and an agent's."""

    async def make() -> tuple[str, list[tuple[bytes, bytes]]]:
        if request.param == "chat":
            ticket = await sync_to_async(TicketFactory)()
            return f"/ws/chat/{ticket.token}/", []
        agent = await sync_to_async(AgentFactory)()
        return "/ws/agent/", [(b"cookie", await sync_to_async(session_cookie_for)(agent.user))]

    return make


async def handshake(make, *, origin: str | None, host: str = HOST, scheme: str = "ws", extra=()):
    path, headers = await make()
    headers = [*headers, (b"host", host.encode()), *extra]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected


async def test_a_page_of_the_same_origin_may_connect(socket_path_and_cookie):
    assert await handshake(socket_path_and_cookie, origin="http://127.0.0.1:8000")


async def test_a_page_on_another_port_of_the_same_host_is_refused(socket_path_and_cookie):
    assert not await handshake(socket_path_and_cookie, origin="http://127.0.0.1:9999")


async def test_a_page_over_another_scheme_is_refused(socket_path_and_cookie):
    assert not await handshake(socket_path_and_cookie, origin="https://127.0.0.1:8000")


async def test_a_plain_http_page_is_refused_on_a_secure_socket(socket_path_and_cookie):
    assert not await handshake(socket_path_and_cookie, origin="http://127.0.0.1:8000", scheme="wss")


async def test_a_secure_page_may_connect_on_a_secure_socket(socket_path_and_cookie):
    assert await handshake(socket_path_and_cookie, origin="https://127.0.0.1:8000", scheme="wss")


async def test_the_default_port_is_the_same_origin_written_or_not(socket_path_and_cookie):
    assert await handshake(
        socket_path_and_cookie, origin="https://localhost", host="localhost:443", scheme="wss"
    )


async def test_behind_a_tls_proxy_the_secure_page_may_connect(socket_path_and_cookie, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proto = [(b"x-forwarded-proto", b"https")]

    secure = await handshake(
        socket_path_and_cookie, origin="https://localhost", host="localhost", extra=proto
    )
    plain = await handshake(
        socket_path_and_cookie, origin="http://localhost", host="localhost", extra=proto
    )

    assert (secure, plain) == (True, False)


async def test_a_forwarded_proto_is_ignored_unless_the_proxy_header_is_configured(
    socket_path_and_cookie, settings
):
    settings.SECURE_PROXY_SSL_HEADER = None

    assert not await handshake(
        socket_path_and_cookie,
        origin="https://localhost",
        host="localhost",
        extra=[(b"x-forwarded-proto", b"https")],
    )


async def test_an_origin_in_csrf_trusted_origins_may_connect(socket_path_and_cookie, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://support.example.com"]

    assert await handshake(socket_path_and_cookie, origin="https://support.example.com")


async def test_a_wildcard_trusted_origin_covers_subdomains_with_its_scheme_only(
    socket_path_and_cookie, settings
):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]

    sub = await handshake(socket_path_and_cookie, origin="https://help.example.com")
    plain = await handshake(socket_path_and_cookie, origin="http://help.example.com")
    other = await handshake(socket_path_and_cookie, origin="https://example.org")

    assert (sub, plain, other) == (True, False, False)


async def test_a_foreign_page_is_refused(socket_path_and_cookie):
    assert not await handshake(socket_path_and_cookie, origin="https://evil.example")


async def test_a_host_outside_allowed_hosts_is_no_origin_of_ours(socket_path_and_cookie):
    assert not await handshake(
        socket_path_and_cookie, origin="http://evil.example:8000", host="evil.example:8000"
    )


@pytest.mark.parametrize("origin", ["null", "file://", "not a url", "http://[::1"])
async def test_an_origin_that_is_not_a_web_origin_is_refused(socket_path_and_cookie, origin):
    assert not await handshake(socket_path_and_cookie, origin=origin)


async def test_without_an_origin_a_program_is_refused_as_before(socket_path_and_cookie):
    assert not await handshake(socket_path_and_cookie, origin=None)


async def test_without_an_origin_a_program_may_connect_when_every_host_is_allowed(
    socket_path_and_cookie, settings
):
    settings.ALLOWED_HOSTS = ["*"]

    assert await handshake(socket_path_and_cookie, origin=None)
