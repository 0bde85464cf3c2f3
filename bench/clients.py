"""Websocket clients of the public protocol, run in processes apart from the server.

Every wait has a timeout and every loop a count and a deadline. Clocks: ``time.monotonic``
is one system-wide clock on Linux, so times taken in different client processes compare.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import multiprocessing
import os
import queue as queue_module
import time
import traceback
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

CONNECT_TIMEOUT = 15.0
# At most this many handshakes in flight per client process: a burst of a thousand at once
# measures the accept backlog, not the product.
CONNECT_CONCURRENCY = 25


def client_processes() -> int:
    return max(1, int(os.environ.get("BENCH_CLIENT_PROCS", "2")))


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def split(items: list, parts: int) -> list[list]:
    """Round-robin shares, none empty (fewer shares than parts when items are few)."""
    parts = max(1, min(parts, len(items)))
    return [items[i::parts] for i in range(parts)]


# --- Sockets ---------------------------------------------------------------------------------


async def open_socket(
    url: str, *, origin: str, cookie: str | None = None, limit: asyncio.Semaphore | None = None
) -> ClientConnection:
    headers = {"Origin": origin}
    if cookie:
        headers["Cookie"] = cookie
    async with limit or contextlib.nullcontext():
        return await connect(
            url,
            additional_headers=headers,
            open_timeout=CONNECT_TIMEOUT,
            close_timeout=2,
            max_size=2**22,
            max_queue=None,
            compression=None,
        )


async def open_agents(ws_base: str, origin: str, cookies: list[str]) -> list[ClientConnection]:
    """Agent sockets, each past its opening ``queue`` and ``assigned`` frames."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(cookie: str) -> ClientConnection:
        ws = await open_socket(f"{ws_base}/ws/agent/", origin=origin, cookie=cookie, limit=gate)
        await receive_until(ws, lambda f: f["type"] == "assigned", timeout=60)
        _keep_alive[ws] = asyncio.create_task(_heartbeats(ws))
        return ws

    return list(await asyncio.gather(*(one(cookie) for cookie in cookies)))


# An agent socket must be heard every AGENT_HEARTBEAT_SECONDS or the server closes it, as a
# real portal's does; the replies (heartbeat.ok) are frames the measurements skip.
HEARTBEAT_SECONDS = 15.0
_keep_alive: dict[ClientConnection, asyncio.Task] = {}


async def _heartbeats(ws: ClientConnection) -> None:
    with contextlib.suppress(Exception):
        for _ in range(100_000):
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await send(ws, {"type": "heartbeat"})


async def open_customers(ws_base: str, origin: str, tokens: list[str]) -> list[ClientConnection]:
    """Customer sockets, each past its opening ``status`` frame."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(token: str) -> ClientConnection:
        ws = await open_socket(f"{ws_base}/ws/chat/{token}/", origin=origin, limit=gate)
        await receive_until(ws, lambda f: f["type"] == "status", timeout=60)
        return ws

    return list(await asyncio.gather(*(one(token) for token in tokens)))


async def send(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(json.dumps(frame, separators=(",", ":")))


async def receive(ws: ClientConnection, timeout: float) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def receive_until(
    ws: ClientConnection, accept: Callable[[dict[str, Any]], bool], *, timeout: float
) -> dict[str, Any]:
    """The first frame ``accept`` takes, skipping others; TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    for _ in range(100_000):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        frame = await receive(ws, remaining)
        if accept(frame):
            return frame
    raise TimeoutError("no matching frame in time")


async def close_all(sockets: list[ClientConnection]) -> None:
    async def close(ws: ClientConnection) -> None:
        task = _keep_alive.pop(ws, None)
        if task is not None:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)

    for start in range(0, len(sockets), 200):
        await asyncio.gather(*(close(ws) for ws in sockets[start : start + 200]))


class RateLimit:
    """Keep a socket under the server's frames-per-second limit (docs/protocol.md)."""

    def __init__(self, per_second: float):
        self.gap = 1.0 / per_second
        self.next_at = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        if self.next_at > now:
            await asyncio.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.gap


# --- Processes -------------------------------------------------------------------------------


def _child(target: str, kwargs: dict[str, Any], timeout: float, results) -> None:
    module_name, function_name = target.rsplit(":", 1)
    function = getattr(importlib.import_module(module_name), function_name)
    try:
        result = asyncio.run(asyncio.wait_for(function(**kwargs), timeout))
    except BaseException as error:  # reported to the parent, which decides
        result = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
    results.put(result)


class ClientGroup:
    """Client processes running ``module:function(**kwargs)`` coroutines, one per share.

    Shares talk to the parent through the multiprocessing objects passed in their kwargs
    (events, queues), made with ``ClientGroup.context``.
    """

    context = multiprocessing.get_context("spawn")

    def __init__(self, target: str, shares: list[dict[str, Any]], *, timeout: float):
        self.timeout = timeout
        self.results = self.context.Queue()
        self.processes = [
            self.context.Process(
                target=_child, args=(target, share, timeout, self.results), daemon=True
            )
            for share in shares
        ]

    def start(self) -> ClientGroup:
        for process in self.processes:
            process.start()
        return self

    def collect(self, *, grace: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + self.timeout + grace
        results: list[dict[str, Any]] = []
        while len(results) < len(self.processes):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                results.append({"error": "client process gave no result in time"})
                break
            try:
                results.append(self.results.get(timeout=min(remaining, 1.0)))
            except queue_module.Empty:
                if not any(p.is_alive() for p in self.processes) and self.results.empty():
                    results.append({"error": "client process died without a result"})
                    break
        self.stop()
        return results

    def stop(self) -> None:
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


def run_clients(target: str, shares: list[dict[str, Any]], *, timeout: float) -> list[dict]:
    return ClientGroup(target, shares, timeout=timeout).start().collect()


def raise_client_errors(results: list[dict[str, Any]]) -> None:
    errors = [r for r in results if "error" in r]
    if errors:
        raise RuntimeError(
            "client process failed: " + errors[0]["error"] + "\n" + errors[0].get("trace", "")
        )


async def wait_event(event, timeout: float) -> bool:
    """Wait for a multiprocessing.Event without blocking the loop."""
    return await asyncio.to_thread(event.wait, timeout)
