"""Reads of shifts: an agent's shifts page, the admin's week of demand against staff, and
the measured inputs of staffing (customers' patience, chat efficiency)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from agents.models import Agent
from tickets.dispatch_ranking import can_take
from tickets.models import Ticket
from workforce import concurrency, staffing_models
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
    arrivals: float  # forecast escalations, summed over languages and skills
    required: int  # Erlang C as planned, summed over languages and skills
    erlang_a: int  # Erlang A with customers' patience, at the same concurrency
    committed: int  # agents committed to a slot covering the half hour


@dataclass(frozen=True)
class WeekStaffing:
    slots: list[SlotStaffing]
    half_hours: list[HalfHourStaffing]
    patience: Patience
    efficiency: dict[int, float]


def week_staffing(
    *,
    week_start: datetime,
    days: int = 7,
    now: datetime | None = None,
    with_erlang_a: bool = True,
) -> WeekStaffing:
    """Demand against staffed headcount for a week (or ``days`` from ``week_start``: the
    cockpit's today): per slot and per half hour, with the forecast and the agents Erlang A
    would ask for next to the Erlang C plan (5 queries: slots, demand, committed seats,
    patience, efficiency). Without Erlang A (the cockpit, polled every 2 s), 2 queries: the
    patience and efficiency measures read 28 days of tickets."""
    week_end = week_start + timedelta(days=days)
    now = now or timezone.now()
    if with_erlang_a:
        patience = customer_patience(now=now)
        efficiency = chat_efficiency(now=now)
    else:
        patience = Patience(float(settings.SHIFT_DEFAULT_PATIENCE_SECONDS), 0, False)
        efficiency = {}
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
    arrivals: dict[datetime, float] = defaultdict(float)
    erlang_a: dict[datetime, int] = defaultdict(int)
    peak: dict[tuple[str, str, datetime], int] = {}
    for row in HalfHourDemand.objects.filter(starts_at__gte=week_start, starts_at__lt=week_end):
        required[row.starts_at] += row.agents_required
        arrivals[row.starts_at] += row.arrivals
        peak[(row.language, row.skill, row.starts_at)] = row.agents_required
        if with_erlang_a and row.arrivals > 0:
            erlang_a[row.starts_at] += staffing_models.erlang_a_agents(
                arrivals_per_interval=row.arrivals,
                interval_seconds=30 * 60,
                handle_time_seconds=row.handle_time_seconds,
                target_share=settings.SHIFT_TARGET_SHARE_PCT / 100,
                target_seconds=settings.SHIFT_TARGET_WAIT_SECONDS,
                patience_seconds=patience.mean_seconds,
                chats_per_agent=row.concurrency,
                efficiency=concurrency.efficiency_at(concurrency=row.concurrency, table=efficiency),
            )
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
                arrivals=arrivals[week_start + k * half_hour],
                required=required[week_start + k * half_hour],
                erlang_a=erlang_a[week_start + k * half_hour],
                committed=committed[week_start + k * half_hour],
            )
            for k in range(days * 48)
        ],
        patience=patience,
        efficiency=efficiency,
    )


@dataclass(frozen=True)
class Patience:
    mean_seconds: float  # customers' mean patience, measured or the default
    abandonments: int  # abandonments in the window the measure is from
    measured: bool  # False: too few abandonments, the default stands in


def _seconds(duration) -> float:
    return duration.total_seconds() if duration is not None else 0.0


def customer_patience(*, now: datetime) -> Patience:
    """Customers' mean patience in the queue over SHIFT_PATIENCE_WINDOW_DAYS (one query).

    The maximum-likelihood estimate for exponential patience with censoring: the rate is
    abandonments ÷ total time all customers spent waiting, where an answered customer
    contributes its wait (claimed − escalated; its patience was at least that) and one who
    left its time to leave. A customer leaves when its last sign of life stops
    (``last_customer_activity_at``), not when the sweep notices TICKET_ABANDON_AFTER_SECONDS
    later (``abandoned_at``), so the former is used, bounded by escalation and the latter.
    Customers still waiting now are left out (their wait is not over), a small bias
    towards shorter patience.
    """
    since = now - timedelta(days=settings.SHIFT_PATIENCE_WINDOW_DAYS)
    duration = DurationField()
    # A reopened ticket keeps its first escalation time and its last claim, so its wait is
    # unknown: left out, like tickets awaiting an email reply (those customers chose not to
    # wait).
    window = Q(
        escalated_at__gte=since,
        escalated_at__lt=now,
        reply_email_requested_at__isnull=True,
        reopen_count=0,
    )
    left = Q(status=Ticket.Status.ABANDONED, claimed_at__isnull=True, abandoned_at__isnull=False)
    answered = Q(claimed_at__isnull=False)
    row = Ticket.objects.filter(window).aggregate(
        abandonments=Count("pk", filter=left),
        waited_answered=Sum(
            ExpressionWrapper(F("claimed_at") - F("escalated_at"), output_field=duration),
            filter=answered,
        ),
        waited_left=Sum(
            ExpressionWrapper(
                Least(
                    Greatest(F("last_customer_activity_at"), F("escalated_at")),
                    F("abandoned_at"),
                )
                - F("escalated_at"),
                output_field=duration,
            ),
            filter=left,
        ),
    )
    abandonments = row["abandonments"]
    waited = _seconds(row["waited_answered"]) + _seconds(row["waited_left"])
    if abandonments < settings.SHIFT_PATIENCE_MIN_ABANDONMENTS or waited <= 0:
        return Patience(float(settings.SHIFT_DEFAULT_PATIENCE_SECONDS), abandonments, False)
    return Patience(waited / abandonments, abandonments, True)


def chat_efficiency(*, now: datetime) -> dict[int, float]:
    """Per-chat efficiency by concurrency level, measured from the resolved tickets of the
    last SHIFT_PATIENCE_WINDOW_DAYS (one query; workforce.concurrency), the setting's
    default for levels with too few tickets."""
    since = now - timedelta(days=settings.SHIFT_PATIENCE_WINDOW_DAYS)
    handled = Ticket.objects.filter(
        status=Ticket.Status.RESOLVED,
        resolved_at__gte=since,
        resolved_at__lt=now,
        claimed_at__isnull=False,
        resolved_by__isnull=False,
    ).values_list("resolved_by_id", "claimed_at", "resolved_at")
    return concurrency.measured_efficiency(
        handled=handled.iterator(),
        default=settings.SHIFT_CHAT_EFFICIENCY,
        min_tickets=settings.SHIFT_EFFICIENCY_MIN_TICKETS,
    )
