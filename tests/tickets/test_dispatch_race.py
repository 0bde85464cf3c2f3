"""Offers decided by PostgreSQL, with real threads racing: each thread is what a separate
server process or worker would be, with its own connection and transactions.

What is being proven is the database's part (SKIP LOCKED rounds, row locks in one order,
conditional UPDATEs, the partial unique constraints), so these run on PostgreSQL only; on
SQLite the database-wide write lock would serialise everything and prove nothing.
"""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connections
from django.db.models import Count
from django.utils import timezone

from agents.models import Agent
from tests.factories import AgentFactory, QueuedTicketFactory
from tickets import dispatch, services
from tickets.dispatch import OfferGone
from tickets.models import Message, Offer, Ticket, TicketEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]
Outcome = Offer.Outcome


def race(workers: list[Callable[[], object]]) -> list[object]:
    """Run each worker in a thread of its own, all released at once; their results in order.
    A worker's exception is its result: refusals are outcomes, not failures."""
    start = threading.Barrier(len(workers))
    results: list[object] = [None] * len(workers)

    def run(index: int, work: Callable[[], object]) -> None:
        try:
            start.wait(timeout=30)
            results[index] = work()
        except BaseException as error:  # kept as the outcome; unexpected ones fail below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return results


def offers_out(count: int) -> list[Offer]:
    """``count`` agents, each offered one of ``count`` tickets by a real round."""
    AgentFactory.create_batch(count)
    QueuedTicketFactory.create_batch(count)
    made = dispatch.dispatch_round()
    assert len(made) == count
    return list(Offer.objects.filter(pk__in=made).order_by("pk"))


def jitter(seed: int) -> None:
    time.sleep(random.Random(seed).uniform(0, 0.02))


def assert_no_ticket_or_agent_has_two_offers_out() -> None:
    pending = Offer.objects.filter(outcome=Outcome.PENDING)
    per_ticket = pending.values("ticket_id").annotate(n=Count("id")).filter(n__gt=1)
    per_agent = pending.values("agent_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not per_ticket.exists()
    assert not per_agent.exists()


def assert_nobody_over_capacity() -> None:
    held = Counter(
        Ticket.objects.filter(status=Ticket.Status.ASSIGNED).values_list("agent_id", flat=True)
    )
    capacity = dict(Agent.objects.values_list("pk", "capacity"))
    assert all(count <= capacity[agent_id] for agent_id, count in held.items()), held


# --- An accept against what else may end an offer ---------------------------------------------


def test_an_accept_racing_the_expiry_sweep_ends_each_offer_one_way_only():
    offers = offers_out(12)
    due = max(offer.expires_at for offer in offers)

    def accept(offer: Offer, seed: int):
        def work():
            jitter(seed)
            return dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)

        return work

    def sweep(seed: int):
        def work():
            jitter(seed)
            return dispatch.offers_expire(now=due)

        return work

    results = race(
        [accept(offer, i) for i, offer in enumerate(offers)] + [sweep(100 + i) for i in range(3)]
    )

    accepts, sweeps = results[: len(offers)], results[len(offers) :]
    assert all(isinstance(swept, list) for swept in sweeps), sweeps
    expired_by_sweeps = Counter(offer_id for swept in sweeps for offer_id in swept)
    assert set(expired_by_sweeps.values()) <= {1}  # no offer expired twice
    for offer, accepted in zip(offers, accepts, strict=True):
        offer.refresh_from_db()
        ticket = Ticket.objects.get(pk=offer.ticket_id)
        misses = Agent.objects.get(pk=offer.agent_id).consecutive_missed_offers
        if isinstance(accepted, Ticket):
            assert offer.outcome == Outcome.ACCEPTED
            assert (ticket.status, ticket.agent_id, misses) == ("assigned", offer.agent_id, 0)
            assert offer.pk not in expired_by_sweeps
        else:
            assert isinstance(accepted, OfferGone), accepted
            assert accepted.reason == "expired"
            assert offer.outcome == Outcome.EXPIRED
            assert (ticket.status, ticket.agent_id, misses) == ("queued", None, 1)
            assert expired_by_sweeps[offer.pk] == 1
    assigned = Ticket.objects.filter(status=Ticket.Status.ASSIGNED).count()
    assert TicketEvent.objects.filter(to_status="assigned").count() == assigned


def test_an_accept_racing_the_customer_leaving_ends_each_offer_one_way_only():
    offers = offers_out(8)

    def accept(offer: Offer, seed: int):
        def work():
            jitter(seed)
            return dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)

        return work

    def leave(offer: Offer, seed: int):
        def work():
            jitter(seed)
            return services.ticket_abandon(ticket_id=offer.ticket_id, reason="customer left")

        return work

    results = race(
        [accept(offer, i) for i, offer in enumerate(offers)]
        + [leave(offer, 50 + i) for i, offer in enumerate(offers)]
    )

    accepts, leaves = results[: len(offers)], results[len(offers) :]
    for offer, accepted, left in zip(offers, accepts, leaves, strict=True):
        offer.refresh_from_db()
        ticket = Ticket.objects.get(pk=offer.ticket_id)
        if isinstance(accepted, Ticket):
            assert isinstance(left, services.TransitionNotAllowed), left
            assert offer.outcome == Outcome.ACCEPTED
            assert (ticket.status, ticket.agent_id) == ("assigned", offer.agent_id)
        else:
            assert isinstance(accepted, OfferGone), accepted
            assert accepted.reason == "withdrawn"
            assert isinstance(left, Ticket), left
            assert offer.outcome == Outcome.WITHDRAWN
            assert (ticket.status, ticket.agent_id) == ("abandoned", None)


