"""Shifts: slots planned from the forecast, offers from the matcher, bookings, no-shows.

Every write of a ``ShiftAssignment`` goes through this module, and every state change through
``_transition``, which checks ``ALLOWED_SHIFT_TRANSITIONS`` and writes the audit row.

Lock policy: an agent row before any slot row, slots in pk order. Booking locks the agent
(so two bookings of one agent cannot both pass the overlap and hour checks) and then the
slot (so two agents cannot both take its last seat); matching writes its offers under the
same locks, re-checking what the solver assumed, because the solver itself runs outside
any transaction on a snapshot that bookings may have changed meanwhile.

Side effects (offer emails, re-offers) are enqueued with ``transaction.on_commit``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from agents import matching
from agents.models import Agent, HalfHourDemand, ShiftAssignment, ShiftAssignmentEvent, ShiftSlot
from agents.models import User as UserModel

St = ShiftAssignment.State

ALLOWED_SHIFT_TRANSITIONS: dict[str, frozenset[str]] = {
    St.OFFERED: frozenset({St.ACCEPTED, St.DECLINED, St.EXPIRED}),
    St.ACCEPTED: frozenset({St.NO_SHOW, St.COMPLETED}),
    St.BOOKED: frozenset({St.NO_SHOW, St.COMPLETED}),
    # An agent may still book a slot whose offer it let go, if a seat is free.
    St.DECLINED: frozenset({St.BOOKED}),
    St.EXPIRED: frozenset({St.BOOKED}),
    St.NO_SHOW: frozenset(),
    St.COMPLETED: frozenset(),
}
# States that take a seat of the slot's headcount. A no-show gives the seat back.
HOLDING_STATES = (St.OFFERED, St.ACCEPTED, St.BOOKED, St.COMPLETED)
# States of a shift the agent has committed to work.
COMMITTED_STATES = (St.ACCEPTED, St.BOOKED)

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ShiftError(Exception):
    """A refused shift operation; the message is fit to show the agent."""


# --- Time ----------------------------------------------------------------------------------


def week_start_of(moment: datetime | date) -> datetime:
    """Monday 00:00 UTC of the week holding ``moment``."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(0), tzinfo=UTC)


def next_week_start(now: datetime) -> datetime:
    return week_start_of(now) + timedelta(days=7)


