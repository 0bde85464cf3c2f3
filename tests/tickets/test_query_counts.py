"""The hot paths cost a fixed number of queries, however long the queue or the transcript."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AgentFactory, QueuedTicketFactory
from tickets import messages, protocol, services

pytestmark = pytest.mark.django_db


def queries_for(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


@pytest.mark.parametrize("queue_length", [1, 30])
def test_the_queue_snapshot_costs_the_same_for_any_queue_length(queue_length):
    agent = AgentFactory()
    QueuedTicketFactory.create_batch(queue_length)

    count = queries_for(lambda: protocol.agent_snapshot(agent=agent))

    # the queue, what waits for skills the agent lacks (issue #19), the held tickets
    assert count == 3


@pytest.mark.parametrize("queue_length", [1, 30])
def test_a_claim_costs_the_same_for_any_queue_length(
    queue_length, django_capture_on_commit_callbacks
):
    agent = AgentFactory()
    tickets = QueuedTicketFactory.create_batch(queue_length)

    with django_capture_on_commit_callbacks(execute=False):
        count = queries_for(
            lambda: services.ticket_claim(ticket_id=tickets[-1].pk, agent_id=agent.pk)
        )

    # 11 before offers; then the agent's last-assignment stamp (the dispatcher's fairness)
    # and the look for an offer out on the ticket, to withdraw it.
    assert count <= 13


@pytest.mark.parametrize("earlier_messages", [0, 40])
def test_sending_a_message_costs_the_same_for_any_transcript_length(
    earlier_messages, django_capture_on_commit_callbacks
):
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    for i in range(earlier_messages):
        messages.message_post_customer(token=ticket.token, client_id=f"old-{i}", body="earlier")

    with django_capture_on_commit_callbacks(execute=False):
        count = queries_for(
            lambda: messages.message_post_agent(
                ticket_id=ticket.pk, agent_id=agent.pk, client_id="new", body="hello"
            )
        )

    assert count <= 8


@pytest.mark.parametrize("held_tickets", [1, 3])
def test_the_snapshot_of_held_tickets_with_notes_costs_the_same_for_any_number(held_tickets):
    agent = AgentFactory(capacity=3)
    for ticket in QueuedTicketFactory.create_batch(held_tickets):
        services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
        for n in range(2):
            messages.ticket_note_add(
                ticket_id=ticket.pk, agent_id=agent.pk, client_id=f"n{n}", body="noted"
            )

    count = queries_for(lambda: protocol.agent_snapshot(agent=agent))

    # the queue, what waits for skills it lacks, the held tickets, their notes with authors
    assert count == 4


@pytest.mark.parametrize("earlier_notes", [0, 20])
def test_a_claim_reply_costs_the_same_for_any_number_of_earlier_notes(
    earlier_notes, django_capture_on_commit_callbacks
):
    earlier, agent = AgentFactory(), AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=earlier.pk)
    for n in range(earlier_notes):
        messages.ticket_note_add(
            ticket_id=ticket.pk, agent_id=earlier.pk, client_id=f"n{n}", body="noted"
        )
    services.ticket_release(ticket_id=ticket.pk, agent_id=earlier.pk, reason="handover")

    with django_capture_on_commit_callbacks(execute=False):
        count = queries_for(lambda: protocol.agent_claim(agent_id=agent.pk, ticket_id=ticket.pk))

    # The claim's own (13, as above), the transcript, the notes with their authors.
    assert count <= 15


def test_adding_a_note_costs_a_fixed_number_of_queries(django_capture_on_commit_callbacks):
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    with django_capture_on_commit_callbacks(execute=False):
        count = queries_for(
            lambda: messages.ticket_note_add(
                ticket_id=ticket.pk, agent_id=agent.pk, client_id="n", body="noted"
            )
        )

    assert count <= 6


def test_a_customer_message_is_one_locked_read_one_dedupe_read_one_update_and_one_insert(
    django_capture_on_commit_callbacks,
):
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as captured,
    ):
        messages.message_post_customer(token=ticket.token, client_id="c-1", body="hello")

    statements = [
        query["sql"].split()[0]
        for query in captured.captured_queries
        if "SAVEPOINT" not in query["sql"]
    ]
    assert statements == ["SELECT", "SELECT", "UPDATE", "INSERT"]


def test_a_claim_of_a_taken_ticket_is_refused_by_one_read_with_no_lock_or_write(
    django_capture_on_commit_callbacks,
):
    winner, loser = AgentFactory(), AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=winner.pk)

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as captured,
    ):
        result = services.ticket_claim(ticket_id=ticket.pk, agent_id=loser.pk)

    sql = [query["sql"].upper() for query in captured.captured_queries]
    assert (result.ok, result.reason) == (False, "taken")
    assert len(sql) == 1
    assert sql[0].startswith("SELECT")
    assert "FOR UPDATE" not in sql[0]
    assert callbacks == []  # nothing announced


@pytest.mark.parametrize("agent_count", [1, 20])
def test_the_queue_resync_of_a_process_costs_the_same_for_any_number_of_agents(agent_count):
    agents = AgentFactory.create_batch(agent_count)
    QueuedTicketFactory.create_batch(3)

    count = queries_for(lambda: protocol.agents_resync(agent_ids=[a.pk for a in agents]))

    # the agents with their users, one queue and one count of what waits for skills they lack
    # for the shared languages and skills; the factories' liveness stamps are fresh, so no write
    assert count == 3
