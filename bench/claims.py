"""Part 2, the claim race: agents connected and waiting, tickets escalated by customers over
their sockets, every agent with a free chat slot claiming every ticket it hears of.

Customers press "Talk to a person" (``request_human``) at Poisson arrival times. Each agent
keeps the claimable queue from ``ticket.new``, ``ticket.taken`` and the periodic ``queue``,
and whenever it has a free slot and no claim in flight it claims one of them at random,
staying under the 10 frames a second the server allows. Capacities add up to the number of
tickets, so by the end every slot is contested. The database then has to show exactly one
owner per ticket, one ``assigned`` event per ticket and nobody over capacity.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from typing import Any

from websockets.exceptions import ConnectionClosed

from bench.clients import (
    ClientGroup,
    RateLimit,
    client_processes,
    close_all,
    open_agents,
    open_customers,
    percentile,
    raise_client_errors,
    receive,
    send,
    split,
    wait_event,
)
from bench.report import Part, fmt_ms, fmt_rate
from bench.stack import Profile, running_stack


async def _watch(stop, flag: asyncio.Event, limit: float) -> None:
    await wait_event(stop, limit)
    flag.set()


async def claiming_agents(
    *,
    ws_base: str,
    origin: str,
    agents: list[dict[str, Any]],
    capacity: int,
    seed: int,
    ready,
    go,
    stop,
    limit: float,
) -> dict[str, Any]:
    rng = random.Random(seed)
    sockets = await open_agents(ws_base, origin, [a["cookie"] for a in agents])
    ready.put(len(sockets))
    await wait_event(go, 120)
    stopped = asyncio.Event()
    watcher = asyncio.create_task(_watch(stop, stopped, limit))
    deadline = time.monotonic() + limit
    wins: list[tuple[int, float]] = []
    errors: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()

    async def agent(ws) -> None:
        try:
            await claiming(ws)
        except ConnectionClosed as closed:
            # Reported, not raised: a socket the server stopped answering (keepalive ping
            # timeout) is a result of the run, and the other agents carry on.
            errors[f"socket closed: {closed.rcvd or closed.sent}"] += 1

    async def claiming(ws) -> None:
        candidates: dict[int, None] = {}
        taken: set[int] = set()
        held, in_flight = 0, None
        pace = RateLimit(8)  # under the server's 10 frames a second
        for _ in range(1_000_000):
            if stopped.is_set() or time.monotonic() > deadline:
                return
            if in_flight is None and held < capacity and candidates:
                in_flight = rng.choice(list(candidates))
                await pace.wait()
                await send(ws, {"type": "claim", "ticket": in_flight})
                outcomes["attempt"] += 1
            try:
                frame = await receive(ws, 0.5)
            except TimeoutError:
                continue
            kind = frame["type"]
            if kind == "ticket.new":
                ticket = frame["ticket"]["id"]
                if ticket not in taken:
                    candidates[ticket] = None
            elif kind == "queue":
                candidates = {t["id"]: None for t in frame["tickets"] if t["id"] not in taken}
            elif kind == "ticket.taken":
                taken.add(frame["ticket"])
                candidates.pop(frame["ticket"], None)
            elif kind == "claim.ok":
                held += 1
                wins.append((frame["ticket"]["id"], time.monotonic()))
                outcomes["won"] += 1
                candidates.pop(frame["ticket"]["id"], None)
                in_flight = None
            elif kind == "claim.failed":
                outcomes[frame["reason"]] += 1
                taken.add(frame["ticket"])
                candidates.pop(frame["ticket"], None)
                in_flight = None
            elif kind == "error":
                errors[frame.get("code", "?")] += 1
                in_flight = None

    await asyncio.gather(*(agent(ws) for ws in sockets))
    watcher.cancel()
    await close_all(sockets)
    return {"wins": wins, "errors": dict(errors), "outcomes": dict(outcomes)}


async def escalating_customers(
    *,
    ws_base: str,
    origin: str,
    customers: list[dict[str, Any]],
    ready,
    go,
    stop,
    limit: float,
) -> dict[str, Any]:
    """Open every customer's socket, then press "Talk to a person" at each one's time."""
    sockets = await open_customers(ws_base, origin, [c["token"] for c in customers])
    ready.put(len(sockets))
    await wait_event(go, 120)
    started = time.monotonic()
    sent: dict[int, float] = {}
    errors = 0
    for customer, ws in sorted(zip(customers, sockets, strict=True), key=lambda p: p[0]["at"]):
        delay = started + customer["at"] - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.monotonic() - started > limit:
            break
        try:
            await send(ws, {"type": "request_human"})
            sent[customer["ticket"]] = time.monotonic()
        except Exception:
            errors += 1
    await wait_event(stop, max(1.0, limit - (time.monotonic() - started)))
    await close_all(sockets)
    return {"sent": sent, "errors": errors}


def run(profile: Profile, *, quick: bool) -> Part:
    from bench import seed
    from tickets.models import Ticket, TicketEvent

    agent_count, ticket_count, capacity = (40, 100, 3) if quick else (200, 1000, 5)
    rate = 20.0 if quick else 25.0  # escalations a second, on average
    layer = profile.default_layer
    part = Part(
        key="claims",
        title="Claim race: agents waiting, tickets escalated, every free agent claiming",
        columns=[
            "layer",
            "agents × capacity",
            "tickets",
            "claims/s",
            "claim attempts/s",
            "escalation→claim p50",
            "p99",
            "client-seen p50",
            "client-seen p99",
            "double claims",
            "over capacity",
            "unclaimed",
            "target",
        ],
    )
    seed.reset()
    agents = seed.agents(count=agent_count, prefix="claim", capacity=capacity)
    tickets = seed.conversations(count=ticket_count)
    rng = random.Random(9)
    at, schedule = 0.0, []
    for ticket_id, token in tickets:
        at += rng.expovariate(rate)
        schedule.append({"ticket": ticket_id, "token": token, "at": at})
    limit = at + 60
    context = ClientGroup.context
    ready, go, stop = context.Queue(), context.Event(), context.Event()
    common = {"ready": ready, "go": go, "stop": stop, "limit": limit}
    with running_stack(profile, layer) as stack:
        part.stacks.add(stack.description)
        where = {"ws_base": stack.ws_base, "origin": stack.base}
        agent_shares = split([{"id": a.id, "cookie": a.cookie} for a in agents], client_processes())
        groups = [
            ClientGroup(
                "bench.claims:claiming_agents",
                [
                    {**where, **common, "agents": share, "capacity": capacity, "seed": i}
                    for i, share in enumerate(agent_shares)
                ],
                timeout=limit + 240,
            ),
            ClientGroup(
                "bench.claims:escalating_customers",
                [{**where, **common, "customers": schedule}],
                timeout=limit + 240,
            ),
        ]
        for group in groups:
            group.start()
        for _ in range(len(agent_shares) + 1):
            ready.get(timeout=240)
        go.set()
        started = time.monotonic()
        for _ in range(int(limit * 2) + 10):  # every half second, until all are claimed
            time.sleep(0.5)
            claimed = Ticket.objects.filter(claimed_at__isnull=False).count()
            if claimed >= ticket_count or time.monotonic() - started > limit:
                break
        time.sleep(1.0)
        stop.set()
        agent_results = groups[0].collect()
        customer_results = groups[1].collect()
    raise_client_errors(agent_results + customer_results)

    sent = customer_results[0]["sent"]
    wins = [win for r in agent_results for win in r["wins"]]
    wins_per_ticket = Counter(ticket for ticket, _ in wins)
    double_claims = sum(1 for n in wins_per_ticket.values() if n > 1)
    rows = list(
        Ticket.objects.filter(pk__in=[t for t, _ in tickets]).values_list(
            "pk", "status", "agent_id", "escalated_at", "claimed_at"
        )
    )
    events = Counter(
        TicketEvent.objects.filter(to_status=Ticket.Status.ASSIGNED).values_list(
            "ticket_id", flat=True
        )
    )
    double_claims += sum(1 for n in events.values() if n > 1)
    held = Counter(agent for _, status, agent, _, _ in rows if status == Ticket.Status.ASSIGNED)
    over = sum(1 for n in held.values() if n > capacity)
    assigned = [r for r in rows if r[1] == Ticket.Status.ASSIGNED]
    broken = sum(1 for r in assigned if r[2] is None or events[r[0]] != 1)
    latencies = [(r[4] - r[3]).total_seconds() for r in assigned if r[3] and r[4]]
    seen = [at - sent[ticket] for ticket, at in wins if ticket in sent]
    window = (
        (max(r[4] for r in assigned) - min(r[3] for r in rows if r[3])).total_seconds()
        if assigned
        else 0.0
    )
    outcomes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for r in agent_results:
        outcomes.update(r["outcomes"])
        errors.update(r["errors"])
    p99 = percentile(latencies, 0.99)
    unclaimed = ticket_count - len(assigned)
    met = (
        double_claims == 0
        and over == 0
        and broken == 0
        and p99 < 0.1
        and unclaimed == 0
        and not errors
    )
    part.rows.append(
        [
            layer,
            f"{agent_count} × {capacity}",
            str(ticket_count),
            fmt_rate(len(assigned) / window if window else 0),
            fmt_rate(outcomes["attempt"] / window if window else 0),
            fmt_ms(percentile(latencies, 0.5)),
            fmt_ms(p99),
            fmt_ms(percentile(seen, 0.5)),
            fmt_ms(percentile(seen, 0.99)),
            str(double_claims + broken),
            str(over),
            str(unclaimed),
            "met" if met else "MISSED",
        ]
    )
    part.notes.append(
        f"Escalations arrive as a Poisson stream of {rate:.0f} a second on average; "
        "escalation→claim is claimed_at − escalated_at as the server stored them; "
        "client-seen is request_human sent → claim.ok received. "
        f"Claim outcomes: {dict(outcomes)}; errors (frames, closed sockets): "
        f"{dict(errors) or 'none'}; "
        f"customer send errors: {customer_results[0]['errors']}."
    )
    if not met:
        part.misses.append(
            f"claim race: p99 {fmt_ms(p99)} (target < 100 ms), double claims "
            f"{double_claims + broken}, over capacity {over}, unclaimed {unclaimed}"
        )
    part.data = {"outcomes": dict(outcomes), "errors": dict(errors)}
    return part
