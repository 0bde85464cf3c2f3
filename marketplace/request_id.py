"""A request id on every HTTP request and websocket connection, for the logs.

An incoming ``X-Request-ID`` (a load balancer's, or a client's) is kept when it is a sane
token and replaced otherwise (core.log_context.request_id_from); the id is bound to the log
context for the request's whole run and returned in the response's ``X-Request-ID``, so a
report quoting it leads to the request's log lines. A websocket connection gets one the
same way, from its handshake, held for the connection's life.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import iscoroutinefunction

from django.http import HttpRequest, HttpResponseBase
from django.utils.decorators import sync_and_async_middleware

from core import log_context

HEADER = "X-Request-ID"
_ASGI_HEADER = HEADER.lower().encode("latin-1")


@sync_and_async_middleware
def request_id_middleware(get_response: Callable) -> Callable:
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponseBase:
            request.request_id = log_context.request_id_from(request.headers.get(HEADER))
            token = log_context.bind(request_id=request.request_id)
            try:
                response = await get_response(request)
            finally:
                log_context.reset(token)
            response[HEADER] = request.request_id
            return response

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponseBase:
        request.request_id = log_context.request_id_from(request.headers.get(HEADER))
        token = log_context.bind(request_id=request.request_id)
        try:
            response = get_response(request)
        finally:
            log_context.reset(token)
        response[HEADER] = request.request_id
        return response

    return middleware


class WebsocketRequestId:
    """ASGI middleware for the websocket stack: binds a connection id for the connection's
    life (uvicorn runs each connection in a task of its own, so connections never share
    it). The consumers add the ticket or agent once they know it."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        incoming = next(
            (value for name, value in scope.get("headers", ()) if name.lower() == _ASGI_HEADER),
            b"",
        )
        connection_id = log_context.request_id_from(incoming.decode("latin-1"))
        with log_context.bound(request_id=connection_id):
            await self.app(scope, receive, send)