def parse_week(value: str) -> datetime:
    """``YYYY-MM-DD`` of a Monday → that Monday 00:00 UTC; anything else is refused."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a date like 2025-03-17.") from None
    if day.weekday() != 0:
        raise ValidationError(f"{value} is a {day:%A}; weeks start on a Monday.")
    return week_start_of(day)


def availability_windows(
    *, agent: Agent, week_start: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    """The agent's weekly availability (local times in its time zone) as UTC windows that
    fall in the week, touching windows merged so a shift across midnight fits in one."""
    try:
        zone = ZoneInfo(agent.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    week_end = week_start + timedelta(days=7)
    windows: list[tuple[datetime, datetime]] = []
    # Local days from the day before to the day after, for zones on either side of UTC.
    first_day = week_start.date() - timedelta(days=1)
    for offset in range(9):
        day = first_day + timedelta(days=offset)
        for start_text, end_text in (agent.weekly_availability or {}).get(
            WEEKDAY_KEYS[day.weekday()], []
        ):
            start = _local(day, start_text, zone)
            end = _local(day, end_text, zone)
            start, end = max(start, week_start), min(end, week_end)
            if start < end:
                windows.append((start, end))
    windows.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _local(day: date, text: str, zone: ZoneInfo) -> datetime:
    if text == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    hour, minute = (int(part) for part in text.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


# --- Planning: slots from the forecast -------------------------------------------------------


def shift_slots_plan(*, week_start: datetime) -> int:
    """Create or update the week's shift slots from its ``HalfHourDemand``; returns how many
    slots need agents.

    A slot is a block of ``SHIFT_BLOCK_HOURS`` on a UTC grid; its required headcount is the
    peak of its half hours, so the quietest half hours of a block are over-staffed rather
    than the busiest under-staffed. An admin's override is kept. Idempotent.
    """
    block = timedelta(hours=settings.SHIFT_BLOCK_HOURS)
    peaks: dict[tuple[datetime, str, str], int] = defaultdict(int)
    demand = HalfHourDemand.objects.filter(
        starts_at__gte=week_start, starts_at__lt=week_start + timedelta(days=7)
    )
    for row in demand:
        blocks_in = (row.starts_at - week_start) // block
        block_start = week_start + blocks_in * block
        key = (block_start, row.language, row.skill)
        peaks[key] = max(peaks[key], row.agents_required)
    with transaction.atomic():
        existing = {
            (slot.starts_at, slot.language, slot.skill): slot
            for slot in ShiftSlot.objects.select_for_update().filter(
                starts_at__gte=week_start, starts_at__lt=week_start + timedelta(days=7)
            )
        }
        for key, slot in existing.items():
            if key not in peaks and slot.headcount_required:
                slot.headcount_required = 0
                slot.save(update_fields=["headcount_required"])
        for (starts_at, language, skill), peak in sorted(peaks.items()):
            slot = existing.get((starts_at, language, skill))
            if slot is None:
                if peak:
                    ShiftSlot.objects.create(
                        starts_at=starts_at,
                        ends_at=starts_at + block,
                        language=language,
                        skill=skill,
                        headcount_required=peak,
                    )
            elif slot.headcount_required != peak:
                slot.headcount_required = peak
                slot.save(update_fields=["headcount_required"])
    return sum(1 for peak in peaks.values() if peak)


def shift_slot_override_set(*, slot_id: int, headcount: int | None, actor: UserModel) -> ShiftSlot:
    """An admin replaces (or, with None, stops replacing) a slot's computed headcount."""
    if headcount is not None and not 0 <= headcount <= 500:
        raise ValidationError("A headcount must be between 0 and 500.")
    with transaction.atomic():
        slot = ShiftSlot.objects.select_for_update().get(pk=slot_id)
        slot.headcount_override = headcount
        slot.save(update_fields=["headcount_override"])
    return slot


# --- Agent preferences -----------------------------------------------------------------------


@transaction.atomic
def agent_shift_preferences_update(
    *,
    agent_id: int,
    weekly_availability: dict[str, list[list[str]]],
    weekly_hour_cap: int,
    surge_opt_in: bool,
) -> Agent:
    """Store an agent's availability, weekly hour cap and surge opt-in, all or nothing."""
    from agents.onboarding import validate_weekly_availability

    errors: list[str] = []
    try:
        availability = validate_weekly_availability(weekly_availability)
    except ValidationError as error:
        errors.extend(error.messages)
    if not isinstance(weekly_hour_cap, int) or not 0 <= weekly_hour_cap <= 60:
        errors.append("Weekly hours must be a whole number from 0 to 60.")
    if errors:
        raise ValidationError(errors)
    agent = Agent.objects.select_for_update().get(pk=agent_id)
    agent.weekly_availability = availability
    agent.shift_weekly_hour_cap = weekly_hour_cap
    agent.surge_opt_in = bool(surge_opt_in)
    agent.save(
        update_fields=["weekly_availability", "shift_weekly_hour_cap", "surge_opt_in", "updated_at"]
    )
    return agent


# --- Transitions -----------------------------------------------------------------------------


def _transition(
    assignment: ShiftAssignment,
    to_state: str,
    *,
    actor: UserModel | None = None,
    reason: str = "",
    **fields: object,
) -> ShiftAssignment:
    """Move a locked assignment to ``to_state`` if the map allows it, with its audit row."""
    if to_state not in ALLOWED_SHIFT_TRANSITIONS[assignment.state]:
        raise ShiftError(
            f"A shift that is {assignment.get_state_display().lower()} cannot become "
            f"{St(to_state).label.lower()}."
        )
    from_state = assignment.state
    assignment.state = to_state
    for name, value in fields.items():
        setattr(assignment, name, value)
    assignment.save(update_fields=["state", "updated_at", *fields])
    ShiftAssignmentEvent.objects.create(
        assignment=assignment, from_state=from_state, to_state=to_state, actor=actor, reason=reason
    )
    return assignment


