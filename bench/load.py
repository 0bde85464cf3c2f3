"""Part 5, the load simulator: a compressed day of traffic through the public protocol.

* Demand: a synthetic four-week history of escalations with the usual daily shape is fed to
  the product's own forecast (workforce.staffing.forecast_arrivals); today's 48 half-hour means
  are scaled to the day's volume and replayed in ``day`` wall seconds as a Poisson process.
* Customers create their conversation over HTTP (each from its own loopback address, as
  real customers come from their own), talk to the assistant, and most then ask for a
  person; they answer the agent and rate the chat once it is resolved.
* Agents are staffed with the product's Erlang C (workforce.staffing.agents_required) for the
  forecast peak; each claims what it hears of when it has a free slot, after a human pause,
  answers, and resolves after a few exchanges. Every socket keeps under 10 frames a second.

Human pauses are kept in wall seconds (a click, typing), so handle times are a few seconds:
the day is compressed in volume and rhythm, not in how fast people react. Reported: the share
of escalations claimed within 60 s (from the server's timestamps), time from asking for a
person to the first human reply (as the customer saw it), and every error.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.clients import (
    ClientGroup,
    RateLimit,
    client_processes,
    close_all,
    open_agents,
    open_socket,
    percentile,
    raise_client_errors,
    receive,
    receive_until,
    send,
    split,
    wait_event,
)
from bench.report import Part, fmt_ms, fmt_pct
from bench.stack import Profile, running_stack

QUESTIONS = [
    "How do I reset my password?",
    "Where can I see my invoices?",
    "How long does shipping take?",
    "Can I change the email on my account?",
]
STEP_TIMEOUT = 30.0


def daily_shape(hour: float) -> float:
    """Relative demand by UTC hour: busy afternoons and evenings, quiet nights."""
    if 13 <= hour < 22:
        return 1.0
    if 8 <= hour < 13 or 22 <= hour < 24:
        return 0.6
    return 0.2


def forecast_today(*, seed: int) -> list[float]:
    """Mean escalations per half hour for today, from the product's forecast of a history."""
    from workforce.staffing import forecast_arrivals

    rng = random.Random(seed)
    now = datetime(2025, 3, 24, tzinfo=UTC)  # a Monday at midnight: "today" is a Monday
    history = []
    for day in range(28):
        start = now - timedelta(days=28 - day)
        for half_hour in range(48):
            mean = 20 * daily_shape(half_hour / 2)
            for _ in range(_poisson(rng, mean)):
                history.append(start + timedelta(minutes=30 * half_hour + 30 * rng.random()))
    forecast = forecast_arrivals(escalation_times=history, weeks=4, now=now)
    return [forecast[(now.weekday(), half_hour)] for half_hour in range(48)]


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean and count < 10_000:
        count += 1
        total += rng.expovariate(1.0)
    return count


def arrivals(*, forecast: list[float], day: float, total: int, seed: int) -> list[float]:
    """Arrival offsets in wall seconds: Poisson, each half hour at its forecast's rate."""
    rng = random.Random(seed)
    scale = total / sum(forecast)
    slot = day / len(forecast)
    times = []
    for index, mean in enumerate(forecast):
        rate = mean * scale / slot
        at = index * slot
        for _ in range(100_000):
            at += rng.expovariate(rate) if rate > 0 else slot
            if at >= (index + 1) * slot:
                break
            times.append(at)
    return times


# --- Customers -------------------------------------------------------------------------------


