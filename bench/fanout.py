"""Part 3, fan-out: from a ticket's escalation to its ``ticket.new`` at the last of N connected
eligible agents, and the server's memory per idle agent connection. In pick routing, the one
that announces every ticket to every agent (offer routing sends one offer per escalation).

Agents connect in steps (100, then 500, then 1,000 in all) and stay idle: they only listen.
At each step, once the new sockets have settled, the server's resident memory (all its
processes) is read from /proc, then a customer escalates a few tickets one after another
and every agent process notes when each ``ticket.new`` arrived. Delivery is measured from
just before the customer's ``request_human`` leaves to the last agent's receipt, on the
one monotonic clock of the machine. Idle agents are not silent: each socket gets the queue
again every AGENT_QUEUE_RESYNC_SECONDS, which is part of what the server carries.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

from bench.clients import (
    ClientGroup,
    client_processes,
    close_all,
    open_agents,
    open_customers,
    percentile,
    raise_client_errors,
    receive,
    send,
    split,
)
from bench.report import Part, fmt_ms
from bench.stack import Profile, running_stack

DELIVERY_TIMEOUT = 10.0  # a ticket.new later than this counts as not delivered


async def listening_agents(
    *,
    ws_base: str,
    origin: str,
    cookies: list[str],
    steps: list[int],
    commands,
    replies,
    limit: float,
) -> dict[str, Any]:
    """Client process: connect agents step by step as told; note every ticket.new's arrival."""
    arrivals: dict[int, list[float]] = defaultdict(list)
    sockets = []
    readers = []
    stopped = asyncio.Event()
    deadline = time.monotonic() + limit

    async def listen(ws) -> None:
        for _ in range(10_000_000):
            if stopped.is_set() or time.monotonic() > deadline:
                return
            try:
                frame = await receive(ws, 0.5)
            except TimeoutError:
                continue
            except Exception:
                return
            if frame["type"] == "ticket.new":
                arrivals[frame["ticket"]["id"]].append(time.monotonic())

    for _ in range(len(steps) + 1):
        command = await asyncio.to_thread(commands.get, True, max(1.0, deadline - time.monotonic()))
        if command[0] == "stop":
            break
        target = steps[command[1]]
        fresh = await open_agents(ws_base, origin, cookies[len(sockets) : target])
        sockets += fresh
        readers += [asyncio.create_task(listen(ws)) for ws in fresh]
        replies.put(len(sockets))
    stopped.set()
    await asyncio.gather(*readers, return_exceptions=True)
    await close_all(sockets)
    return {"arrivals": dict(arrivals)}


async def _escalate(ws_base: str, origin: str, token: str) -> float:
    (ws,) = await open_customers(ws_base, origin, [token])
    started = time.monotonic()
    await send(ws, {"type": "request_human"})
    await asyncio.sleep(0.2)
    await close_all([ws])
    return started


