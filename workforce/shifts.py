"""Shifts: slots planned from the forecast, bookings, answers to offers, no-shows.

Every state change of a ``ShiftAssignment`` goes through ``_transition`` here, which checks
``ALLOWED_SHIFT_TRANSITIONS`` and writes the audit row; offers are made by
``workforce.offers``, which writes them under the same lock policy.

Lock policy: an agent row before any slot row, slots in pk order. Booking locks the agent
(so two bookings of one agent cannot both pass the overlap and hour checks) and then the
slot (so two agents cannot both take its last seat); matching writes its offers under the
same locks, re-checking what the solver assumed, because the solver itself runs outside
any transaction on a snapshot that bookings may have changed meanwhile.

Side effects (re-offers) are enqueued by task name on commit; a completed shift is
announced (``workforce.signals.shift_completed``) for payouts to add its bonus line.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from agents.models import Agent
from agents.models import User as UserModel
from agents.onboarding import validate_weekly_availability
from core.jobs import enqueue_on_commit
from workforce import matching
from workforce.calendar import week_start_of
from workforce.models import HalfHourDemand, ShiftAssignment, ShiftAssignmentEvent, ShiftSlot
from workforce.signals import shift_completed

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


class ShiftError(Exception):
    """A refused shift operation; the message is fit to show the agent."""


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
            gettext("A shift that is %(state)s cannot become %(new_state)s.")
            % {
                "state": assignment.get_state_display().lower(),
                "new_state": str(St(to_state).label).lower(),
            }
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


def _offer_answered_already(assignment: ShiftAssignment) -> str:
    """Why an offer can no longer be answered: a whole sentence for the states an offer
    usually leaves to, since a state's label lowercased into a sentence does not read well
    in every language (German keeps its nouns capitalised)."""
    state = assignment.state
    if state == St.ACCEPTED:
        return gettext("This offer is accepted already.")
    if state == St.DECLINED:
        return gettext("This offer is declined already.")
    if state == St.EXPIRED:
        return gettext("This offer has expired.")
    return gettext("This offer is %(state)s already.") % {
        "state": assignment.get_state_display().lower()
    }


def _locked_assignment_of(*, assignment_id: int, agent_id: int) -> ShiftAssignment:
    assignment = (
        ShiftAssignment.objects.select_for_update()
        .filter(pk=assignment_id, agent_id=agent_id)
        .first()
    )
    if assignment is None:
        # Someone else's offer gets the same answer as a missing one: nothing to learn.
        raise ShiftError(gettext("There is no such shift offer."))
    return assignment


@transaction.atomic
def shift_offer_accept(
    *, assignment_id: int, agent_id: int, now: datetime | None = None
) -> ShiftAssignment:
    """The agent takes an offered shift before its deadline."""
    now = now or timezone.now()
    assignment = _locked_assignment_of(assignment_id=assignment_id, agent_id=agent_id)
    if assignment.state != St.OFFERED:
        raise ShiftError(_offer_answered_already(assignment))
    if assignment.offer_expires_at <= now:
        raise ShiftError(gettext("This offer has expired."))
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
        raise ShiftError(_offer_answered_already(assignment))
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
        raise ShiftError(gettext("Only active agents can book shifts."))
    slot = ShiftSlot.objects.select_for_update().filter(pk=slot_id).first()
    if slot is None:
        raise ShiftError(gettext("There is no such shift."))
    if slot.starts_at <= now:
        raise ShiftError(gettext("This shift has already started."))
    existing = ShiftAssignment.objects.filter(slot=slot, agent=agent).first()
    if existing is not None and existing.state == St.OFFERED:
        raise ShiftError(gettext("You have an offer for this shift: accept it instead."))
    if existing is not None and existing.state in HOLDING_STATES:
        raise ShiftError(gettext("You already have this shift."))
    problem = _fit_problem(agent=agent, slot=slot)
    if problem:
        raise ShiftError(problem)
    taken = ShiftAssignment.objects.filter(slot=slot, state__in=HOLDING_STATES).count()
    if taken >= slot.headcount:
        raise ShiftError(gettext("This shift is full."))
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


def held_windows(
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
        return gettext("This shift is for another language.")
    if slot.skill not in agent.skills:
        return gettext("This shift needs a skill you do not have.")
    if held is None:
        held = held_windows(agent_ids=[agent.pk], around=(slot.starts_at, slot.ends_at))[agent.pk]
    mine = [(start, end) for start, end, slot_id in held if slot_id != slot.pk]
    if any(start < slot.ends_at and slot.starts_at < end for start, end in mine):
        return gettext("You already have a shift at that time.")
    hours = hours_between(slot.starts_at, slot.ends_at)
    week = week_start_of(slot.starts_at)
    week_hours = sum(hours_between(s, e) for s, e in mine if week_start_of(s) == week)
    if week_hours + hours > agent.shift_weekly_hour_cap:
        return gettext("That would take you past your %(hours)s hours this week.") % {
            "hours": agent.shift_weekly_hour_cap
        }
    day_hours = sum(hours_between(s, e) for s, e in mine if s.date() == slot.starts_at.date())
    if day_hours + hours > settings.SHIFT_MAX_HOURS_PER_DAY:
        return gettext("That would take you past %(hours)s hours that day.") % {
            "hours": settings.SHIFT_MAX_HOURS_PER_DAY
        }
    rest = timedelta(hours=settings.SHIFT_MIN_REST_HOURS)
    windows = [*mine, (slot.starts_at, slot.ends_at)]
    if not matching.rest_is_respected(windows=windows, min_rest=rest):
        return gettext("Leave at least %(hours)s hours between shifts.") % {
            "hours": settings.SHIFT_MIN_REST_HOURS
        }
    return None


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _reoffer_on_commit(slot_id: int) -> None:
    """Offer the slot's freed seat to others once this transaction commits."""
    enqueue_on_commit("agents.tasks.offer_slot_to_others", slot_id)


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
    # disconnect and while the agent's socket is heard, at most every 15 s, so it proves the
    # agent was really there after the start).
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
    """Complete ended shifts the agent checked in to; an ended shift never checked in to is
    a no-show. Returns completed ids.

    Each completion is announced inside its transaction, so the shift bonus pay line that
    payouts writes on hearing it commits with it, or neither does.
    """
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
            shift_completed.send(
                sender=ShiftAssignment,
                agent_id=assignment.agent_id,
                assignment_id=assignment.pk,
                ended_at=assignment.slot.ends_at,
            )
            completed.append(assignment_id)
    return completed