def _locked_assignment_of(*, assignment_id: int, agent_id: int) -> ShiftAssignment:
    assignment = (
        ShiftAssignment.objects.select_for_update()
        .filter(pk=assignment_id, agent_id=agent_id)
        .first()
    )
    if assignment is None:
        # Someone else's offer gets the same answer as a missing one: nothing to learn.
        raise ShiftError("There is no such shift offer.")
    return assignment


@transaction.atomic
def shift_offer_accept(
    *, assignment_id: int, agent_id: int, now: datetime | None = None
) -> ShiftAssignment:
    """The agent takes an offered shift before its deadline."""
    now = now or timezone.now()
    assignment = _locked_assignment_of(assignment_id=assignment_id, agent_id=agent_id)
    if assignment.state != St.OFFERED:
        raise ShiftError(f"This offer is {assignment.get_state_display().lower()} already.")
    if assignment.offer_expires_at <= now:
        raise ShiftError("This offer has expired.")
    agent = Agent.objects.select_related("user").get(pk=agent_id)
    return _transition(assignment, St.ACCEPTED, actor=agent.user, reason="accepted by the agent")


@transaction.atomic
def shift_offer_decline(
    *, assignment_id: int, agent_id: int, now: datetime | None = None
) -> ShiftAssignment:
    """The agent turns an offered shift down; the seat goes back to matching at once."""
    now = now or timezone.now()
    assignment = _locked_assignment_of(assignment_id=assignment_id, agent_id=agent_id)
    if assignment.state != St.OFFERED:
        raise ShiftError(f"This offer is {assignment.get_state_display().lower()} already.")
    agent = Agent.objects.select_related("user").get(pk=agent_id)
    _transition(assignment, St.DECLINED, actor=agent.user, reason="declined by the agent")
    _reoffer_on_commit(assignment.slot_id)
    return assignment


@transaction.atomic
def shift_slot_book(*, slot_id: int, agent_id: int, now: datetime | None = None) -> ShiftAssignment:
    """The agent books a free seat of an open slot: first come, first served.

    Race-safety: the agent row, then the slot row, are locked before the seats are counted,
    so of two agents after the last seat the second counts the first's booking, and one
    agent's two bookings cannot both pass the overlap and hour checks.
    """
    now = now or timezone.now()
    agent = Agent.objects.select_for_update().filter(pk=agent_id).first()
    if agent is None or agent.status != Agent.Status.ACTIVE:
        raise ShiftError("Only active agents can book shifts.")
    slot = ShiftSlot.objects.select_for_update().filter(pk=slot_id).first()
    if slot is None:
        raise ShiftError("There is no such shift.")
    if slot.starts_at <= now:
        raise ShiftError("This shift has already started.")
    existing = ShiftAssignment.objects.filter(slot=slot, agent=agent).first()
    if existing is not None and existing.state == St.OFFERED:
        raise ShiftError("You have an offer for this shift: accept it instead.")
    if existing is not None and existing.state in HOLDING_STATES:
        raise ShiftError("You already have this shift.")
    problem = _fit_problem(agent=agent, slot=slot)
    if problem:
        raise ShiftError(problem)
    taken = ShiftAssignment.objects.filter(slot=slot, state__in=HOLDING_STATES).count()
    if taken >= slot.headcount:
        raise ShiftError("This shift is full.")
    user = UserModel.objects.get(pk=agent.user_id)
    if existing is not None:
        return _transition(
            existing,
            St.BOOKED,
            actor=user,
            reason="booked by the agent",
            source=ShiftAssignment.Source.BOOKED,
            offer_expires_at=None,
        )
    assignment = ShiftAssignment.objects.create(
        slot=slot, agent=agent, state=St.BOOKED, source=ShiftAssignment.Source.BOOKED
    )
    ShiftAssignmentEvent.objects.create(
        assignment=assignment, to_state=St.BOOKED, actor=user, reason="booked by the agent"
    )
    return assignment


