"""The process's claim coalescing: one claim per ticket at a time reaches the database, and
a ticket seen leaving the queue is refused without it (tickets.consumers.ClaimCoalescer)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from tests.factories import AgentFactory, TicketFactory
from tests.tickets.wsclient import open_agent
from tickets import services
from tickets.consumers import ClaimCoalescer
from tickets.models import Ticket

TICKET = 7
PUSH = ("queue.en", {"type": "ticket.taken", "ticket": TICKET})


def ok(ticket_id=TICKET):
    return {"type": "claim.ok", "ticket": {"id": ticket_id}}


def failed(reason, ticket_id=TICKET):
    return {"type": "claim.failed", "ticket": ticket_id, "reason": reason}


class GatedDatabase:
    """Stands in for the database claim: records who reached it and answers when told."""

    def __init__(self):
        self.calls: list[int] = []
        self.entered = asyncio.Event()
        self.answers: asyncio.Queue = asyncio.Queue()

    async def __call__(self, *, agent_id, ticket_id):
        self.calls.append(agent_id)
        self.entered.set()
        return await self.answers.get(), [PUSH]


async def settle():
    """Let every ready task run up to its next wait."""
    for _ in range(5):
        await asyncio.sleep(0)


async def leader_and_waiter(database: GatedDatabase):
    """Agent 1's claim at the database, and agent 2's claim of the same ticket waiting on it."""
    coalescer = ClaimCoalescer(database)
    leader = asyncio.create_task(coalescer.claim(agent_id=1, ticket_id=TICKET))
    await database.entered.wait()
    waiter = asyncio.create_task(coalescer.claim(agent_id=2, ticket_id=TICKET))
    await settle()
    return leader, waiter


async def test_claims_arriving_while_one_is_in_flight_wait_for_it_and_hear_taken_when_it_wins():
    database = GatedDatabase()
    coalescer = ClaimCoalescer(database)
    claims = [
        asyncio.create_task(coalescer.claim(agent_id=agent, ticket_id=TICKET))
        for agent in range(1, 6)
    ]
    await database.entered.wait()
    await settle()

    database.answers.put_nowait(ok())
    replies = await asyncio.gather(*claims)

    assert database.calls == [1]
    assert replies == [(ok(), [PUSH])] + [(failed("taken"), [])] * 4


async def test_when_the_claim_in_flight_fails_for_its_own_agent_the_next_waiter_asks_the_database():
    database = GatedDatabase()
    first, second = await leader_and_waiter(database)

    database.answers.put_nowait(failed("capacity"))
    database.answers.put_nowait(ok())

    assert (await first)[0] == failed("capacity")
    assert (await second)[0] == ok()
    assert database.calls == [1, 2]


async def test_a_ticket_announced_as_taken_is_refused_without_the_database():
    database = GatedDatabase()
    coalescer = ClaimCoalescer(database)

    coalescer.seen_taken(TICKET)

    assert await coalescer.claim(agent_id=1, ticket_id=TICKET) == (failed("taken"), [])
    assert database.calls == []


async def test_a_ticket_announced_again_after_being_taken_goes_to_the_database():
    database = GatedDatabase()
    coalescer = ClaimCoalescer(database)
    coalescer.seen_taken(TICKET)

    coalescer.seen_queued(TICKET)
    database.answers.put_nowait(ok())

    assert (await coalescer.claim(agent_id=1, ticket_id=TICKET))[0] == ok()
    assert database.calls == [1]


async def test_the_memory_of_a_taken_ticket_expires():
    now = [1000.0]
    database = GatedDatabase()
    coalescer = ClaimCoalescer(database, clock=lambda: now[0])
    coalescer.seen_taken(TICKET)

    now[0] += ClaimCoalescer.TAKEN_MEMORY_SECONDS + 0.1
    database.answers.put_nowait(ok())

    assert (await coalescer.claim(agent_id=1, ticket_id=TICKET))[0] == ok()
    assert database.calls == [1]


async def test_the_memory_of_taken_tickets_is_bounded():
    coalescer = ClaimCoalescer(GatedDatabase())

    for ticket_id in range(ClaimCoalescer.TAKEN_MEMORY_SIZE + 50):
        coalescer.seen_taken(ticket_id)

    assert len(coalescer.taken_at) == ClaimCoalescer.TAKEN_MEMORY_SIZE
    assert not coalescer.known_taken(0)
    assert coalescer.known_taken(ClaimCoalescer.TAKEN_MEMORY_SIZE + 49)


async def test_a_waiter_whose_socket_closes_does_not_cancel_the_claim_it_waits_on():
    database = GatedDatabase()
    leader, waiter = await leader_and_waiter(database)

    waiter.cancel()
    await settle()
    database.answers.put_nowait(ok())

    assert (await leader)[0] == ok()
    assert waiter.cancelled()


async def test_a_claim_that_raises_lets_the_waiters_go_to_the_database():
    calls = []

    async def database(*, agent_id, ticket_id):
        calls.append(agent_id)
        if agent_id == 1:
            await asyncio.sleep(0)
            raise RuntimeError("database went away")
        return ok(), []

    coalescer = ClaimCoalescer(database)
    leader = asyncio.create_task(coalescer.claim(agent_id=1, ticket_id=TICKET))
    waiter = asyncio.create_task(coalescer.claim(agent_id=2, ticket_id=TICKET))

    with pytest.raises(RuntimeError):
        await leader
    assert await waiter == (ok(), [])
    assert calls == [1, 2]


@pytest.mark.django_db(transaction=True)
async def test_agents_claiming_one_ticket_at_once_over_their_sockets_get_one_winner(settings):
    settings.ROUTING_MODE = "pick"
    agents = [await sync_to_async(AgentFactory)() for _ in range(4)]
    ticket = await sync_to_async(TicketFactory)()
    sockets = [(await open_agent(agent.user))[0] for agent in agents]
    await sync_to_async(services.ticket_escalate)(ticket_id=ticket.pk, reason="customer_request")
    for socket in sockets:
        await socket.receive_type("ticket.new")

    for socket in sockets:
        await socket.send({"type": "claim", "ticket": ticket.pk})
    replies = [await socket.receive_type("claim.ok", "claim.failed") for socket in sockets]

    winners = [reply for reply in replies if reply["type"] == "claim.ok"]
    assert len(winners) == 1
    assert sorted(r.get("reason", "") for r in replies) == ["", "taken", "taken", "taken"]
    stored = await sync_to_async(Ticket.objects.get)(pk=ticket.pk)
    assert stored.agent_id == agents[replies.index(winners[0])].pk
    for socket in sockets:
        await socket.close()
