"""Exactly one winner per ticket, and nobody over capacity, with real threads racing.

Runs on whichever database the suite uses; CI runs it on PostgreSQL (DATABASE_URL), where
row locks and the conditional UPDATE are what is being proven.
"""

import random
import threading
from collections import Counter

import pytest
from django.db import connections

from tests.factories import AgentFactory, QueuedTicketFactory
from tickets import services
from tickets.models import Ticket, TicketEvent

CLAIMERS = 60
TICKETS = 40
CAPACITY = 2


def race(agent_ids: list[int], ticket_ids: list[int]) -> list[tuple[int, int, str]]:
    """Each claimer thread tries every ticket in its own random order, all starting at once."""
    start = threading.Barrier(len(agent_ids))
    outcomes: list[tuple[int, int, str]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def claimer(agent_id: int, seed: int) -> None:
        order = ticket_ids[:]
        random.Random(seed).shuffle(order)
        try:
            start.wait(timeout=30)
            for ticket_id in order:
                result = services.ticket_claim(ticket_id=ticket_id, agent_id=agent_id)
                with lock:
                    outcomes.append((agent_id, ticket_id, "won" if result.ok else result.reason))
        except BaseException as error:  # surfaced below: a thread must not fail silently
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=claimer, args=(agent_id, seed))
        for seed, agent_id in enumerate(agent_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(300)
def test_concurrent_claimers_give_each_ticket_exactly_one_owner_and_respect_capacity():
    agents = [AgentFactory(capacity=CAPACITY) for _ in range(CLAIMERS)]
    tickets = [QueuedTicketFactory() for _ in range(TICKETS)]

    outcomes = race([a.pk for a in agents], [t.pk for t in tickets])

    wins = [(agent_id, ticket_id) for agent_id, ticket_id, outcome in outcomes if outcome == "won"]
    winners_per_ticket = Counter(ticket_id for _, ticket_id in wins)
    assert set(winners_per_ticket) == {t.pk for t in tickets}
    assert set(winners_per_ticket.values()) == {1}
    held = Counter(
        Ticket.objects.filter(status=Ticket.Status.ASSIGNED).values_list("agent_id", flat=True)
    )
    assert sum(held.values()) == TICKETS
    assert max(held.values()) <= CAPACITY
    # The database agrees with what the claimers were told, and each claim was audited once.
    assert sorted(wins) == sorted(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("agent_id", "pk")
    )
    assert TicketEvent.objects.filter(to_status="assigned").count() == TICKETS
    assert {outcome for *_, outcome in outcomes} <= {"won", "taken", "capacity"}
