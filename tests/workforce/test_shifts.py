"""Shift offers, acceptance, declines, expiry and first-come-first-served booking."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import AgentFactory, ShiftAssignmentFactory, ShiftSlotFactory
from workforce import calendar, shifts
from workforce.models import ShiftAssignment, ShiftAssignmentEvent
from workforce.shifts import ShiftError

pytestmark = pytest.mark.django_db
St = ShiftAssignment.State


def test_an_agent_accepts_an_offer_before_its_deadline():
    offer = ShiftAssignmentFactory()

    shifts.shift_offer_accept(assignment_id=offer.pk, agent_id=offer.agent_id)

    offer.refresh_from_db()
    assert offer.state == St.ACCEPTED
    event = ShiftAssignmentEvent.objects.get(assignment=offer)
    assert (event.from_state, event.to_state, event.actor) == (
        "offered",
        "accepted",
        offer.agent.user,
    )


def test_accepting_after_the_deadline_is_refused_and_changes_nothing():
    offer = ShiftAssignmentFactory(offer_expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(ShiftError, match="expired"):
        shifts.shift_offer_accept(assignment_id=offer.pk, agent_id=offer.agent_id)

    offer.refresh_from_db()
    assert offer.state == St.OFFERED
    assert not ShiftAssignmentEvent.objects.exists()


def test_an_agent_cannot_answer_someone_elses_offer():
    offer = ShiftAssignmentFactory()
    intruder = AgentFactory()

    with pytest.raises(ShiftError, match="no such shift offer"):
        shifts.shift_offer_accept(assignment_id=offer.pk, agent_id=intruder.pk)
    with pytest.raises(ShiftError, match="no such shift offer"):
        shifts.shift_offer_decline(assignment_id=offer.pk, agent_id=intruder.pk)

    offer.refresh_from_db()
    assert offer.state == St.OFFERED


def test_an_answered_offer_cannot_be_answered_again():
    offer = ShiftAssignmentFactory()
    shifts.shift_offer_decline(assignment_id=offer.pk, agent_id=offer.agent_id)

    with pytest.raises(ShiftError, match="declined already"):
        shifts.shift_offer_accept(assignment_id=offer.pk, agent_id=offer.agent_id)

    offer.refresh_from_db()
    assert offer.state == St.DECLINED
    assert ShiftAssignmentEvent.objects.filter(assignment=offer).count() == 1


def test_a_declined_seat_is_offered_to_another_agent_at_once(django_capture_on_commit_callbacks):
    slot = ShiftSlotFactory(headcount_required=1)
    offer = ShiftAssignmentFactory(slot=slot)
    other = AgentFactory(weekly_availability=_always())

    with django_capture_on_commit_callbacks(execute=True):
        shifts.shift_offer_decline(assignment_id=offer.pk, agent_id=offer.agent_id)

    replacement = ShiftAssignment.objects.get(slot=slot, state=St.OFFERED)
    assert replacement.agent == other
    assert replacement.source == ShiftAssignment.Source.REPLACEMENT
    assert [m.to for m in mail.outbox] == [[other.user.email]]


def test_expired_offers_are_marked_and_their_seats_reoffered(django_capture_on_commit_callbacks):
    slot = ShiftSlotFactory(headcount_required=1)
    offer = ShiftAssignmentFactory(
        slot=slot, offer_expires_at=timezone.now() - timedelta(minutes=1)
    )
    other = AgentFactory(weekly_availability=_always())

    with django_capture_on_commit_callbacks(execute=True):
        expired = shifts.shift_offers_expire()

    assert expired == [offer.pk]
    offer.refresh_from_db()
    assert offer.state == St.EXPIRED
    assert ShiftAssignment.objects.get(slot=slot, state=St.OFFERED).agent == other


def test_expiring_twice_does_nothing_the_second_time():
    ShiftAssignmentFactory(offer_expires_at=timezone.now() - timedelta(minutes=1))
    shifts.shift_offers_expire()

    assert shifts.shift_offers_expire() == []
    assert ShiftAssignmentEvent.objects.count() == 1


# --- booking ---------------------------------------------------------------------------------


def test_an_agent_books_a_free_seat():
    slot = ShiftSlotFactory(headcount_required=1)
    agent = AgentFactory()

    booked = shifts.shift_slot_book(slot_id=slot.pk, agent_id=agent.pk)

    assert (booked.state, booked.source) == (St.BOOKED, ShiftAssignment.Source.BOOKED)
    assert ShiftAssignmentEvent.objects.get(assignment=booked).to_state == St.BOOKED


def test_a_full_slot_refuses_a_booking_and_stores_nothing():
    slot = ShiftSlotFactory(headcount_required=1)
    shifts.shift_slot_book(slot_id=slot.pk, agent_id=AgentFactory().pk)
    late = AgentFactory()

    with pytest.raises(ShiftError, match="full"):
        shifts.shift_slot_book(slot_id=slot.pk, agent_id=late.pk)

    assert not ShiftAssignment.objects.filter(agent=late).exists()


def test_an_open_offer_holds_a_seat_against_bookings():
    slot = ShiftSlotFactory(headcount_required=1)
    ShiftAssignmentFactory(slot=slot)

    with pytest.raises(ShiftError, match="full"):
        shifts.shift_slot_book(slot_id=slot.pk, agent_id=AgentFactory().pk)


def test_an_admin_override_sets_the_seats():
    slot = ShiftSlotFactory(headcount_required=1, headcount_override=2)
    shifts.shift_slot_book(slot_id=slot.pk, agent_id=AgentFactory().pk)

    shifts.shift_slot_book(slot_id=slot.pk, agent_id=AgentFactory().pk)

    assert ShiftAssignment.objects.filter(slot=slot).count() == 2


@pytest.mark.parametrize(
    ("agent_kwargs", "message"),
    [
        ({"languages": ["es"]}, "another language"),
        ({"skills": ["billing"]}, "skill you do not have"),
        ({"shift_weekly_hour_cap": 2}, "past your 2 hours"),
        ({"status": "suspended"}, "Only active agents"),
    ],
)
def test_booking_is_refused_to_agents_who_may_not_take_the_slot(agent_kwargs, message):
    slot = ShiftSlotFactory()
    agent = AgentFactory(**agent_kwargs)

    with pytest.raises(ShiftError, match=message):
        shifts.shift_slot_book(slot_id=slot.pk, agent_id=agent.pk)

    assert not ShiftAssignment.objects.exists()


def test_booking_a_started_slot_is_refused():
    slot = ShiftSlotFactory(starts_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(ShiftError, match="already started"):
        shifts.shift_slot_book(slot_id=slot.pk, agent_id=AgentFactory().pk)


def test_booking_an_overlapping_shift_is_refused():
    agent = AgentFactory(skills=["general", "billing"])
    first = ShiftSlotFactory()
    shifts.shift_slot_book(slot_id=first.pk, agent_id=agent.pk)
    same_time = ShiftSlotFactory(starts_at=first.starts_at, skill="billing")

    with pytest.raises(ShiftError, match="already have a shift at that time"):
        shifts.shift_slot_book(slot_id=same_time.pk, agent_id=agent.pk)

    assert not same_time.assignments.exists()


def test_booking_too_soon_after_another_shift_is_refused(settings):
    settings.SHIFT_MIN_REST_HOURS = 8
    agent = AgentFactory()
    first = ShiftSlotFactory()
    shifts.shift_slot_book(slot_id=first.pk, agent_id=agent.pk)
    soon = ShiftSlotFactory(starts_at=first.ends_at + timedelta(hours=4))

    with pytest.raises(ShiftError, match="8 hours between shifts"):
        shifts.shift_slot_book(slot_id=soon.pk, agent_id=agent.pk)


def test_back_to_back_bookings_make_one_longer_shift(settings):
    settings.SHIFT_MAX_HOURS_PER_DAY = 24
    agent = AgentFactory()
    first = ShiftSlotFactory()
    shifts.shift_slot_book(slot_id=first.pk, agent_id=agent.pk)
    following = ShiftSlotFactory(starts_at=first.ends_at)

    assert shifts.shift_slot_book(slot_id=following.pk, agent_id=agent.pk).state == St.BOOKED


def test_booking_a_slot_twice_is_refused():
    slot = ShiftSlotFactory()
    agent = AgentFactory()
    shifts.shift_slot_book(slot_id=slot.pk, agent_id=agent.pk)

    with pytest.raises(ShiftError, match="already have this shift"):
        shifts.shift_slot_book(slot_id=slot.pk, agent_id=agent.pk)


def test_an_agent_with_an_offer_is_told_to_accept_it_instead_of_booking():
    offer = ShiftAssignmentFactory()

    with pytest.raises(ShiftError, match="accept it instead"):
        shifts.shift_slot_book(slot_id=offer.slot_id, agent_id=offer.agent_id)


def test_an_agent_may_book_a_slot_whose_offer_it_declined():
    offer = ShiftAssignmentFactory()
    shifts.shift_offer_decline(assignment_id=offer.pk, agent_id=offer.agent_id)

    booked = shifts.shift_slot_book(slot_id=offer.slot_id, agent_id=offer.agent_id)

    assert booked.pk == offer.pk
    assert booked.state == St.BOOKED
    assert booked.offer_expires_at is None


def test_the_database_refuses_a_second_row_for_one_agent_and_slot():
    from django.db import IntegrityError, transaction

    offer = ShiftAssignmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ShiftAssignmentFactory(slot=offer.slot, agent=offer.agent)


def _always():
    return {day: [["00:00", "24:00"]] for day in calendar.WEEKDAY_KEYS}
