"""Part 1, message relay: customer → agent → customer through the product's sockets, with
persistence, against the bare relay on the same server, channel layer and uvicorn.

One round trip: the customer sends a message; the agent's socket receives it; the agent
answers; the customer's socket receives the answer. Each conversation runs round trips back
to back (a closed loop) for a set time, so throughput is what the server sustains at that
concurrency. Two messages are relayed per round trip.

The per-socket frame limit (10 a second) is lifted for this part only: at 10 frames a second
a loop measures the limiter. The limiter itself still runs on every frame.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from bench.clients import (
    ClientGroup,
    client_processes,
    close_all,
    open_socket,
    percentile,
    raise_client_errors,
    receive_until,
    send,
    split,
    wait_event,
)
from bench.report import Part, fmt_ms, fmt_rate, fmt_ratio
from bench.stack import Profile, running_stack

STEP_TIMEOUT = 10.0


def _is_error(frame: dict[str, Any], errors: list[str]) -> bool:
    if frame.get("type") == "error":
        errors.append(frame.get("code", "?"))
    return False


async def _product_round_trip(customer, agent, ticket: int, n: int, errors: list[str]) -> None:
    asked, answer = f"question {n} on {ticket}", f"answer {n} on {ticket}"
    await send(customer, {"type": "message", "client_id": uuid.uuid4().hex, "body": asked})
    await receive_until(
        agent,
        lambda f: (
            _is_error(f, errors)
            or (f["type"] == "message" and f.get("sender") == "customer" and f.get("body") == asked)
        ),
        timeout=STEP_TIMEOUT,
    )
    await send(
        agent,
        {"type": "message", "ticket": ticket, "client_id": uuid.uuid4().hex, "body": answer},
    )
    await receive_until(
        customer,
        lambda f: (
            _is_error(f, errors)
            or (f["type"] == "message" and f.get("sender") == "agent" and f.get("body") == answer)
        ),
        timeout=STEP_TIMEOUT,
    )


async def _bare_round_trip(customer, agent, room: str, n: int, errors: list[str]) -> None:
    asked, answer = f"question {n} in {room}", f"answer {n} in {room}"
    await send(customer, {"type": "message", "body": asked})
    await receive_until(agent, lambda f: f.get("body") == asked, timeout=STEP_TIMEOUT)
    await send(agent, {"type": "message", "body": answer})
    await receive_until(customer, lambda f: f.get("body") == answer, timeout=STEP_TIMEOUT)


async def conversations(
    *,
    kind: str,
    ws_base: str,
    origin: str,
    pairs: list[dict[str, Any]],
    warmup: int,
    max_rounds: int,
    duration: float,
    ready,
    go,
) -> dict[str, Any]:
    """Client process: open every pair's two sockets, warm up, then loop until told to go."""
    import asyncio

    sockets = []
    errors: list[str] = []
    opened = []
    for pair in pairs:
        if kind == "product":
            customer = await open_socket(f"{ws_base}/ws/chat/{pair['token']}/", origin=origin)
            agent = await open_socket(f"{ws_base}/ws/agent/", origin=origin, cookie=pair["cookie"])
            await receive_until(customer, lambda f: f["type"] == "status", timeout=STEP_TIMEOUT)
            await receive_until(agent, lambda f: f["type"] == "assigned", timeout=STEP_TIMEOUT)
            trip, key = _product_round_trip, pair["ticket"]
        else:
            customer = await open_socket(f"{ws_base}/bench/relay/{pair['room']}/", origin=origin)
            agent = await open_socket(f"{ws_base}/bench/relay/{pair['room']}/", origin=origin)
            trip, key = _bare_round_trip, pair["room"]
        sockets += [customer, agent]
        opened.append((customer, agent, trip, key))
    for customer, agent, trip, key in opened:
        for n in range(warmup):
            await trip(customer, agent, key, -1 - n, errors)
    ready.put(len(opened))
    if not await wait_event(go, 120):
        raise TimeoutError("never told to go")
    started = time.monotonic()
    deadline = started + duration
    latencies: list[float] = []
    failures = 0

    async def loop(customer, agent, trip, key) -> None:
        nonlocal failures
        for n in range(max_rounds):
            if time.monotonic() >= deadline:
                return
            t0 = time.monotonic()
            try:
                await trip(customer, agent, key, n, errors)
            except TimeoutError:
                failures += 1
                return
            latencies.append(time.monotonic() - t0)

    await asyncio.gather(*(loop(*conversation) for conversation in opened))
    ended = time.monotonic()
    await close_all(sockets)
    return {
        "latencies": latencies,
        "started": started,
        "ended": ended,
        "errors": errors,
        "timeouts": failures,
    }