def run(profile: Profile, *, quick: bool) -> Part:
    from bench import seed

    sizes = [20, 100] if quick else [100, 500, 1000]
    rounds = 3 if quick else 5
    part = Part(
        key="fanout",
        title="Fan-out: escalation to the last eligible agent, and memory per idle agent",
        columns=[
            "layer",
            "agents",
            "last delivery p50",
            "last delivery max",
            "first delivery p50",
            "delivered",
            "server RSS",
            "per idle agent",
            "added agents' share",
            "target",
        ],
    )
    part.notes.append(
        f"{rounds} escalations per size, one at a time, 2 s apart. Memory, over all server "
        "processes: per idle agent is (server RSS with N agents − RSS before any agent) / N, "
        "which also spreads over the agents what a process loads lazily on its first requests "
        "(its URLconf, pool threads: ~13 MiB at two processes); the added agents' share is "
        "(RSS with N − RSS at the size before) / the agents added, the cost of one more idle "
        "connection, and is what the target is judged on. "
        "Targets at 1,000 agents: last delivery < 250 ms, < 50 KiB per idle connection."
    )
    procs = client_processes()
    for layer in profile.layers:
        seed.reset()
        agents = seed.agents(count=max(sizes), prefix="fanout", capacity=3)
        tickets = seed.conversations(count=len(sizes) * rounds + 1)
        cookie_shares = split([a.cookie for a in agents], procs)
        with running_stack(profile, layer, ROUTING_MODE="pick") as stack:
            part.stacks.add(stack.description)
            where = (stack.ws_base, stack.base)
            asyncio.run(_escalate(*where, tickets[-1][1]))  # warm the server's code paths
            time.sleep(1.0)
            baseline = stack.server_rss_kib()
            context = ClientGroup.context
            commands = [context.Queue() for _ in cookie_shares]
            replies = context.Queue()
            # Round-robin shares: share i holds agents i, i + P, i + 2P … of the whole list.
            steps_per_share = [
                [len(range(i, size, len(cookie_shares))) for size in sizes]
                for i in range(len(cookie_shares))
            ]
            group = ClientGroup(
                "bench.fanout:listening_agents",
                [
                    {
                        "ws_base": stack.ws_base,
                        "origin": stack.base,
                        "cookies": share,
                        "steps": steps,
                        "commands": queue,
                        "replies": replies,
                        "limit": 900.0,
                    }
                    for share, steps, queue in zip(
                        cookie_shares, steps_per_share, commands, strict=True
                    )
                ],
                timeout=960,
            ).start()
            sent: dict[int, tuple[int, float]] = {}
            memory: dict[int, int] = {}
            try:
                next_ticket = 0
                for index, size in enumerate(sizes):
                    for queue in commands:
                        queue.put(("connect", index))
                    for _ in commands:
                        replies.get(timeout=600)
                    time.sleep(3.0)  # let the connects' writes and opening frames settle
                    memory[size] = stack.server_rss_kib()
                    for _ in range(rounds):
                        ticket_id, token = tickets[next_ticket]
                        next_ticket += 1
                        sent[ticket_id] = (size, asyncio.run(_escalate(*where, token)))
                        time.sleep(2.0)
            finally:
                for queue in commands:
                    queue.put(("stop",))
                results = group.collect()
        raise_client_errors(results)
        arrivals: dict[int, list[float]] = defaultdict(list)
        for result in results:
            for ticket_id, times in result["arrivals"].items():
                arrivals[int(ticket_id)] += times
        previous_size, previous_rss = 0, baseline
        for size in sizes:
            lasts, firsts, delivered, expected = [], [], 0, 0
            for ticket_id, (ticket_size, started) in sent.items():
                if ticket_size != size:
                    continue
                times = [t - started for t in arrivals.get(ticket_id, [])]
                times = [t for t in times if t <= DELIVERY_TIMEOUT]
                expected += size
                delivered += len(times)
                if times:
                    lasts.append(max(times))
                    firsts.append(min(times))
            per_agent = (memory[size] - baseline) / size
            marginal = (memory[size] - previous_rss) / (size - previous_size)
            previous_size, previous_rss = size, memory[size]
            last_p50 = percentile(lasts, 0.5)
            met = ""
            if size == max(sizes):
                ok = (
                    max(lasts, default=float("inf")) < 0.25
                    and marginal < 50
                    and delivered == expected
                )
                met = "met" if ok else "MISSED"
                if not ok:
                    part.misses.append(
                        f"fan-out {layer} to {size}: last delivery max "
                        f"{fmt_ms(max(lasts, default=float('nan')))} (target < 250 ms), "
                        f"{marginal:.0f} KiB per added idle agent (target < 50), "
                        f"delivered {delivered}/{expected}"
                    )
            part.rows.append(
                [
                    layer,
                    str(size),
                    fmt_ms(last_p50),
                    fmt_ms(max(lasts, default=float("nan"))),
                    fmt_ms(percentile(firsts, 0.5)),
                    f"{delivered}/{expected}",
                    f"{memory[size] / 1024:.0f} MiB",
                    f"{per_agent:.0f} KiB",
                    f"{marginal:.0f} KiB",
                    met,
                ]
            )
            part.data.setdefault(layer, {})[str(size)] = {
                "lasts": lasts,
                "firsts": firsts,
                "rss_kib": memory[size],
                "baseline_kib": baseline,
            }
    if profile.redis_note:
        part.notes.append(f"Redis layers skipped: {profile.redis_note}.")
    return part
