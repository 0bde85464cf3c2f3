"""The outermost layer of the websocket stack: a handshake never ends in an HTTP 500.

Before a consumer runs, the stack resolves the session and the user from the database; when
that fails (PostgreSQL dropping connections), or anything else raises before the socket is
closed, the client gets a websocket close code it can act on instead of an HTTP error:
1013 ("try again later") for an outage of the database or Redis, 1011 for anything else.
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected

from core.outages import SERVICE_UNAVAILABLE_ERRORS

logger = logging.getLogger(__name__)

CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_INTERNAL_ERROR = 1011


class WebsocketGuard:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        state = {"accepted": False, "closed": False}

        async def tracked_send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif message["type"] == "websocket.close":
                state["closed"] = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except ClientDisconnected:
            # uvicorn's answer to a send after the client left: the client's doing, not a
            # fault of ours, and there is nobody left to tell.
            logger.info("websocket %s: the client left while we were sending", scope["path"])
        except SERVICE_UNAVAILABLE_ERRORS as error:
            logger.warning(
                "websocket %s: a backing service is unavailable: %r", scope["path"], error
            )
            await self._close(send, state, CLOSE_TRY_AGAIN_LATER)
        except Exception:
            logger.exception("websocket %s failed", scope["path"])
            await self._close(send, state, CLOSE_INTERNAL_ERROR)

    @staticmethod
    async def _close(send, state: dict[str, bool], code: int) -> None:
        if state["closed"]:
            return
        try:
            if not state["accepted"]:
                # Accepted only to say why: a close before accept reaches the client as an
                # HTTP 403, which reads as "not allowed", not "try again".
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": code})
        except Exception:  # noqa: S110 - the client is gone already; nothing left to tell it
            pass
