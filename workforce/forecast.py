"""Demand: escalations per half hour from ticket history, and the agents Erlang C says they need.

``week_demand_plan`` writes one ``HalfHourDemand`` row per half hour of the week for every
language and skill seen in the history; ``agents.shifts.shift_slots_plan`` turns them into
shift slots. The arithmetic lives in ``agents.staffing`` (pure, tested against published
Erlang C tables); this module only feeds it from the database.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Avg
from django.utils import timezone

from agents.models import Agent
from tickets.models import Ticket
from workforce import concurrency, selectors, staffing
from workforce.models import HalfHourDemand


def ticket_skill(required_skills: list[str] | None) -> str:
    """The skill a ticket is staffed under: its first required skill, else ``general``."""
    return (required_skills or ["general"])[0]


def forecast_concurrency() -> int:
    """Chats an agent holds at once, on average over active agents (at least 1)."""
    mean = Agent.objects.filter(status=Agent.Status.ACTIVE).aggregate(c=Avg("capacity"))["c"]
    if mean is None:
        return max(1, settings.AGENT_DEFAULT_CAPACITY)
    return max(1, math.floor(mean))


def week_demand_plan(*, week_start: datetime, now: datetime | None = None) -> list[HalfHourDemand]:
    """Forecast the week and store its staffing; replaces the week's rows. Idempotent.

    Arrivals: the mean escalations of each (weekday, half hour) over the last
    ``SHIFT_FORECAST_WEEKS`` weeks, or fewer when history is shorter, so a young installation
    is not under-staffed by dividing one week of tickets by four. Handle time: the mean
    claim-to-resolve time of the resolved tickets in that window. Erlang C's servers become
    agents at the mean concurrency and its measured (or default) per-chat efficiency.
    """
    now = now or timezone.now()
    since = now - timedelta(weeks=settings.SHIFT_FORECAST_WEEKS)
    history = list(
        Ticket.objects.filter(escalated_at__gte=since, escalated_at__lt=now).values_list(
            "language", "required_skills", "escalated_at"
        )
    )
    durations = [
        (resolved - claimed).total_seconds()
        for claimed, resolved in Ticket.objects.filter(
            status=Ticket.Status.RESOLVED,
            escalated_at__gte=since,
            claimed_at__isnull=False,
            resolved_at__isnull=False,
        ).values_list("claimed_at", "resolved_at")
    ]
    handle_time = staffing.average_handle_time(durations_seconds=durations)
    chats_per_agent = forecast_concurrency()
    efficiency = concurrency.efficiency_at(
        concurrency=chats_per_agent, table=selectors.chat_efficiency(now=now)
    )

    by_kind: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for language, skills, escalated_at in history:
        by_kind[(language, ticket_skill(skills))].append(escalated_at)
    oldest = min((moment for _, _, moment in history), default=now)
    history_weeks = math.ceil((now - oldest) / timedelta(weeks=1))
    weeks = min(settings.SHIFT_FORECAST_WEEKS, max(1, history_weeks))

    rows: list[HalfHourDemand] = []
    for (language, skill), moments in sorted(by_kind.items()):
        arrivals = staffing.forecast_arrivals(escalation_times=moments, weeks=weeks, now=now)
        for half_hour in range(7 * staffing.SLOTS_PER_DAY):
            starts_at = week_start + timedelta(minutes=staffing.SLOT_MINUTES * half_hour)
            mean = arrivals[(starts_at.weekday(), half_hour % staffing.SLOTS_PER_DAY)]
            rows.append(
                HalfHourDemand(
                    starts_at=starts_at,
                    language=language,
                    skill=skill,
                    arrivals=mean,
                    handle_time_seconds=round(handle_time),
                    concurrency=chats_per_agent,
                    # An agent holding c chats is worth c × efficiency(c) one-chat servers.
                    agents_required=concurrency.agents_for_servers(
                        servers=staffing.agents_required(
                            arrivals_per_interval=mean,
                            interval_seconds=staffing.SLOT_MINUTES * 60,
                            handle_time_seconds=handle_time,
                            target_share=settings.SHIFT_TARGET_SHARE_PCT / 100,
                            target_seconds=settings.SHIFT_TARGET_WAIT_SECONDS,
                        ),
                        concurrency=chats_per_agent,
                        efficiency=efficiency,
                    ),
                    computed_at=now,
                )
            )
    with transaction.atomic():
        HalfHourDemand.objects.filter(
            starts_at__gte=week_start, starts_at__lt=week_start + timedelta(days=7)
        ).delete()
        HalfHourDemand.objects.bulk_create(rows)
    return rows
