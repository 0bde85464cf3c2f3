"""Shift offers: the matcher's choice of agents for open seats, written as offers, and the
email that tells each agent what it was offered.

The solver (``workforce.matching``) runs outside any transaction on a snapshot; the offers
are then written under the lock policy of ``workforce.shifts`` (agents, then slots, in pk
order), re-checking what a booking may have changed meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from agents.models import Agent
from core.jobs import enqueue_on_commit
from workforce import matching
from workforce.calendar import availability_windows, week_start_of
from workforce.models import ShiftAssignment, ShiftAssignmentEvent, ShiftSlot
from workforce.shifts import HOLDING_STATES, St, held_windows, hours_between


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
    held = held_windows(agent_ids=[a.pk for a in agents], around=period)
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
        already = sum(hours_between(s, e) for s, e, _ in mine if week_start_of(s) == week)
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
        held = held_windows(agent_ids=agent_ids, around=period)
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
            for agent_id in by_agent:
                enqueue_on_commit("agents.tasks.send_shift_offers_email", agent_id)
    return written


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
    # In the language the agent reads Humanline in (docs/i18n.md).
    with translation.override(agent.email_language):
        body = render_to_string("emails/shift_offers.txt", context)
        subject = ngettext(
            "%(count)s shift offered to you on Humanline",
            "%(count)s shifts offered to you on Humanline",
            len(offers),
        ) % {"count": len(offers)}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [agent.user.email])
    return len(offers)
