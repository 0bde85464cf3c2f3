"""The matcher wired to the database: offers from the optimiser, the task and the command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import AgentFactory, ShiftAssignmentFactory, ShiftSlotFactory
from workforce import calendar
from workforce.matching import rest_is_respected
from workforce.models import ShiftAssignment
from workforce.offers import shifts_match_week
from workforce.tasks import plan_and_match_shifts

pytestmark = pytest.mark.django_db
St = ShiftAssignment.State
ALWAYS = {day: [["00:00", "24:00"]] for day in calendar.WEEKDAY_KEYS}


@pytest.fixture
def week():
    return calendar.next_week_start(timezone.now())


def block(week, hours_in, **kwargs):
    starts_at = week + timedelta(hours=hours_in)
    return ShiftSlotFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=4), **kwargs)


def test_matching_offers_each_free_seat_to_an_eligible_available_agent(week):
    slot = block(week, 8, headcount_required=2)
    ana = AgentFactory(weekly_availability=ALWAYS)
    ben = AgentFactory(weekly_availability=ALWAYS)
    AgentFactory(weekly_availability=ALWAYS, languages=["es"])  # wrong language
    AgentFactory(weekly_availability={"tue": [["08:00", "12:00"]]})  # not available Monday

    report = shifts_match_week(week_start=week)

    offers = ShiftAssignment.objects.filter(slot=slot, state=St.OFFERED)
    assert {o.agent_id for o in offers} == {ana.pk, ben.pk}
    assert all(o.offer_expires_at <= slot.starts_at for o in offers)
    assert report.offers_made == 2
    assert [(row.staffed, row.headcount) for row in report.coverage] == [(2, 2)]


def test_availability_is_read_in_the_agents_time_zone(week):
    slot = block(week, 8, headcount_required=1)  # 08:00-12:00 UTC = 09:00-13:00 in Paris (CET)
    paris = AgentFactory(
        time_zone="Europe/Paris", weekly_availability={"mon": [["09:00", "13:00"]]}
    )
    AgentFactory(time_zone="America/New_York", weekly_availability={"mon": [["09:00", "13:00"]]})

    shifts_match_week(week_start=week)

    assert ShiftAssignment.objects.get(slot=slot).agent == paris


def test_matching_twice_makes_no_second_offers(week):
    block(week, 8, headcount_required=1)
    AgentFactory(weekly_availability=ALWAYS)
    AgentFactory(weekly_availability=ALWAYS)
    shifts_match_week(week_start=week)

    assert shifts_match_week(week_start=week).offers_made == 0
    assert ShiftAssignment.objects.count() == 1


def test_matching_leaves_seats_already_taken_alone(week):
    slot = block(week, 8, headcount_required=1)
    ShiftAssignmentFactory(slot=slot, state=St.BOOKED, offer_expires_at=None)
    AgentFactory(weekly_availability=ALWAYS)

    assert shifts_match_week(week_start=week).offers_made == 0


def test_matching_never_offers_a_slot_an_agent_declined(week):
    slot = block(week, 8, headcount_required=1)
    declined = ShiftAssignmentFactory(
        slot=slot, state=St.DECLINED, agent=AgentFactory(weekly_availability=ALWAYS)
    )
    other = AgentFactory(weekly_availability=ALWAYS)

    shifts_match_week(week_start=week)

    assert ShiftAssignment.objects.get(slot=slot, state=St.OFFERED).agent == other
    declined.refresh_from_db()
    assert declined.state == St.DECLINED


def test_matching_keeps_the_rest_rule_against_shifts_already_held(week, settings):
    settings.SHIFT_MIN_REST_HOURS = 8
    agent = AgentFactory(weekly_availability=ALWAYS)
    held = block(week, 0, headcount_required=1)
    ShiftAssignmentFactory(slot=held, agent=agent, state=St.ACCEPTED, offer_expires_at=None)
    too_soon = block(week, 8, headcount_required=1)
    rested = block(week, 12, headcount_required=1)

    shifts_match_week(week_start=week)

    assert not ShiftAssignment.objects.filter(slot=too_soon).exists()
    assert ShiftAssignment.objects.get(slot=rested).agent == agent


def test_matched_schedules_respect_the_rest_rule_and_weekly_cap(week, settings):
    settings.SHIFT_MIN_REST_HOURS = 8
    settings.SHIFT_MAX_HOURS_PER_DAY = 8
    for hours_in in range(0, 7 * 24, 4):
        block(week, hours_in, headcount_required=2)
    agents = [AgentFactory(weekly_availability=ALWAYS, shift_weekly_hour_cap=16) for _ in range(6)]

    shifts_match_week(week_start=week)

    for agent in agents:
        held = [
            (a.slot.starts_at, a.slot.ends_at)
            for a in ShiftAssignment.objects.filter(agent=agent).select_related("slot")
        ]
        assert sum((e - s).total_seconds() / 3600 for s, e in held) <= 16
        assert rest_is_respected(windows=held, min_rest=timedelta(hours=8))


def test_offers_are_emailed_once_per_agent(week, django_capture_on_commit_callbacks):
    block(week, 8, headcount_required=1)
    block(week, 20, headcount_required=1)
    agent = AgentFactory(weekly_availability=ALWAYS)

    with django_capture_on_commit_callbacks(execute=True):
        shifts_match_week(week_start=week)

    assert [m.to for m in mail.outbox] == [[agent.user.email]]
    assert "2 shifts" in mail.outbox[0].subject


def test_the_task_plans_from_history_and_offers_shifts(week):
    from tests.workforce.test_forecast import escalations

    now = timezone.now()
    # A busy hour every day last week: the planner makes slots, the matcher fills them.
    for day in range(1, 8):
        escalations((now - timedelta(days=day)).replace(minute=0), 5)
    AgentFactory(weekly_availability=ALWAYS)

    offers = plan_and_match_shifts.delay(week.date().isoformat()).get()

    assert offers >= 1
    assert ShiftAssignment.objects.filter(state=St.OFFERED).count() == offers


def test_the_command_prints_coverage_per_slot(week):
    block(week, 8, headcount_required=1)
    AgentFactory(weekly_availability=ALWAYS)
    out = StringIO()

    call_command("match_shifts", "--week", week.date().isoformat(), "--no-plan", stdout=out)

    text = out.getvalue()
    assert f"{week:%a %d %b} 08:00-12:00 en/general" in text
    assert "Coverage 1/1 (100.0%)" in text


@pytest.mark.parametrize(
    ("value", "message"), [("2025-03-18", "weeks start on a Monday"), ("soon", "not a date")]
)
def test_the_command_refuses_a_bad_week(value, message):
    with pytest.raises(CommandError, match=message):
        call_command("match_shifts", "--week", value, stdout=StringIO())
    assert not ShiftAssignment.objects.exists()