def test_many_accepts_of_one_offer_make_exactly_one_claim():
    [offer] = offers_out(1)

    results = race(
        [
            lambda: dispatch.offer_accept(offer_id=offer.pk, agent_id=offer.agent_id)
            for _ in range(12)
        ]
    )

    claims = [result for result in results if isinstance(result, Ticket)]
    refusals = [result for result in results if not isinstance(result, Ticket)]
    assert len(claims) == 1
    assert all(isinstance(r, OfferGone) and r.reason == "taken" for r in refusals), refusals
    assert TicketEvent.objects.filter(ticket_id=offer.ticket_id, to_status="assigned").count() == 1
    assert (
        Message.objects.filter(
            ticket_id=offer.ticket_id, body__endswith="joined the conversation."
        ).count()
        == 1
    )


# --- Dispatchers against each other --------------------------------------------------------------


def test_racing_dispatchers_never_reserve_a_ticket_or_an_agent_twice():
    agents = AgentFactory.create_batch(6, capacity=2)
    QueuedTicketFactory.create_batch(20)

    def dispatcher():
        made = []
        for _ in range(5):
            made += dispatch.dispatch_round()
        return made

    results = race([dispatcher for _ in range(8)])

    # No round failed: the locks decided, the unique constraints never had to.
    assert all(isinstance(made, list) for made in results), results
    made = [offer_id for round_offers in results for offer_id in round_offers]
    assert len(made) == len(set(made))
    assert_no_ticket_or_agent_has_two_offers_out()
    # Every free agent got exactly one offer, and nothing else was made.
    pending = Offer.objects.filter(outcome=Outcome.PENDING)
    assert sorted(pending.values_list("agent_id", flat=True)) == sorted(a.pk for a in agents)
    assert sorted(made) == sorted(pending.values_list("pk", flat=True))


def test_racing_dispatchers_for_one_ticket_and_one_agent_make_one_offer():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()

    results = race([dispatch.dispatch_round for _ in range(10)])

    assert all(isinstance(made, list) for made in results), results
    assert sum(len(made) for made in results) == 1
    assert list(Offer.objects.values_list("ticket_id", "agent_id", "outcome")) == [
        (ticket.pk, agent.pk, "pending")
    ]


def test_dispatchers_and_accepting_agents_assign_every_ticket_once_within_capacity():
    capacity = 3
    agents = AgentFactory.create_batch(6, capacity=capacity)
    tickets = QueuedTicketFactory.create_batch(24)
    slots = len(agents) * capacity
    deadline = time.monotonic() + 60

    def all_slots_taken() -> bool:
        return Ticket.objects.filter(status=Ticket.Status.ASSIGNED).count() >= slots

    def dispatcher():
        while time.monotonic() < deadline and not all_slots_taken():
            dispatch.dispatch_round()
            time.sleep(0.005)
        return "done"

    def agent_at_work(agent_id: int):
        def work():
            outcomes = []
            while time.monotonic() < deadline and not all_slots_taken():
                offer = Offer.objects.filter(agent_id=agent_id, outcome=Outcome.PENDING).first()
                if offer is None:
                    time.sleep(0.005)
                    continue
                try:
                    dispatch.offer_accept(offer_id=offer.pk, agent_id=agent_id)
                    outcomes.append("accepted")
                except OfferGone as gone:
                    outcomes.append(gone.reason)
            return outcomes

        return work

    results = race([dispatcher] * 4 + [agent_at_work(agent.pk) for agent in agents])

    assert results[:4] == ["done"] * 4, results[:4]
    assert all(isinstance(r, list) for r in results[4:]), results[4:]
    assert all_slots_taken()
    assert_nobody_over_capacity()
    assert_no_ticket_or_agent_has_two_offers_out()
    # Each assigned ticket was claimed once, by the one offer accepted for it.
    assigned = Ticket.objects.filter(status=Ticket.Status.ASSIGNED)
    assert assigned.count() == slots
    accepted = Offer.objects.filter(outcome=Outcome.ACCEPTED)
    assert sorted(accepted.values_list("ticket_id", "agent_id")) == sorted(
        assigned.values_list("pk", "agent_id")
    )
    assert TicketEvent.objects.filter(to_status="assigned").count() == slots
    still_queued = Ticket.objects.filter(pk__in=[t.pk for t in tickets], status="queued")
    assert still_queued.count() == len(tickets) - slots


def test_rounds_racing_claims_from_the_open_queue_never_leave_an_offer_on_a_held_ticket():
    # Hybrid routing: offers go out while other agents pick from the list.
    AgentFactory.create_batch(4)
    pickers = AgentFactory.create_batch(4)
    tickets = QueuedTicketFactory.create_batch(8)
    # Offered last by the ranking, so that the rounds offer to the others.
    Agent.objects.filter(pk__in=[p.pk for p in pickers]).update(last_offered_at=timezone.now())

    def picker(agent_id: int, seed: int):
        def work():
            order = [t.pk for t in tickets]
            random.Random(seed).shuffle(order)
            return [services.ticket_claim(ticket_id=t, agent_id=agent_id).ok for t in order]

        return work

    results = race(
        [dispatch.dispatch_round for _ in range(4)]
        + [picker(p.pk, i) for i, p in enumerate(pickers)]
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    held = Ticket.objects.exclude(status=Ticket.Status.QUEUED).values_list("pk", flat=True)
    assert not Offer.objects.filter(outcome=Outcome.PENDING, ticket_id__in=held).exists()
    assert_no_ticket_or_agent_has_two_offers_out()
    assert_nobody_over_capacity()