def _held_windows(
    *, agent_ids: Iterable[int], around: tuple[datetime, datetime]
) -> dict[int, list[tuple[datetime, datetime, int]]]:
    """(start, end, slot id) of the seats each agent holds near the period ``around``."""
    margin = timedelta(days=1)
    rows = ShiftAssignment.objects.filter(
        agent_id__in=list(agent_ids),
        state__in=HOLDING_STATES,
        slot__ends_at__gt=around[0] - margin,
        slot__starts_at__lt=around[1] + margin,
    ).values_list("agent_id", "slot__starts_at", "slot__ends_at", "slot_id")
    held: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for agent_id, starts_at, ends_at, slot_id in rows:
        held[agent_id].append((starts_at, ends_at, slot_id))
    return held


def _fit_problem(
    *,
    agent: Agent,
    slot: ShiftSlot,
    held: Sequence[tuple[datetime, datetime, int]] | None = None,
) -> str | None:
    """Why the agent may not take the slot, or None. Booking's rules: language, skill, no
    overlap, the weekly hour cap and the daily cap and rest, against the seats it holds."""
    if slot.language not in agent.languages:
        return "This shift is for another language."
    if slot.skill not in agent.skills:
        return "This shift needs a skill you do not have."
    if held is None:
        held = _held_windows(agent_ids=[agent.pk], around=(slot.starts_at, slot.ends_at))[agent.pk]
    mine = [(start, end) for start, end, slot_id in held if slot_id != slot.pk]
    if any(start < slot.ends_at and slot.starts_at < end for start, end in mine):
        return "You already have a shift at that time."
    hours = _hours(slot.starts_at, slot.ends_at)
    week = week_start_of(slot.starts_at)
    week_hours = sum(_hours(s, e) for s, e in mine if week_start_of(s) == week)
    if week_hours + hours > agent.shift_weekly_hour_cap:
        return f"That would take you past your {agent.shift_weekly_hour_cap} hours this week."
    day_hours = sum(_hours(s, e) for s, e in mine if s.date() == slot.starts_at.date())
    if day_hours + hours > settings.SHIFT_MAX_HOURS_PER_DAY:
        return f"That would take you past {settings.SHIFT_MAX_HOURS_PER_DAY} hours that day."
    rest = timedelta(hours=settings.SHIFT_MIN_REST_HOURS)
    windows = [*mine, (slot.starts_at, slot.ends_at)]
    if not matching.rest_is_respected(windows=windows, min_rest=rest):
        return f"Leave at least {settings.SHIFT_MIN_REST_HOURS} hours between shifts."
    return None


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


# --- Matching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotCoverage:
    slot: ShiftSlot
    headcount: int
    staffed: int  # seats held after matching (offered, accepted, booked, completed)
    offered_now: int


@dataclass(frozen=True)
class MatchReport:
    week_start: datetime
    coverage: list[SlotCoverage]
    offers_made: int
    solver_seconds: float
    proven_optimal: bool
    notes: tuple[str, ...]

    @property
    def required(self) -> int:
        return sum(row.headcount for row in self.coverage)

    @property
    def staffed(self) -> int:
        return sum(min(row.staffed, row.headcount) for row in self.coverage)


def shifts_match_week(*, week_start: datetime, now: datetime | None = None) -> MatchReport:
    """Offer the unfilled seats of the week's slots to agents, chosen by the optimiser.

    Slots starting within ``SHIFT_MATCH_LEAD_MINUTES`` are left alone (nobody could accept in
    time). Idempotent: a second run finds the seats taken by the first run's offers.
    """
    now = now or timezone.now()
    week_end = week_start + timedelta(days=7)
    earliest = max(week_start, now + timedelta(minutes=settings.SHIFT_MATCH_LEAD_MINUTES))
    slots = list(
        ShiftSlot.objects.filter(starts_at__gte=earliest, starts_at__lt=week_end).order_by(
            "starts_at", "pk"
        )
    )
    offer_time = timedelta(hours=settings.SHIFT_OFFER_HOURS)
    result, offers = _match_and_offer(
        slots=slots,
        now=now,
        running=False,
        offer_until=lambda slot: min(now + offer_time, slot.starts_at),
        source=ShiftAssignment.Source.MATCHED,
    )
    all_slots = list(
        ShiftSlot.objects.filter(starts_at__gte=week_start, starts_at__lt=week_end)
        .annotate(staffed=Count("assignments", filter=Q(assignments__state__in=HOLDING_STATES)))
        .order_by("starts_at", "language", "skill")
    )
    offered_by_slot: dict[int, int] = defaultdict(int)
    for slot_id, _ in offers:
        offered_by_slot[slot_id] += 1
    return MatchReport(
        week_start=week_start,
        coverage=[
            SlotCoverage(
                slot=slot,
                headcount=slot.headcount,
                staffed=slot.staffed,
                offered_now=offered_by_slot[slot.pk],
            )
            for slot in all_slots
        ],
        offers_made=len(offers),
        solver_seconds=result.solver_seconds if result else 0.0,
        proven_optimal=result.proven_optimal if result else True,
        notes=result.notes if result else (),
    )


