"""Reads about agents that pages share."""

from dataclasses import dataclass

from django.db.models import Avg, Count, Q

from agents.models import Agent
from tickets.models import Ticket


@dataclass(frozen=True)
class AgentPerformance:
    tickets_resolved: int
    ratings: int
    average_rating: float | None
    satisfied_share: float | None  # share of ratings of 4 or 5: customer satisfaction
    reliability_pct: int


def agent_performance(*, agent: Agent) -> AgentPerformance:
    """Everything the profile shows, in one aggregate query."""
    totals = Ticket.objects.filter(agent=agent, status=Ticket.Status.RESOLVED).aggregate(
        resolved=Count("id"),
        ratings=Count("rating"),
        average=Avg("rating"),
        satisfied=Count("id", filter=Q(rating__gte=4)),
    )
    ratings = totals["ratings"]
    return AgentPerformance(
        tickets_resolved=totals["resolved"],
        ratings=ratings,
        average_rating=round(totals["average"], 2) if totals["average"] is not None else None,
        satisfied_share=(totals["satisfied"] / ratings) if ratings else None,
        reliability_pct=agent.reliability_pct,
    )
