"""No-shows, check-ins and completion of shifts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import AgentFactory, ShiftAssignmentFactory, ShiftSlotFactory
from workforce import shifts
from workforce.models import ShiftAssignment

pytestmark = pytest.mark.django_db
St = ShiftAssignment.State


def running_slot(*, started_minutes_ago: int, **kwargs):
    starts_at = timezone.now() - timedelta(minutes=started_minutes_ago)
    return ShiftSlotFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=4), **kwargs)


def offline_agent(**kwargs):
    return AgentFactory(
        is_online=False,
        connection_count=0,
        last_seen_at=timezone.now() - timedelta(days=1),
        **kwargs,
    )


def committed(slot, agent, state=St.ACCEPTED):
    return ShiftAssignmentFactory(slot=slot, agent=agent, state=state, offer_expires_at=None)


def test_an_agent_offline_ten_minutes_after_the_start_is_a_no_show():
    assignment = committed(running_slot(started_minutes_ago=11), offline_agent())

    sweep = shifts.shift_no_shows_sweep()

    assert sweep.no_shows == [assignment.pk]
    assignment.refresh_from_db()
    assert assignment.state == St.NO_SHOW


def test_a_booked_shift_can_be_a_no_show_too():
    assignment = committed(running_slot(started_minutes_ago=11), offline_agent(), St.BOOKED)

    assert shifts.shift_no_shows_sweep().no_shows == [assignment.pk]


def test_an_absent_agent_within_the_grace_is_not_yet_a_no_show():
    assignment = committed(running_slot(started_minutes_ago=5), offline_agent())

    assert shifts.shift_no_shows_sweep().no_shows == []
    assignment.refresh_from_db()
    assert assignment.state == St.ACCEPTED


def test_an_online_agent_is_checked_in():
    assignment = committed(running_slot(started_minutes_ago=2), AgentFactory(is_online=True))

    sweep = shifts.shift_no_shows_sweep()

    assert sweep.checked_in == [assignment.pk]
    assignment.refresh_from_db()
    assert assignment.checked_in_at is not None


def test_an_agent_seen_since_the_start_is_not_a_no_show_even_if_offline_now():
    agent = offline_agent()
    agent.last_seen_at = timezone.now() - timedelta(minutes=3)
    agent.save(update_fields=["last_seen_at"])
    assignment = committed(running_slot(started_minutes_ago=12), agent)

    assert shifts.shift_no_shows_sweep().no_shows == []
    assignment.refresh_from_db()
    assert assignment.checked_in_at is not None


def test_a_no_show_lowers_the_agents_reliability():
    agent = offline_agent()
    attended = committed(running_slot(started_minutes_ago=60 * 24 * 2), agent)
    attended.checked_in_at = attended.slot.starts_at
    attended.save(update_fields=["checked_in_at"])
    committed(running_slot(started_minutes_ago=11), agent)

    shifts.shift_no_shows_sweep()

    agent.refresh_from_db()
    assert agent.reliability_pct == 50


def test_a_no_show_seat_is_offered_to_online_agents_at_once(
    settings, django_capture_on_commit_callbacks
):
    settings.SHIFT_REPLACEMENT_OFFER_MINUTES = 10
    slot = running_slot(started_minutes_ago=11, headcount_required=1)
    committed(slot, offline_agent())
    online = AgentFactory(is_online=True)
    offline_agent()  # offline agents are not asked to step in

    with django_capture_on_commit_callbacks(execute=True):
        shifts.shift_no_shows_sweep()

    offer = ShiftAssignment.objects.get(slot=slot, state=St.OFFERED)
    assert offer.agent == online
    assert offer.source == ShiftAssignment.Source.REPLACEMENT
    assert offer.offer_expires_at <= timezone.now() + timedelta(minutes=10)


def test_sweeping_twice_marks_a_no_show_once():
    committed(running_slot(started_minutes_ago=11), offline_agent())
    shifts.shift_no_shows_sweep()

    assert shifts.shift_no_shows_sweep().no_shows == []


def test_an_ended_shift_the_agent_worked_is_completed_with_a_bonus_line(monkeypatch):
    calls = []
    import payouts.ledger

    monkeypatch.setattr(
        payouts.ledger, "shift_bonus_line_create", lambda **kwargs: calls.append(kwargs)
    )
    slot = running_slot(started_minutes_ago=5 * 60)
    assignment = committed(slot, AgentFactory())
    assignment.checked_in_at = slot.starts_at
    assignment.save(update_fields=["checked_in_at"])

    assert shifts.shifts_complete_ended() == [assignment.pk]

    assignment.refresh_from_db()
    assert assignment.state == St.COMPLETED
    assert calls == [
        {"agent_id": assignment.agent_id, "assignment_id": assignment.pk, "earned_at": slot.ends_at}
    ]


def test_completion_writes_one_shift_bonus_line():
    from payouts.models import EarningLine, RateCard

    RateCard.objects.create(
        name="test",
        effective_from=timezone.now() - timedelta(days=30),
        shift_completion_bonus_cents=500,
    )
    slot = running_slot(started_minutes_ago=5 * 60)
    assignment = committed(slot, AgentFactory())
    assignment.checked_in_at = slot.starts_at
    assignment.save(update_fields=["checked_in_at"])

    shifts.shifts_complete_ended()
    shifts.shifts_complete_ended()

    line = EarningLine.objects.get(agent=assignment.agent)
    assert (line.amount_cents, line.source_key) == (500, f"shift:{assignment.pk}")


def test_an_ended_shift_never_checked_in_to_is_a_no_show_not_completed(monkeypatch):
    import payouts.ledger

    monkeypatch.setattr(payouts.ledger, "shift_bonus_line_create", lambda **kwargs: None)
    assignment = committed(running_slot(started_minutes_ago=5 * 60), offline_agent())

    assert shifts.shifts_complete_ended() == []
    assignment.refresh_from_db()
    assert assignment.state == St.NO_SHOW