def slot_offer_to_others(*, slot_id: int, now: datetime | None = None) -> int:
    """Offer a slot's free seats again at once (after a decline, an expiry or a no-show).

    A slot not yet started is matched like any other, among agents available then. A running
    slot (a no-show) goes to agents who are online now, with a short deadline.
    """
    now = now or timezone.now()
    slot = ShiftSlot.objects.filter(pk=slot_id, ends_at__gt=now).first()
    if slot is None:
        return 0
    running = slot.starts_at <= now
    if running:
        minutes = timedelta(minutes=settings.SHIFT_REPLACEMENT_OFFER_MINUTES)

        def offer_until(s: ShiftSlot) -> datetime:
            return min(now + minutes, s.ends_at)
    else:

        def offer_until(s: ShiftSlot) -> datetime:
            return min(now + timedelta(hours=settings.SHIFT_OFFER_HOURS), s.starts_at)

    _, offers = _match_and_offer(
        slots=[slot],
        now=now,
        running=running,
        offer_until=offer_until,
        source=ShiftAssignment.Source.REPLACEMENT,
    )
    return len(offers)


def _match_and_offer(*, slots, now, running, offer_until, source):
    """Solve outside any transaction, then write the offers under locks, re-checked."""
    if not slots:
        return None, []
    taken = dict(
        ShiftAssignment.objects.filter(slot__in=slots, state__in=HOLDING_STATES)
        .values("slot_id")
        .annotate(n=Count("id"))
        .values_list("slot_id", "n")
    )
    open_slots = [slot for slot in slots if slot.headcount - taken.get(slot.pk, 0) > 0]
    if not open_slots:
        return None, []
    period = (min(s.starts_at for s in open_slots), max(s.ends_at for s in open_slots))
    agents = list(
        Agent.objects.filter(status=Agent.Status.ACTIVE, user__is_active=True).order_by("pk")
    )
    if running:
        agents = [agent for agent in agents if agent.is_online]
    supply = _supply(agents=agents, slots=open_slots, period=period, running=running)
    result = matching.match_agents_to_slots(
        slots=[
            matching.Slot(
                id=slot.pk,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                language=slot.language,
                skill=slot.skill,
                headcount=slot.headcount - taken.get(slot.pk, 0),
            )
            for slot in open_slots
        ],
        agents=supply,
        max_hours_per_day=settings.SHIFT_MAX_HOURS_PER_DAY,
        min_rest_between_shifts=timedelta(hours=settings.SHIFT_MIN_REST_HOURS),
        time_limit_seconds=120,
    )
    pairs = [(a.slot_id, a.agent_id) for a in result.assignments]
    written = _offers_write(pairs=pairs, now=now, offer_until=offer_until, source=source)
    return result, written