def measure(
    stack, *, kind: str, pairs: list[dict[str, Any]], duration: float, warmup: int
) -> dict[str, Any]:
    shares = split(pairs, min(len(pairs), client_processes()))
    ready = ClientGroup.context.Queue()
    go = ClientGroup.context.Event()
    group = ClientGroup(
        "bench.relay:conversations",
        [
            {
                "kind": kind,
                "ws_base": stack.ws_base,
                "origin": stack.base,
                "pairs": share,
                "warmup": warmup,
                "max_rounds": 100_000,
                "duration": duration,
                "ready": ready,
                "go": go,
            }
            for share in shares
        ],
        timeout=duration + 180,
    ).start()
    try:
        for _ in shares:
            ready.get(timeout=150)
    except Exception:
        group.stop()
        raise
    go.set()
    results = group.collect()
    raise_client_errors(results)
    latencies = [x for r in results for x in r["latencies"]]
    window = max(r["ended"] for r in results) - min(r["started"] for r in results)
    return {
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "messages_per_second": 2 * len(latencies) / window if window > 0 else 0.0,
        "round_trips": len(latencies),
        "errors": sum(len(r["errors"]) for r in results) + sum(r["timeouts"] for r in results),
    }


def run(profile: Profile, *, quick: bool) -> Part:
    from bench import seed  # Django models: only in the bench process, never in clients

    concurrencies = [1, 10] if quick else [1, 50]
    duration = 3.0 if quick else 10.0
    warmup = 3 if quick else 10
    part = Part(
        key="relay",
        title="Message relay: customer → agent → customer, product against the bare relay",
        columns=[
            "layer",
            "conversations",
            "bare p50",
            "bare p99",
            "bare msg/s",
            "product p50",
            "product p99",
            "product msg/s",
            "p50 ratio",
            "throughput ratio",
            "target",
        ],
    )
    part.notes.append(
        f"{duration:.0f} s closed loop per case after {warmup} warm-up round trips per "
        "conversation; latency is the full round trip (two relayed messages); msg/s counts "
        "relayed messages. Target: product p50 ≤ 1.5× bare, throughput ≥ 0.7× bare."
    )
    for layer in profile.layers:
        seed.reset()
        holders = seed.agents(count=max(concurrencies), prefix="relay", capacity=3)
        tickets = seed.assigned_conversations(holders=holders)
        product_pairs = [
            {"ticket": ticket_id, "token": token, "cookie": holder.cookie}
            for (ticket_id, token), holder in zip(tickets, holders, strict=True)
        ]
        bare_pairs = [{"room": f"room{i}"} for i in range(len(product_pairs))]
        with running_stack(profile, layer, WS_MAX_FRAMES_PER_SECOND="1000000") as stack:
            part.stacks.add(stack.description)
            for count in concurrencies:
                bare = measure(
                    stack, kind="bare", pairs=bare_pairs[:count], duration=duration, warmup=warmup
                )
                product = measure(
                    stack,
                    kind="product",
                    pairs=product_pairs[:count],
                    duration=duration,
                    warmup=warmup,
                )
                p50_ratio = product["p50"] / bare["p50"]
                rate_ratio = product["messages_per_second"] / bare["messages_per_second"]
                met = p50_ratio <= 1.5 and rate_ratio >= 0.7
                errors = bare["errors"] + product["errors"]
                part.rows.append(
                    [
                        layer,
                        str(count),
                        fmt_ms(bare["p50"]),
                        fmt_ms(bare["p99"]),
                        fmt_rate(bare["messages_per_second"]),
                        fmt_ms(product["p50"]),
                        fmt_ms(product["p99"]),
                        fmt_rate(product["messages_per_second"]),
                        fmt_ratio(p50_ratio),
                        fmt_ratio(rate_ratio),
                        ("met" if met else "MISSED") + (f" ({errors} errors)" if errors else ""),
                    ]
                )
                if not met:
                    part.misses.append(
                        f"relay {layer} ×{count}: p50 {p50_ratio:.2f}× bare, "
                        f"throughput {rate_ratio:.2f}× bare"
                    )
                part.data.setdefault(layer, {})[str(count)] = {"bare": bare, "product": product}
    if profile.redis_note:
        part.notes.append(f"Redis layers skipped: {profile.redis_note}.")
    return part
