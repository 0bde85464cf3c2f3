"""First come, first served, up to the headcount: agents racing for a slot's last seats.

Real threads on PostgreSQL, where the row lock on the slot is what is being proven: without
it, every thread counts the seats before any of them inserts, and the slot is overbooked.
"""

import threading

import pytest
from django.db import connections

from tests.factories import AgentFactory, ShiftSlotFactory
from workforce import shifts
from workforce.models import ShiftAssignment

BOOKERS = 16
HEADCOUNT = 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_racing_bookings_fill_a_slot_exactly_to_its_headcount():
    slot = ShiftSlotFactory(headcount_required=HEADCOUNT)
    agent_ids = [AgentFactory().pk for _ in range(BOOKERS)]
    start = threading.Barrier(BOOKERS)
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def book(agent_id: int) -> None:
        try:
            start.wait(timeout=30)
            try:
                shifts.shift_slot_book(slot_id=slot.pk, agent_id=agent_id)
                outcome = "booked"
            except shifts.ShiftError as error:
                outcome = str(error)
            with lock:
                outcomes[agent_id] = outcome
        except BaseException as error:  # surfaced below: a thread must not fail silently
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(agent_id,)) for agent_id in agent_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    booked = [agent_id for agent_id, outcome in outcomes.items() if outcome == "booked"]
    assert len(booked) == HEADCOUNT
    assert {outcome for outcome in outcomes.values()} == {"booked", "This shift is full."}
    assert sorted(booked) == sorted(
        ShiftAssignment.objects.filter(slot=slot).values_list("agent_id", flat=True)
    )