def _supply(*, agents, slots, period, running) -> list[matching.AgentSupply]:
    """The agents as the matcher sees them, with what they already hold as busy time.

    Held shifts are padded by the minimum rest on both sides, so a new offer can neither
    overlap a held shift nor come too soon before or after it (the matcher only enforces
    the rest rule among the slots it is given).
    """
    rest = timedelta(hours=settings.SHIFT_MIN_REST_HOURS)
    held = _held_windows(agent_ids=[a.pk for a in agents], around=period)
    refused = defaultdict(list)
    for agent_id, starts_at, ends_at in ShiftAssignment.objects.filter(
        agent_id__in=[a.pk for a in agents],
        state__in=(St.DECLINED, St.EXPIRED, St.NO_SHOW),
        slot__in=slots,
    ).values_list("agent_id", "slot__starts_at", "slot__ends_at"):
        refused[agent_id].append((starts_at, ends_at))
    week = week_start_of(period[0])
    supply = []
    for agent in agents:
        if running:
            available = tuple((slot.starts_at, slot.ends_at) for slot in slots)
        else:
            available = availability_windows(agent=agent, week_start=week)
            if period[1] > week + timedelta(days=7):
                available += availability_windows(agent=agent, week_start=week + timedelta(days=7))
        if not available:
            continue
        mine = held.get(agent.pk, [])
        already = sum(_hours(s, e) for s, e, _ in mine if week_start_of(s) == week)
        busy = tuple((s - rest, e + rest) for s, e, _ in mine) + tuple(refused[agent.pk])
        supply.append(
            matching.AgentSupply(
                id=agent.pk,
                languages=frozenset(agent.languages),
                skills=frozenset(agent.skills),
                available=available,
                weekly_hour_cap=float(agent.shift_weekly_hour_cap),
                reliability=agent.reliability_pct / 100,
                already_assigned_hours=already,
                busy=busy,
            )
        )
    return supply


def _offers_write(*, pairs, now, offer_until, source) -> list[tuple[int, int]]:
    """Create the offers the matcher chose, skipping any a booking made impossible meanwhile."""
    if not pairs:
        return []
    written: list[tuple[int, int]] = []
    with transaction.atomic():
        agent_ids = sorted({agent_id for _, agent_id in pairs})
        slot_ids = sorted({slot_id for slot_id, _ in pairs})
        # Lock order: agents, then slots, each in pk order (see the module docstring).
        locked_agents = Agent.objects.select_for_update().filter(pk__in=agent_ids).order_by("pk")
        agents = {agent.pk: agent for agent in locked_agents}
        locked_slots = ShiftSlot.objects.select_for_update().filter(pk__in=slot_ids).order_by("pk")
        slots = {slot.pk: slot for slot in locked_slots}
        taken = dict(
            ShiftAssignment.objects.filter(slot_id__in=slot_ids, state__in=HOLDING_STATES)
            .values("slot_id")
            .annotate(n=Count("id"))
            .values_list("slot_id", "n")
        )
        existing = set(
            ShiftAssignment.objects.filter(
                slot_id__in=slot_ids, agent_id__in=agent_ids
            ).values_list("slot_id", "agent_id")
        )
        period = (
            min(s.starts_at for s in slots.values()),
            max(s.ends_at for s in slots.values()),
        )
        held = _held_windows(agent_ids=agent_ids, around=period)
        for slot_id, agent_id in sorted(pairs, key=lambda p: (slots[p[0]].starts_at, p)):
            slot, agent = slots[slot_id], agents[agent_id]
            if (slot_id, agent_id) in existing or taken.get(slot_id, 0) >= slot.headcount:
                continue
            if agent.status != Agent.Status.ACTIVE:
                continue
            mine = held[agent_id]
            if any(s < slot.ends_at and slot.starts_at < e for s, e, _ in mine):
                continue
            assignment = ShiftAssignment.objects.create(
                slot=slot,
                agent=agent,
                state=St.OFFERED,
                source=source,
                offer_expires_at=offer_until(slot),
            )
            ShiftAssignmentEvent.objects.create(
                assignment=assignment, to_state=St.OFFERED, reason=f"offered ({source})"
            )
            mine.append((slot.starts_at, slot.ends_at, slot_id))
            taken[slot_id] = taken.get(slot_id, 0) + 1
            written.append((slot_id, agent_id))
        by_agent = sorted({agent_id for _, agent_id in written})
        if by_agent:
            transaction.on_commit(lambda: _enqueue_offer_emails(by_agent))
    return written


def _enqueue_offer_emails(agent_ids: list[int]) -> None:
    from agents.tasks import send_shift_offers_email

    for agent_id in agent_ids:
        send_shift_offers_email.delay(agent_id)


def _reoffer_on_commit(slot_id: int) -> None:
    from agents.tasks import offer_slot_to_others

    transaction.on_commit(lambda: offer_slot_to_others.delay(slot_id))


