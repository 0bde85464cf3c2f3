"""Reads of the quality loop that pages reuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from agents.models import Agent
from quality.models import AgentQualityScore
from quality.scoring import COMPONENTS, TIER_MEANING, quality_thresholds

# How many days of scores a card carries for the chart of the last month.
HISTORY_DAYS = 30


@dataclass(frozen=True)
class ScoreComponent:
    label: str
    explanation: str
    weight: int  # out of the table's 100
    pct: int | None  # the measure, as recorded; None when there was nothing to measure
    points: int | None  # what it counts for in the score (100 − the rate for reopens)
    share_pct: int | None  # its weight renormalised over the components measured that day


@dataclass(frozen=True)
class ScoreDay:
    day: date
    score: int | None
    tier: str


@dataclass(frozen=True)
class ScoreCard:
    """An agent's latest quality score with its components and their weights, the tier it is
    in and what the tier means, and the score's days of the last month (newest first)."""

    agent_id: int
    tier: str
    tier_label: str
    tier_meaning: str
    score: int | None
    day: date | None  # the latest computation's; None before the first
    tickets_resolved: int
    components: list[ScoreComponent]
    history: list[ScoreDay]
    expert_from: int
    min_tickets: int
    probation_tickets: int


def agent_score_card(agent_id: int) -> ScoreCard:
    """The agent's score card: three queries (the agent, its latest days, the thresholds).
    The tier is the agent's own, which staff may have changed since the last computation."""
    agent = Agent.objects.only("id", "quality_tier", "quality_score").get(pk=agent_id)
    days = list(AgentQualityScore.objects.filter(agent_id=agent_id).order_by("-day")[:HISTORY_DAYS])
    latest = days[0] if days else None
    thresholds = quality_thresholds()
    measured_weight = sum(
        component.weight
        for component in COMPONENTS
        if latest is not None and getattr(latest, component.field) is not None
    )
    components = []
    for component in COMPONENTS:
        pct = getattr(latest, component.field) if latest is not None else None
        components.append(
            ScoreComponent(
                label=component.label,
                explanation=component.explanation,
                weight=component.weight,
                pct=pct,
                points=component.points(pct) if pct is not None else None,
                share_pct=(
                    (200 * component.weight + measured_weight) // (2 * measured_weight)
                    if pct is not None
                    else None
                ),
            )
        )
    tier = Agent.QualityTier(agent.quality_tier)
    return ScoreCard(
        agent_id=agent.pk,
        tier=tier.value,
        tier_label=tier.label,
        tier_meaning=TIER_MEANING[tier],
        score=latest.score if latest is not None else None,
        day=latest.day if latest is not None else None,
        tickets_resolved=latest.tickets_resolved if latest is not None else 0,
        components=components,
        history=[ScoreDay(day=row.day, score=row.score, tier=row.tier) for row in days],
        expert_from=thresholds.expert_from,
        min_tickets=thresholds.min_tickets,
        probation_tickets=settings.PROBATION_TICKETS,
    )
