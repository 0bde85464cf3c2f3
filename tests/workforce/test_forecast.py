"""The forecast from ticket history, the staffing it implies, and the slots planned from it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import TicketFactory
from workforce import calendar, concurrency, forecast, shifts, staffing
from workforce.models import HalfHourDemand, ShiftSlot

pytestmark = pytest.mark.django_db


def escalations(at, count, *, language="en", skills=("general",)):
    for _ in range(count):
        TicketFactory(
            status="resolved",
            language=language,
            required_skills=list(skills),
            escalated_at=at,
            claimed_at=at,
            resolved_at=at + timedelta(minutes=10),
        )


def test_each_half_hour_gets_the_agents_erlang_c_requires_for_its_forecast(settings):
    settings.SHIFT_FORECAST_WEEKS = 1
    now = datetime(2025, 3, 19, 12, 0, tzinfo=UTC)  # a Wednesday
    week = calendar.next_week_start(now)  # Monday 24 March
    escalations(datetime(2025, 3, 17, 9, 5, tzinfo=UTC), 30)  # last Monday, 09:00-09:30

    forecast.week_demand_plan(week_start=week, now=now)

    row = HalfHourDemand.objects.get(starts_at=week + timedelta(hours=9))
    assert row.arrivals == 30
    assert row.handle_time_seconds == 600
    # No agents: the default capacity, 3 chats, at the default efficiency 0.7 each.
    assert row.concurrency == 3
    assert row.agents_required == concurrency.agents_for_servers(
        servers=staffing.agents_required(
            arrivals_per_interval=30, handle_time_seconds=600, target_share=0.8, target_seconds=60
        ),
        concurrency=3,
        efficiency=0.7,
    )
    assert HalfHourDemand.objects.get(starts_at=week + timedelta(hours=3)).agents_required == 0


def test_a_ticket_is_staffed_under_its_first_required_skill():
    assert forecast.ticket_skill(["billing", "refunds"]) == "billing"
    assert forecast.ticket_skill([]) == "general"


def test_planning_twice_replaces_the_weeks_rows():
    now = timezone.now()
    escalations(now - timedelta(days=2), 3)
    week = calendar.next_week_start(now)

    forecast.week_demand_plan(week_start=week, now=now)
    forecast.week_demand_plan(week_start=week, now=now)

    assert HalfHourDemand.objects.count() == 7 * 48


def test_slots_are_blocks_staffed_for_their_busiest_half_hour(settings):
    settings.SHIFT_BLOCK_HOURS = 4
    week = calendar.next_week_start(timezone.now())
    for minutes, required in [(8 * 60, 1), (9 * 60, 3), (11 * 60 + 30, 2)]:
        HalfHourDemand.objects.create(
            starts_at=week + timedelta(minutes=minutes),
            language="en",
            skill="general",
            arrivals=1,
            handle_time_seconds=600,
            concurrency=1,
            agents_required=required,
            computed_at=timezone.now(),
        )

    shifts.shift_slots_plan(week_start=week)

    slot = ShiftSlot.objects.get()
    assert (slot.starts_at, slot.ends_at) == (week + timedelta(hours=8), week + timedelta(hours=12))
    assert slot.headcount_required == 3


def test_replanning_keeps_an_admins_override():
    week = calendar.next_week_start(timezone.now())
    HalfHourDemand.objects.create(
        starts_at=week,
        language="en",
        skill="general",
        arrivals=1,
        handle_time_seconds=600,
        concurrency=1,
        agents_required=2,
        computed_at=timezone.now(),
    )
    shifts.shift_slots_plan(week_start=week)
    ShiftSlot.objects.update(headcount_override=5)

    shifts.shift_slots_plan(week_start=week)

    slot = ShiftSlot.objects.get()
    assert (slot.headcount_required, slot.headcount) == (2, 5)