def _create_conversation(host: str, port: int, source: str, name: str) -> str:
    connection = http.client.HTTPConnection(host, port, timeout=15, source_address=(source, 0))
    try:
        body = json.dumps({"name": name})
        connection.request(
            "POST", "/api/v1/conversations/", body, {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        data = response.read()
        if response.status != 201:
            raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
        return json.loads(data)["token"]
    finally:
        connection.close()


async def customers(
    *,
    base: str,
    schedule: list[dict[str, Any]],
    seed: int,
    ready,
    go,
    limit: float,
) -> dict[str, Any]:
    rng = random.Random(seed)
    host, port = base.removeprefix("http://").split(":")
    ws_base = base.replace("http://", "ws://")
    errors: Counter[str] = Counter()
    first_reply: list[float] = []
    outcome: Counter[str] = Counter()
    ready.put(1)
    await wait_event(go, 300)
    started = time.monotonic()
    deadline = started + limit

    async def customer(plan: dict[str, Any]) -> None:
        await asyncio.sleep(max(0.0, started + plan["at"] - time.monotonic()))
        errors_seen: list[str] = []

        def watch(frame: dict[str, Any]) -> bool:
            if frame["type"] == "error":
                errors_seen.append(frame.get("code", "?"))
            return False

        ws = None
        try:
            token = await asyncio.to_thread(
                _create_conversation, host, int(port), plan["source"], plan["name"]
            )
            ws = await open_socket(f"{ws_base}/ws/chat/{token}/", origin=base)
            status = await receive_until(ws, lambda f: f["type"] == "status", timeout=STEP_TIMEOUT)
            escalated = status["status"] != "bot"
            for turn in range(plan["bot_turns"]):
                if escalated:
                    break
                await asyncio.sleep(rng.uniform(0.5, 2.0))
                await send(
                    ws,
                    {"type": "message", "client_id": uuid.uuid4().hex, "body": QUESTIONS[turn]},
                )
                frame = await receive_until(
                    ws,
                    lambda f: (
                        watch(f)
                        or (f["type"] == "message" and f["sender"] == "bot")
                        or (f["type"] == "status" and f["status"] != "bot")
                    ),
                    timeout=STEP_TIMEOUT,
                )
                escalated = frame["type"] == "status"
            if not plan["wants_person"] and not escalated:
                outcome["left after the assistant"] += 1
                return
            asked = time.monotonic()
            if not escalated:
                await send(ws, {"type": "request_human"})
            outcome["asked for a person"] += 1
            heard_agent = False
            for _ in range(10_000):  # answer the agent until resolved
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    outcome["still waiting at the end"] += 1
                    return
                frame = await receive_until(
                    ws,
                    lambda f: (
                        watch(f)
                        or (f["type"] == "message" and f["sender"] == "agent")
                        or (f["type"] == "status" and f["status"] in ("resolved", "abandoned"))
                    ),
                    timeout=remaining,
                )
                if frame["type"] == "status":
                    break
                if not heard_agent:
                    heard_agent = True
                    first_reply.append(time.monotonic() - asked)
                await asyncio.sleep(rng.uniform(0.3, 1.5))
                await send(
                    ws, {"type": "message", "client_id": uuid.uuid4().hex, "body": "Thanks, ok."}
                )
            await send(ws, {"type": "rate", "score": rng.choice([4, 5, 5]), "comment": ""})
            await receive_until(
                ws, lambda f: watch(f) or f["type"] == "rate.ok", timeout=STEP_TIMEOUT
            )
            outcome["resolved and rated"] += 1
        except TimeoutError:
            errors["customer timeout"] += 1
        except Exception as error:
            errors[f"customer {type(error).__name__}"] += 1
        finally:
            errors.update(f"error frame {code}" for code in errors_seen)
            if ws is not None:
                await close_all([ws])

    await asyncio.gather(*(customer(plan) for plan in schedule))
    return {"errors": dict(errors), "first_reply": first_reply, "outcome": dict(outcome)}


# --- Agents ----------------------------------------------------------------------------------


async def agents(
    *,
    ws_base: str,
    origin: str,
    cookies: list[str],
    capacity: int,
    seed: int,
    ready,
    go,
    stop,
    limit: float,
) -> dict[str, Any]:
    rng = random.Random(seed)
    sockets = await open_agents(ws_base, origin, cookies)
    ready.put(len(sockets))
    await wait_event(go, 300)
    stopped = asyncio.Event()

    async def watch_stop() -> None:
        await wait_event(stop, limit)
        stopped.set()

    watcher = asyncio.create_task(watch_stop())
    deadline = time.monotonic() + limit
    errors: Counter[str] = Counter()
    done: Counter[str] = Counter()

    async def agent(ws) -> None:
        pace = RateLimit(8)
        candidates: dict[int, None] = {}
        taken: set[int] = set()
        inboxes: dict[int, asyncio.Queue] = {}
        chats: set[asyncio.Task] = set()
        claiming: list[int] = []

        async def frame_out(frame: dict[str, Any]) -> None:
            await pace.wait()
            await send(ws, frame)

        async def chat(ticket: int) -> None:
            inbox = inboxes[ticket]
            try:
                await asyncio.sleep(rng.uniform(0.5, 2.0))  # reads the summary, types
                for n in range(rng.randint(2, 4)):
                    await frame_out(
                        {
                            "type": "message",
                            "ticket": ticket,
                            "client_id": uuid.uuid4().hex,
                            "body": f"Agent reply {n}: let me help with that.",
                        }
                    )
                    await asyncio.wait_for(inbox.get(), STEP_TIMEOUT)  # the customer answers
                    await asyncio.sleep(rng.uniform(0.3, 1.5))
                await frame_out({"type": "resolve", "ticket": ticket})
                done["resolved"] += 1
            except TimeoutError:
                done["customer went quiet, resolved anyway"] += 1  # left, not an error
                await frame_out({"type": "resolve", "ticket": ticket})
            finally:
                inboxes.pop(ticket, None)

        async def claim_soon(ticket: int) -> None:
            await asyncio.sleep(rng.uniform(0.2, 1.0))  # a person clicks
            await frame_out({"type": "claim", "ticket": ticket})

        for _ in range(10_000_000):
            if stopped.is_set() or time.monotonic() > deadline:
                break
            if not claiming and len(inboxes) < capacity and candidates:
                ticket = next(iter(candidates))  # the oldest first, as the portal lists them
                claiming.append(ticket)
                chats.add(asyncio.create_task(claim_soon(ticket)))
            try:
                frame = await receive(ws, 0.5)
            except TimeoutError:
                continue
            except Exception:
                errors["agent socket closed"] += 1
                break
            kind = frame["type"]
            if kind == "ticket.new" and frame["ticket"]["id"] not in taken:
                candidates[frame["ticket"]["id"]] = None
            elif kind == "queue":
                candidates = {t["id"]: None for t in frame["tickets"] if t["id"] not in taken}
            elif kind == "ticket.taken":
                taken.add(frame["ticket"])
                candidates.pop(frame["ticket"], None)
            elif kind in ("claim.ok", "claim.failed"):
                ticket = frame["ticket"]["id"] if kind == "claim.ok" else frame["ticket"]
                claiming.clear()
                candidates.pop(ticket, None)
                taken.add(ticket)
                done[kind] += 1
                if kind == "claim.ok":
                    inboxes[ticket] = asyncio.Queue()
                    chats.add(asyncio.create_task(chat(ticket)))
            elif kind == "message" and frame.get("sender") == "customer":
                if frame["ticket"] in inboxes:
                    inboxes[frame["ticket"]].put_nowait(frame)
            elif kind == "error":
                errors[f"error frame {frame.get('code', '?')}"] += 1
                claiming.clear()
            chats = {task for task in chats if not task.done()}
        for task in chats:
            task.cancel()

    await asyncio.gather(*(agent(ws) for ws in sockets))
    watcher.cancel()
    await close_all(sockets)
    return {"errors": dict(errors), "done": dict(done)}


# --- The run ---------------------------------------------------------------------------------


def run(profile: Profile, *, quick: bool) -> Part:
    from bench import seed as seeding
    from tickets.models import Ticket
    from workforce.staffing import agents_required

    day, total = (40.0, 80) if quick else (300.0, 1000)
    capacity = 3
    forecast = forecast_today(seed=5)
    offsets = arrivals(forecast=forecast, day=day, total=total, seed=6)
    rng = random.Random(7)
    plans = [
        {
            "at": at,
            "name": f"Customer {i}",
            "source": f"127.0.{1 + i // 250 % 250}.{2 + i % 250}",
            "bot_turns": rng.randint(1, 2),
            "wants_person": rng.random() < 0.75,
        }
        for i, at in enumerate(offsets)
    ]
    peak_per_slot = max(forecast) * total / sum(forecast)
    # Claim → resolve of the simulated agents, as measured on the server (resolved_at −
    # claimed_at averaged 10.1 s over a full run). Staffing from a lower guess (8 s) left the
    # peak under-staffed by design, which measured the guess, not the product.
    handle_seconds = 10.0
    staff = max(
        3,
        agents_required(
            arrivals_per_interval=peak_per_slot * 0.75,
            interval_seconds=round(day / 48) or 1,
            handle_time_seconds=handle_seconds,
            target_share=0.8,
            target_seconds=60,
            concurrency=capacity,
            max_occupancy=0.85,
        ),
    )
    layer = profile.default_layer
    part = Part(
        key="load",
        title="Load simulator: a compressed day through the public protocol",
        columns=[
            "layer",
            "day in",
            "customers",
            "escalations",
            "agents",
            "claimed ≤ 60 s",
            "first human reply p50",
            "p99",
            "resolved",
            "errors",
        ],
    )
    seeding.reset()
    seeded = seeding.agents(count=staff, prefix="load", capacity=capacity)
    limit = day + 90
    context = ClientGroup.context
    ready, go, stop = context.Queue(), context.Event(), context.Event()
    with running_stack(profile, layer) as stack:
        part.stacks.add(stack.description)
        customer_shares = split(plans, client_processes())
        groups = [
            ClientGroup(
                "bench.load:agents",
                [
                    {
                        "ws_base": stack.ws_base,
                        "origin": stack.base,
                        "cookies": [a.cookie for a in seeded],
                        "capacity": capacity,
                        "seed": 11,
                        "ready": ready,
                        "go": go,
                        "stop": stop,
                        "limit": limit,
                    }
                ],
                timeout=limit + 120,
            ),
            ClientGroup(
                "bench.load:customers",
                [
                    {
                        "base": stack.base,
                        "schedule": share,
                        "seed": 20 + i,
                        "ready": ready,
                        "go": go,
                        "limit": limit,
                    }
                    for i, share in enumerate(customer_shares)
                ],
                timeout=limit + 120,
            ),
        ]
        for group in groups:
            group.start()
        for _ in range(1 + len(customer_shares)):
            ready.get(timeout=300)
        go.set()
        customer_results = groups[1].collect()
        stop.set()
        agent_results = groups[0].collect()
    raise_client_errors(customer_results + agent_results)

    rows = list(
        Ticket.objects.filter(escalated_at__isnull=False).values_list(
            "escalated_at", "claimed_at", "status"
        )
    )
    # claimed_at is cleared on a release; a resolved ticket was claimed, its event says when.
    within = sum(1 for e, c, _ in rows if c is not None and (c - e).total_seconds() <= 60)
    resolved = sum(1 for *_, status in rows if status == Ticket.Status.RESOLVED)
    errors: Counter[str] = Counter()
    outcome: Counter[str] = Counter()
    first_reply: list[float] = []
    for result in customer_results:
        errors.update(result["errors"])
        outcome.update(result["outcome"])
        first_reply += result["first_reply"]
    done: Counter[str] = Counter()
    for result in agent_results:
        errors.update(result["errors"])
        done.update(result["done"])
    share = within / len(rows) if rows else float("nan")
    part.rows.append(
        [
            layer,
            f"{day:.0f} s",
            str(len(plans)),
            str(len(rows)),
            f"{staff} × {capacity}",
            fmt_pct(share),
            fmt_ms(percentile(first_reply, 0.5)),
            fmt_ms(percentile(first_reply, 0.99)),
            str(resolved),
            str(sum(errors.values())),
        ]
    )
    part.notes.append(
        f"{total} customers over a 24 h forecast replayed in {day:.0f} s; 75 % ask for a person "
        f"after 1–2 questions to the assistant. Staffed by agents_required for the peak half "
        f"hour (80 % within 60 s, occupancy ≤ 85 %, {capacity} chats each). "
        f"Customers: {dict(outcome)}. Agents: {dict(done)}. Errors: {dict(errors) or 'none'}."
    )
    if errors:
        part.misses.append(f"load: {sum(errors.values())} errors ({dict(errors)})")
    part.data = {"errors": dict(errors), "outcome": dict(outcome), "agents": dict(done)}
    return part
