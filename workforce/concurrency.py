"""Chat concurrency: an agent holding k chats is not k agents. Pure functions, no Django.

An agent with concurrency c handles c chats, each at ``efficiency(c)`` of the one-chat speed,
so it serves at c · efficiency(c) · μ: it is worth c · efficiency(c) Erlang servers, and a
requirement of N servers needs ceil(N / (c · efficiency(c))) agents.

Efficiency is measured from the product's own history when there is enough of it: for each
resolved ticket, the concurrency it was handled at is the time-weighted mean number of
claim-to-resolve intervals its agent had open during it (itself included), rounded;
efficiency(c) = mean handle time at 1 ÷ mean handle time at c. Claim-to-resolve is not
typing time (an agent may wait on a customer), rounding blurs neighbouring levels, and harder
tickets may be taken at quieter moments, so the measure is indicative; tickets reopened keep
only their last claim. A documented default
(settings.SHIFT_CHAT_EFFICIENCY) stands in for each level with too few tickets.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime


def agents_for_servers(*, servers: int, concurrency: int, efficiency: float) -> int:
    """Agents at ``concurrency`` chats each, at ``efficiency`` per-chat speed, worth
    ``servers`` one-chat servers."""
    if servers < 0:
        raise ValueError("servers must be ≥ 0")
    if concurrency < 1:
        raise ValueError("concurrency must be ≥ 1")
    if not 0 < efficiency <= 1:
        raise ValueError("efficiency must be in (0, 1]")
    # A hair of tolerance so that 6 servers at 3 × 2/3 is 3 agents, not 4 by rounding.
    return math.ceil(servers / (concurrency * efficiency) - 1e-9)


def efficiency_at(*, concurrency: int, table: Mapping[int, float]) -> float:
    """The table's efficiency at ``concurrency``; above its highest level, the highest's."""
    if concurrency < 1:
        raise ValueError("concurrency must be ≥ 1")
    known = [level for level in table if level <= concurrency]
    return table[max(known)] if known else 1.0


def _levels(intervals: list[tuple[float, float]]) -> list[tuple[int, float]]:
    """(concurrency, duration) of each of one agent's chats: the time-weighted mean number of
    chats it had open during that chat, itself included, rounded. O(m log m) for m chats:
    the open count is a step function whose running integral is read by binary search."""
    changes: dict[float, int] = defaultdict(int)
    for start, end in intervals:
        changes[start] += 1
        changes[end] -= 1
    moments = sorted(changes)
    integral = [0.0]  # ∫ open chats dt from the first moment to moments[i]
    open_now = 0
    for before, after in itertools.pairwise(moments):
        open_now += changes[before]
        integral.append(integral[-1] + open_now * (after - before))
    # Intervals start and end on moments, so the integral between them is a difference.
    index = {moment: i for i, moment in enumerate(moments)}
    return [
        (
            max(1, round((integral[index[end]] - integral[index[start]]) / (end - start))),
            end - start,
        )
        for start, end in intervals
    ]


def measured_efficiency(
    *,
    handled: Iterable[tuple[int, datetime, datetime]],
    default: Mapping[int, float],
    min_tickets: int,
) -> dict[int, float]:
    """Per-chat efficiency by concurrency level from (agent id, claimed, resolved) rows.

    Levels with at least ``min_tickets`` tickets (and level 1 with as many) are measured,
    clamped to (0, 1] (an agent is not faster per chat with more of them; a higher figure
    is noise or easier tickets picked up in busy moments); the rest keep ``default``.
    """
    by_agent: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for agent_id, claimed, resolved in handled:
        if resolved > claimed:
            by_agent[agent_id].append((claimed.timestamp(), resolved.timestamp()))
    durations: dict[int, list[float]] = defaultdict(list)
    for intervals in by_agent.values():
        for level, seconds in _levels(intervals):
            durations[level].append(seconds)
    result = dict(default)
    single = durations.get(1, [])
    if len(single) < min_tickets:
        return result
    single_mean = math.fsum(single) / len(single)
    for level, seconds in durations.items():
        if level > 1 and len(seconds) >= min_tickets:
            mean = math.fsum(seconds) / len(seconds)
            result[level] = min(1.0, single_mean / mean)
    result[1] = 1.0
    return result
