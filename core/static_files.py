"""WhiteNoise under ASGI without Django's "must consume synchronous iterators" warning.

WhiteNoise answers a static file with a FileResponse over the open file: a synchronous
iterator. Django's ASGI handler can only consume it by reading it whole in a thread, and
warns so ("StreamingHttpResponse must consume synchronous iterators in order to serve them
asynchronously") on every process's first static file, in DEBUG and in production alike.
Under ASGI this middleware hands Django an asynchronous iterator instead, which reads the
file a block at a time off the event loop. Under WSGI (the test client) it changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import BinaryIO

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

# As Django's ASGI handler reads files (ASGIHandler.chunk_size).
BLOCK_SIZE = 64 * 1024


async def _file_blocks(file: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while block := await asyncio.to_thread(file.read, BLOCK_SIZE):
            yield block
    finally:
        file.close()  # also among the response's closers: closing twice is harmless


async def _parts(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


class AsyncStaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise's middleware, whose file responses stream asynchronously under ASGI."""

    @staticmethod
    def serve(static_file, request: HttpRequest) -> StreamingHttpResponse:
        response = WhiteNoiseMiddleware.serve(static_file, request)
        if isinstance(request, ASGIRequest) and response.streaming and not response.is_async:
            file = response.file_to_stream
            # No file: a 304 or a HEAD, whose (empty) body is already in memory.
            response.streaming_content = (
                _file_blocks(file) if file is not None else _parts(list(response))
            )
        return response
