"""The dispatcher's ranking (docs/dispatch.md): which queued ticket is offered first, and to
which of the free agents.

Pure: no database, no clock but the ``now`` passed in, so that it is tested on tables of
cases (tests/tickets/test_dispatch_ranking.py) and the dispatcher (tickets.dispatch) is only
the part that reads rows and writes offers.

Tickets go in queue order: priority first (urgent, then high, which every VIP escalation is
at least), then the longest wait, then the id. It is the order customers are told their
place in (tickets.selectors.queue_positions), so a place never lies about who goes first.

Agents, among those eligible (online, available rather than away, allowed to work, speaking
the ticket's language, with every skill it needs, and a free chat slot), in this order:

1. fewest open chats: a free agent before a busy one, so load spreads;
2. longest since its last offer or assignment (fairness), in steps of
   ``FAIRNESS_STEP_SECONDS``; never offered nor assigned counts as the longest;
3. higher quality score (quality.scoring, daily), then higher acceptance rate, then higher
   rating: tie-breakers, used where they exist (an agent with a record goes before one
   without);
4. the agent's id, so that the order is total and a round is repeatable.

A VIP or urgent ticket is not offered to an agent on probation while an eligible standard or
expert agent is free; with none free, the agent on probation is offered it rather than leave
the customer waiting. The tier is a preference among those who may take the ticket, never a
permission: who may take it is ``can_take``'s rule alone.

A reopened ticket (docs/quality.md) goes first to the agent who resolved it, when that agent
is eligible (and, for a VIP or urgent ticket, not held back by the rule above): the customer
picks up where they left off. Otherwise the order above.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Idle times are compared in steps this long, so that agents who have waited about as long
# are told apart by their acceptance rate and rating rather than by milliseconds. Short
# beside the offer timeout (15 s): fairness still decides between anyone a whole step apart.
FAIRNESS_STEP_SECONDS = 5

# agents.models.Agent.QualityTier.PROBATION, spelt out to keep the ranking free of models.
PROBATION_TIER = "probation"
# Ticket.Priority.URGENT: with VIP, what goes to standard and expert agents first.
URGENT_PRIORITY = 4


class RoutableTicket(Protocol):
    """What the ranking reads of a ticket (a tickets.models.Ticket is one)."""

    pk: int | None
    language: str
    required_skills: list[str]
    priority: int
    is_vip: bool
    escalated_at: datetime | None
    # Offered first to this agent when eligible: a reopened ticket's last resolver.
    preferred_agent_id: int | None


@dataclass(frozen=True)
class Candidate:
    """An agent as the ranking sees it: what the dispatcher read of it this round."""

    agent_id: int
    languages: frozenset[str]
    skills: frozenset[str]
    capacity: int
    open_chats: int
    last_offered_at: datetime | None = None
    last_assigned_at: datetime | None = None
    # Accepted / (accepted + declined + expired) over recent offers; None without any.
    acceptance_rate: float | None = None
    # Average customer rating (1–5) of recent resolved tickets; None without any.
    rating: float | None = None
    # The agent's quality tier and score (0–100, None until scored), as the dispatcher read
    # them with the agent's row.
    quality_tier: str = "standard"
    quality_score: int | None = None
    online: bool = True
    available: bool = True
    may_work: bool = True


def can_take(
    *,
    language: str,
    required_skills: Iterable[str],
    languages: Collection[str],
    skills: Collection[str],
) -> bool:
    """The one rule of who may take which ticket, whatever asks (a claim, an offer, the
    wait a customer is told, the operators' alert): an agent who speaks the ticket's language
    and has every skill it needs. Presence, availability and capacity are the callers'."""
    return language in languages and set(required_skills) <= set(skills)


def is_eligible(ticket: RoutableTicket, candidate: Candidate) -> bool:
    return (
        candidate.online
        and candidate.available
        and candidate.may_work
        and candidate.open_chats < candidate.capacity
        and can_take(
            language=ticket.language,
            required_skills=ticket.required_skills,
            languages=candidate.languages,
            skills=candidate.skills,
        )
    )


def needs_seasoned_agent(ticket: RoutableTicket) -> bool:
    """A VIP or urgent ticket: offered to agents on probation only when nobody else is free."""
    return ticket.is_vip or ticket.priority >= URGENT_PRIORITY


def idle_steps(candidate: Candidate, now: datetime) -> float:
    """Whole fairness steps since the agent's last offer or assignment; infinite if never."""
    stamps = [t for t in (candidate.last_offered_at, candidate.last_assigned_at) if t]
    if not stamps:
        return math.inf
    idle = max(0.0, (now - max(stamps)).total_seconds())
    return float(math.floor(idle / FAIRNESS_STEP_SECONDS))


def _best_first(value: float | None) -> tuple[bool, float]:
    # Higher first; None (no record) after every value.
    return (value is None, -(value or 0.0))


def agent_rank_key(candidate: Candidate, now: datetime) -> tuple:
    return (
        candidate.open_chats,
        -idle_steps(candidate, now),
        _best_first(candidate.quality_score),
        _best_first(candidate.acceptance_rate),
        _best_first(candidate.rating),
        candidate.agent_id,
    )


def rank_agents(
    ticket: RoutableTicket, candidates: Iterable[Candidate], now: datetime
) -> list[Candidate]:
    """The agents who may be offered ``ticket``, best first; the ineligible are left out."""
    eligible = [candidate for candidate in candidates if is_eligible(ticket, candidate)]
    if needs_seasoned_agent(ticket):
        seasoned = [c for c in eligible if c.quality_tier != PROBATION_TIER]
        eligible = seasoned or eligible
    ranked = sorted(eligible, key=lambda candidate: agent_rank_key(candidate, now))
    preferred = ticket.preferred_agent_id
    if preferred is not None:
        # Stable: the preferred agent moves to the front, the rest keep their order.
        ranked.sort(key=lambda candidate: candidate.agent_id != preferred)
    return ranked


def ticket_rank_key(ticket: RoutableTicket) -> tuple:
    # escalated_at is set on every queued ticket; a missing one would go last, not crash.
    waiting_since = ticket.escalated_at
    return (
        -ticket.priority,
        waiting_since is None,
        waiting_since.timestamp() if waiting_since else 0.0,
        ticket.pk or 0,
    )


def rank_tickets(tickets: Sequence[RoutableTicket]) -> list[RoutableTicket]:
    """Queued tickets in the order they are offered: priority, then waiting time."""
    return sorted(tickets, key=ticket_rank_key)