def shift_offers_email_send(*, agent_id: int, now: datetime | None = None) -> int:
    """Email an agent its open offers (called by the Celery task); returns how many it listed.

    Sends nothing when nothing is open, so a redelivered task after the agent answered is
    silent.
    """
    now = now or timezone.now()
    agent = Agent.objects.select_related("user").get(pk=agent_id)
    offers = list(
        ShiftAssignment.objects.select_related("slot")
        .filter(agent=agent, state=St.OFFERED, offer_expires_at__gt=now)
        .order_by("slot__starts_at")
    )
    if not offers:
        return 0
    context = {"agent": agent, "offers": offers, "url": f"{settings.SITE_URL}/portal/shifts/"}
    body = render_to_string("emails/shift_offers.txt", context)
    subject = f"{len(offers)} shift{'s' if len(offers) != 1 else ''} offered to you on Humanline"
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [agent.user.email])
    return len(offers)


# --- Sweeps ----------------------------------------------------------------------------------


def shift_offers_expire(*, now: datetime | None = None) -> list[int]:
    """Expire offers past their deadline; their seats go back to matching. Returns the ids."""
    now = now or timezone.now()
    expired: list[int] = []
    slot_ids: set[int] = set()
    due = list(
        ShiftAssignment.objects.filter(state=St.OFFERED, offer_expires_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for assignment_id in due:
        with transaction.atomic():
            assignment = (
                ShiftAssignment.objects.select_for_update()
                .filter(pk=assignment_id, state=St.OFFERED)
                .first()
            )
            if assignment is None:
                continue  # answered or expired by a concurrent sweep meanwhile
            _transition(assignment, St.EXPIRED, reason="offer deadline passed")
            expired.append(assignment_id)
            if assignment.slot_id not in slot_ids:
                slot_ids.add(assignment.slot_id)
                _reoffer_on_commit(assignment.slot_id)
    return expired


@dataclass(frozen=True)
class NoShowSweep:
    checked_in: list[int]
    no_shows: list[int]


def _is_present(agent: Agent, slot: ShiftSlot) -> bool:
    # Online now, or seen since the shift started (last_seen_at moves on connect, on
    # disconnect and every 15 s in between, so it proves a socket was open after the start).
    seen = agent.last_seen_at
    return agent.is_online or (seen is not None and seen >= slot.starts_at)


def shift_no_shows_sweep(*, now: datetime | None = None) -> NoShowSweep:
    """Check agents in to their running shifts; mark those absent past the grace a no-show.

    A no-show lowers the agent's reliability and offers the seat to online agents at once.
    """
    now = now or timezone.now()
    grace = timedelta(minutes=settings.SHIFT_NO_SHOW_MINUTES)
    candidates = list(
        ShiftAssignment.objects.filter(
            state__in=COMMITTED_STATES,
            checked_in_at__isnull=True,
            slot__starts_at__lte=now,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    checked_in: list[int] = []
    no_shows: list[int] = []
    for assignment_id in candidates:
        with transaction.atomic():
            assignment = (
                ShiftAssignment.objects.select_for_update()
                .select_related("slot", "agent")
                .filter(pk=assignment_id, state__in=COMMITTED_STATES, checked_in_at__isnull=True)
                .first()
            )
            if assignment is None:
                continue
            if _is_present(assignment.agent, assignment.slot):
                assignment.checked_in_at = now
                assignment.save(update_fields=["checked_in_at", "updated_at"])
                checked_in.append(assignment_id)
            elif now >= assignment.slot.starts_at + grace:
                _transition(
                    assignment,
                    St.NO_SHOW,
                    reason=f"not online {settings.SHIFT_NO_SHOW_MINUTES} minutes after the start",
                )
                agent_reliability_recompute(agent_id=assignment.agent_id)
                no_shows.append(assignment_id)
                _reoffer_on_commit(assignment.slot_id)
    return NoShowSweep(checked_in=checked_in, no_shows=no_shows)


def agent_reliability_recompute(*, agent_id: int) -> int:
    """Reliability is the share of committed shifts the agent turned up to, in percent."""
    counts = ShiftAssignment.objects.filter(agent_id=agent_id).aggregate(
        attended=Count("id", filter=Q(checked_in_at__isnull=False)),
        missed=Count("id", filter=Q(state=St.NO_SHOW)),
    )
    total = counts["attended"] + counts["missed"]
    pct = 100 if total == 0 else math.floor(100 * counts["attended"] / total)
    Agent.objects.filter(pk=agent_id).update(reliability_pct=pct)
    return pct


def shifts_complete_ended(*, now: datetime | None = None) -> list[int]:
    """Complete ended shifts the agent checked in to, with the shift bonus pay line in the
    same transaction; an ended shift never checked in to is a no-show. Returns completed ids."""
    from payouts.services import shift_bonus_line_create

    now = now or timezone.now()
    due = list(
        ShiftAssignment.objects.filter(state__in=COMMITTED_STATES, slot__ends_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    completed: list[int] = []
    for assignment_id in due:
        with transaction.atomic():
            assignment = (
                ShiftAssignment.objects.select_for_update()
                .select_related("slot")
                .filter(pk=assignment_id, state__in=COMMITTED_STATES)
                .first()
            )
            if assignment is None:
                continue
            if assignment.checked_in_at is None:
                _transition(assignment, St.NO_SHOW, reason="never online during the shift")
                agent_reliability_recompute(agent_id=assignment.agent_id)
                continue
            _transition(assignment, St.COMPLETED, reason="shift ended, agent was online")
            shift_bonus_line_create(
                agent_id=assignment.agent_id,
                assignment_id=assignment.pk,
                earned_at=assignment.slot.ends_at,
            )
            completed.append(assignment_id)
    return completed


# --- Reads for the agent's shifts page -------------------------------------------------------


def agent_upcoming_shifts(*, agent: Agent, now: datetime) -> list[ShiftAssignment]:
    return list(
        ShiftAssignment.objects.select_related("slot")
        .filter(agent=agent, state__in=COMMITTED_STATES, slot__ends_at__gt=now)
        .order_by("slot__starts_at")
    )


def agent_open_offers(*, agent: Agent, now: datetime) -> list[ShiftAssignment]:
    return list(
        ShiftAssignment.objects.select_related("slot")
        .filter(agent=agent, state=St.OFFERED, offer_expires_at__gt=now)
        .order_by("offer_expires_at")
    )


def open_slots_for(*, agent: Agent, now: datetime, days: int = 14) -> list[ShiftSlot]:
    """Slots of the agent's languages and skills starting in the next ``days`` with a free
    seat, that the agent holds no seat of. ``free`` is annotated on each."""
    from django.db.models import F
    from django.db.models.functions import Coalesce

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


# --- Reads for the admin's week view ---------------------------------------------------------


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


def week_staffing(*, week_start: datetime) -> WeekStaffing:
    """Demand against staffed headcount for a week: per slot and per half hour (3 queries)."""
    week_end = week_start + timedelta(days=7)
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
            for k in range(7 * 48)
        ],
    )


def week_staffing_chart(*, staffing: WeekStaffing, width: int = 1008, height: int = 200) -> dict:
    """Polyline points for a server-rendered SVG: required and committed agents per half
    hour (x: the 336 half hours, y: agents), plus day gridlines."""
    top = max(
        [1, *(h.required for h in staffing.half_hours), *(h.committed for h in staffing.half_hours)]
    )
    step = width / max(len(staffing.half_hours), 1)

    def points(values: list[int]) -> str:
        # A step line: each half hour is a flat segment at its value.
        coords = []
        for k, value in enumerate(values):
            y = height - value * height / top
            coords.append(f"{k * step:.1f},{y:.1f} {(k + 1) * step:.1f},{y:.1f}")
        return " ".join(coords)

    return {
        "width": width,
        "height": height,
        "top": top,
        "required": points([h.required for h in staffing.half_hours]),
        "committed": points([h.committed for h in staffing.half_hours]),
        "days": [
            {
                "x": round(day * 48 * step, 1),
                "label": f"{staffing.half_hours[day * 48].starts_at:%a}",
            }
            for day in range(7)
            if staffing.half_hours
        ],
    }
