"""Reads of shifts: an agent's shifts page, and the admin's week of demand against staff."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce

from agents.models import Agent
from tickets.dispatch_ranking import can_take
from workforce.models import HalfHourDemand, ShiftAssignment, ShiftSlot
from workforce.shifts import COMMITTED_STATES, HOLDING_STATES, St


def agent_upcoming_shifts(*, agent: Agent, now: datetime) -> list[ShiftAssignment]:
    return list(
        ShiftAssignment.objects.select_related("slot")
        .filter(agent=agent, state__in=COMMITTED_STATES, slot__ends_at__gt=now)
        .order_by("slot__starts_at")
    )


# How far ahead a customer's wait looks for the next shift of someone who can help, and how
# many committed shifts it reads to find one: beyond a day, "we don't know yet" is as honest.
NEXT_SHIFT_HORIZON = timedelta(hours=24)
NEXT_SHIFT_SCAN = 200


def next_shift_start_for(*, language: str, skills: Iterable[str], now: datetime) -> datetime | None:
    """When the earliest committed shift (accepted or booked) of an active agent who can take
    a ticket of ``language`` needing ``skills`` starts, within NEXT_SHIFT_HORIZON; None if
    there is none. One query; who can take it is the dispatcher's rule (``can_take``). A
    shift already running whose agent is not online yet counts as not expected."""
    rows = (
        ShiftAssignment.objects.filter(
            state__in=COMMITTED_STATES,
            slot__starts_at__gt=now,
            slot__starts_at__lte=now + NEXT_SHIFT_HORIZON,
            agent__status=Agent.Status.ACTIVE,
        )
        .order_by("slot__starts_at")
        .values_list("slot__starts_at", "agent__languages", "agent__skills")[:NEXT_SHIFT_SCAN]
    )
    needs = list(skills)
    for starts_at, languages, agent_skills in rows:
        if can_take(
            language=language, required_skills=needs, languages=languages, skills=agent_skills
        ):
            return starts_at
    return None


def agent_open_offers(*, agent: Agent, now: datetime) -> list[ShiftAssignment]:
    return list(
        ShiftAssignment.objects.select_related("slot")
        .filter(agent=agent, state=St.OFFERED, offer_expires_at__gt=now)
        .order_by("offer_expires_at")
    )


def open_slots_for(*, agent: Agent, now: datetime, days: int = 14) -> list[ShiftSlot]:
    """Slots of the agent's languages and skills starting in the next ``days`` with a free
    seat, that the agent holds no seat of. ``free`` is annotated on each."""
    return list(
        ShiftSlot.objects.filter(
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=days),
            language__in=agent.languages,
            skill__in=agent.skills,
        )
        .exclude(assignments__agent=agent, assignments__state__in=HOLDING_STATES)
        .annotate(
            seats=Coalesce("headcount_override", "headcount_required"),
            taken=Count("assignments", filter=Q(assignments__state__in=HOLDING_STATES)),
        )
        .annotate(free=F("seats") - F("taken"))
        .filter(free__gt=0)
        .order_by("starts_at", "language", "skill")[:200]
    )


@dataclass(frozen=True)
class SlotStaffing:
    slot: ShiftSlot
    erlang_peak: int  # the busiest half hour's Erlang C requirement inside the slot
    headcount: int  # what matching aims for (the admin's override if set)
    committed: int  # accepted, booked or completed
    offered: int  # offers still open

    @property
    def short(self) -> int:
        return max(self.headcount - self.committed, 0)


@dataclass(frozen=True)
class HalfHourStaffing:
    starts_at: datetime
    required: int  # Erlang C, summed over languages and skills
    committed: int  # agents committed to a slot covering the half hour


@dataclass(frozen=True)
class WeekStaffing:
    slots: list[SlotStaffing]
    half_hours: list[HalfHourStaffing]


def week_staffing(*, week_start: datetime, days: int = 7) -> WeekStaffing:
    """Demand against staffed headcount for a week (or ``days`` from ``week_start``: the
    cockpit's today): per slot and per half hour (2 queries)."""
    week_end = week_start + timedelta(days=days)
    slots = list(
        ShiftSlot.objects.filter(starts_at__gte=week_start, starts_at__lt=week_end)
        .annotate(
            committed=Count(
                "assignments",
                filter=Q(assignments__state__in=(*COMMITTED_STATES, St.COMPLETED)),
            ),
            offered=Count("assignments", filter=Q(assignments__state=St.OFFERED)),
        )
        .order_by("starts_at", "language", "skill")
    )
    required: dict[datetime, int] = defaultdict(int)
    peak: dict[tuple[str, str, datetime], int] = {}
    for row in HalfHourDemand.objects.filter(starts_at__gte=week_start, starts_at__lt=week_end):
        required[row.starts_at] += row.agents_required
        peak[(row.language, row.skill, row.starts_at)] = row.agents_required
    half_hour = timedelta(minutes=30)
    committed: dict[datetime, int] = defaultdict(int)
    rows = []
    for slot in slots:
        moments = []
        moment = slot.starts_at
        while moment < slot.ends_at:
            moments.append(moment)
            committed[moment] += slot.committed
            moment += half_hour
        rows.append(
            SlotStaffing(
                slot=slot,
                erlang_peak=max(peak.get((slot.language, slot.skill, m), 0) for m in moments),
                headcount=slot.headcount,
                committed=slot.committed,
                offered=slot.offered,
            )
        )
    return WeekStaffing(
        slots=rows,
        half_hours=[
            HalfHourStaffing(
                starts_at=week_start + k * half_hour,
                required=required[week_start + k * half_hour],
                committed=committed[week_start + k * half_hour],
            )
            for k in range(days * 48)
        ],
    )
