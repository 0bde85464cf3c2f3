"""Confirmed resolution (docs/quality.md): "Did this solve your problem?", the reopen, writing
again within the window, and the sweep that confirms what stayed quiet."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import Agent
from tests.factories import AgentFactory, QueuedTicketFactory
from tickets import dispatch, events, messages, selectors, services
from tickets.models import Message, Offer, Ticket, TicketEvent
from tickets.signals import resolution_confirmed, ticket_reopened

pytestmark = pytest.mark.django_db

Status = Ticket.Status


def resolved_ticket(agent=None, **fields) -> Ticket:
    ticket = QueuedTicketFactory(**fields)
    agent = agent or AgentFactory()
    assert services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    return services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)


def resolved_hours_ago(ticket: Ticket, hours: float) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(hours=hours))
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def heard():
    """What tickets announced to the apps above, in order."""
    calls = []

    def confirmed(sender, *, ticket, **kwargs):
        calls.append(("confirmed", ticket.pk, ticket.resolution_confirmed_by))

    def reopened(sender, *, ticket, agent_id, reason, **kwargs):
        calls.append(("reopened", ticket.pk, agent_id, reason))

    resolution_confirmed.connect(confirmed, dispatch_uid="test.confirmed")
    ticket_reopened.connect(reopened, dispatch_uid="test.reopened")
    yield calls
    resolution_confirmed.disconnect(dispatch_uid="test.confirmed")
    ticket_reopened.disconnect(dispatch_uid="test.reopened")


def snapshot(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.resolution_confirmed_at,
        ticket.resolution_confirmed_by,
        ticket.reopen_count,
        ticket.last_seq,
        TicketEvent.objects.filter(ticket=ticket).count(),
    )


# --- Resolve ------------------------------------------------------------------------------


def test_a_resolve_records_who_resolved_it():
    agent = AgentFactory()

    ticket = resolved_ticket(agent)

    assert ticket.resolved_by_id == agent.pk
    assert ticket.resolution_confirmed_at is None
    assert selectors.confirmation_asked(ticket)


# --- Yes ----------------------------------------------------------------------------------


def test_yes_confirms_the_resolution_by_the_customer_and_announces_it(heard):
    ticket = resolved_ticket()

    services.ticket_resolution_confirm(token=ticket.token, solved=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution_confirmed_at is not None
    assert ticket.resolution_confirmed_by == Ticket.ResolutionConfirmation.CUSTOMER
    assert heard == [("confirmed", ticket.pk, "customer")]
    assert not selectors.confirmation_asked(ticket)


def test_yes_is_allowed_after_the_window_while_the_sweep_has_not_run(heard):
    ticket = resolved_hours_ago(resolved_ticket(), 100)

    services.ticket_resolution_confirm(token=ticket.token, solved=True)

    assert heard == [("confirmed", ticket.pk, "customer")]


# --- No: the reopen -----------------------------------------------------------------------


def test_no_reopens_the_ticket_to_the_queue_in_its_original_place(heard):
    agent = AgentFactory()
    ticket = resolved_ticket(agent)
    escalated_at = ticket.escalated_at
    ticket_rated = services.ticket_rate(token=ticket.token, score=2)

    services.ticket_resolution_confirm(token=ticket.token, solved=False)

    ticket.refresh_from_db()
    assert ticket.status == Status.QUEUED
    assert ticket.agent_id is None
    assert ticket.escalated_at == escalated_at
    assert ticket.reopen_count == 1
    assert ticket.resolved_by_id == agent.pk
    assert ticket.preferred_agent_id == agent.pk
    assert ticket.rating == ticket_rated.rating == 2
    assert heard == [("reopened", ticket.pk, agent.pk, "not_solved")]


def test_a_reopen_is_audited_as_the_customers_naming_the_resolving_agent():
    agent = AgentFactory()
    ticket = resolved_ticket(agent)

    services.ticket_resolution_confirm(token=ticket.token, solved=False)

    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert (event.from_status, event.to_status) == (Status.RESOLVED, Status.QUEUED)
    assert (event.actor_kind, event.agent_id) == (TicketEvent.Actor.CUSTOMER, agent.pk)
    assert event.reason == "reopened: not_solved"


def test_a_reopen_tells_the_customer_they_are_at_the_front_of_the_queue():
    ticket = resolved_ticket()

    services.ticket_resolution_confirm(token=ticket.token, solved=False)

    last = Message.objects.filter(ticket=ticket).order_by("seq").last()
    assert last.sender == Message.Sender.SYSTEM
    assert last.body == "You said this wasn't solved, so you're at the front of the queue."


def test_a_reopened_ticket_goes_ahead_of_tickets_escalated_after_it():
    first = QueuedTicketFactory(escalated_at=timezone.now() - timedelta(hours=2))
    agent = AgentFactory()
    services.ticket_claim(ticket_id=first.pk, agent_id=agent.pk)
    services.ticket_resolve(ticket_id=first.pk, agent_id=agent.pk)
    later = QueuedTicketFactory(escalated_at=timezone.now() - timedelta(minutes=5))

    services.ticket_resolution_confirm(token=first.token, solved=False)

    first.refresh_from_db()
    later.refresh_from_db()
    assert services.selectors.queue_position(ticket=first) == 1
    assert services.selectors.queue_position(ticket=later) == 2


def test_the_next_resolve_after_a_reopen_is_asked_again():
    ticket = resolved_ticket()
    services.ticket_resolution_confirm(token=ticket.token, solved=False)
    other = AgentFactory()

    assert services.ticket_claim(ticket_id=ticket.pk, agent_id=other.pk).ok
    ticket = services.ticket_resolve(ticket_id=ticket.pk, agent_id=other.pk)

    assert ticket.resolved_by_id == other.pk
    assert selectors.confirmation_asked(ticket)
    services.ticket_resolution_confirm(token=ticket.token, solved=True)


# --- Refusals: each changes nothing ---------------------------------------------------------


@pytest.mark.parametrize("solved", [True, False])
def test_confirming_a_ticket_that_is_not_resolved_is_refused_and_changes_nothing(solved, heard):
    ticket = QueuedTicketFactory()
    before = snapshot(ticket)

    with pytest.raises(services.TicketError) as error:
        services.ticket_resolution_confirm(token=ticket.token, solved=solved)

    assert error.value.code == "not_resolved"
    assert snapshot(ticket) == before
    assert heard == []


@pytest.mark.parametrize("solved", [True, False])
def test_answering_again_once_confirmed_is_refused_and_changes_nothing(solved, heard):
    ticket = resolved_ticket()
    services.ticket_resolution_confirm(token=ticket.token, solved=True)
    heard.clear()
    before = snapshot(ticket)

    with pytest.raises(services.TicketError) as error:
        services.ticket_resolution_confirm(token=ticket.token, solved=solved)

    assert error.value.code == "already_confirmed"
    assert snapshot(ticket) == before
    assert heard == []


def test_no_after_the_reopen_window_is_refused_and_changes_nothing(heard):
    ticket = resolved_hours_ago(resolved_ticket(), 73)
    before = snapshot(ticket)

    with pytest.raises(services.TicketError) as error:
        services.ticket_resolution_confirm(token=ticket.token, solved=False)

    assert error.value.code == "reopen_window_closed"
    assert snapshot(ticket) == before
    assert heard == []


def test_an_unknown_conversation_is_refused():
    with pytest.raises(services.TicketError) as error:
        services.ticket_resolution_confirm(token="nope", solved=True)

    assert error.value.code == "not_found"


def test_the_window_follows_the_setting(settings):
    settings.REOPEN_WINDOW_HOURS = 1
    ticket = resolved_hours_ago(resolved_ticket(), 2)

    with pytest.raises(services.TicketError) as error:
        services.ticket_resolution_confirm(token=ticket.token, solved=False)

    assert error.value.code == "reopen_window_closed"


# --- Writing again ------------------------------------------------------------------------


def test_writing_again_within_the_window_reopens_and_keeps_the_message(heard):
    agent = AgentFactory()
    ticket = resolved_ticket(agent)

    message, created = messages.message_post_customer(
        token=ticket.token, client_id="again", body="It's broken again"
    )

    ticket.refresh_from_db()
    assert created
    assert (message.ticket_id, message.body) == (ticket.pk, "It's broken again")
    assert ticket.status == Status.QUEUED
    assert ticket.reopen_count == 1
    assert heard == [("reopened", ticket.pk, agent.pk, "wrote_again")]
    assert TicketEvent.objects.filter(ticket=ticket).last().reason == "reopened: wrote_again"


def test_a_resent_message_that_reopened_the_ticket_is_stored_once_and_reopens_once(heard):
    ticket = resolved_ticket()
    first, _ = messages.message_post_customer(token=ticket.token, client_id="c1", body="again")

    again, created = messages.message_post_customer(
        token=ticket.token, client_id="c1", body="again"
    )

    ticket.refresh_from_db()
    assert (again.pk, created) == (first.pk, False)
    assert ticket.reopen_count == 1
    assert len(heard) == 1


def test_writing_after_the_window_does_not_reopen(heard):
    ticket = resolved_hours_ago(resolved_ticket(), 73)
    before = snapshot(ticket)

    with pytest.raises(services.ConversationClosed):
        messages.message_post_customer(token=ticket.token, client_id="late", body="hello?")

    assert snapshot(ticket) == before
    assert heard == []


# --- The window sweep -----------------------------------------------------------------------


def test_the_sweep_confirms_only_resolutions_whose_window_passed(heard):
    quiet = resolved_hours_ago(resolved_ticket(), 73)
    recent = resolved_ticket()

    confirmed = services.resolutions_confirm_quiet()

    assert confirmed == [quiet.pk]
    quiet.refresh_from_db()
    recent.refresh_from_db()
    assert quiet.resolution_confirmed_by == Ticket.ResolutionConfirmation.WINDOW
    assert recent.resolution_confirmed_at is None
    assert heard == [("confirmed", quiet.pk, "window")]


def test_the_sweep_run_twice_confirms_once(heard):
    quiet = resolved_hours_ago(resolved_ticket(), 80)

    assert services.resolutions_confirm_quiet() == [quiet.pk]
    assert services.resolutions_confirm_quiet() == []

    assert heard == [("confirmed", quiet.pk, "window")]


def test_the_sweep_leaves_tickets_the_customer_confirmed_or_reopened(heard):
    confirmed = resolved_ticket()
    services.ticket_resolution_confirm(token=confirmed.token, solved=True)
    reopened = resolved_ticket()
    services.ticket_resolution_confirm(token=reopened.token, solved=False)
    heard.clear()
    Ticket.objects.update(resolved_at=timezone.now() - timedelta(hours=100))

    assert services.resolutions_confirm_quiet() == []
    assert heard == []


def test_the_sweep_works_in_bounded_batches():
    tickets = [resolved_hours_ago(resolved_ticket(), 80 + n) for n in range(3)]

    first = services.resolutions_confirm_quiet(limit=2)
    second = services.resolutions_confirm_quiet(limit=2)

    # Oldest resolve first.
    assert first == [tickets[2].pk, tickets[1].pk]
    assert second == [tickets[0].pk]


def test_the_sweep_task_confirms_every_quiet_resolution():
    from tickets import tasks

    for n in range(3):
        resolved_hours_ago(resolved_ticket(), 80 + n)

    assert tasks.confirm_quiet_resolutions() == 3
    assert tasks.confirm_quiet_resolutions() == 0


def test_a_sweep_batch_takes_a_bounded_number_of_queries(django_assert_max_num_queries):
    for n in range(10):
        resolved_hours_ago(resolved_ticket(), 80 + n)

    # Select and lock, one UPDATE for the batch, then one release of each pay line (payouts'
    # receiver; no bonus without a top rating), and the savepoint's own statements.
    with django_assert_max_num_queries(4 + 10):
        assert len(services.resolutions_confirm_quiet()) == 10


# --- The dispatcher prefers the agent who resolved it -----------------------------------------


def reopened_by(agent) -> Ticket:
    ticket = resolved_ticket(agent)
    services.ticket_resolution_confirm(token=ticket.token, solved=False)
    Offer.objects.all().delete()
    return Ticket.objects.get(pk=ticket.pk)


def test_a_reopened_ticket_is_offered_first_to_the_agent_who_resolved_it(
    django_capture_on_commit_callbacks,
):
    resolver, idle = AgentFactory(), AgentFactory()
    ticket = reopened_by(resolver)
    # Load and fairness would both choose the idle agent.
    QueuedTicketFactory(status=Status.ASSIGNED, agent=resolver)
    Agent.objects.filter(pk=idle.pk).update(last_offered_at=None, last_assigned_at=None)

    with django_capture_on_commit_callbacks(execute=False):
        dispatch.dispatch_round()

    assert list(Offer.objects.values_list("ticket_id", "agent_id")) == [(ticket.pk, resolver.pk)]


def test_a_reopened_ticket_goes_to_another_agent_when_its_resolver_is_offline(
    django_capture_on_commit_callbacks,
):
    resolver, other = AgentFactory(), AgentFactory()
    ticket = reopened_by(resolver)
    Agent.objects.filter(pk=resolver.pk).update(is_online=False, connection_count=0)

    with django_capture_on_commit_callbacks(execute=False):
        dispatch.dispatch_round()

    assert list(Offer.objects.values_list("ticket_id", "agent_id")) == [(ticket.pk, other.pk)]


def test_preferring_the_resolver_costs_no_query_in_a_round(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    agents = AgentFactory.create_batch(3)
    for agent in agents:
        reopened_by(agent)
    QueuedTicketFactory.create_batch(3)

    # As tests/tickets/test_dispatch.py counts a round of plain tickets.
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(8 + 2 + 1):
        assert len(dispatch.dispatch_round()) == 3


def test_an_agent_offered_a_reopened_ticket_sees_that_it_was_reopened():
    ticket = reopened_by(AgentFactory())

    [queued] = [t for t in selectors.queue_for_agent(agent=AgentFactory()) if t.pk == ticket.pk]

    assert events.ticket_summary(queued)["reopen_count"] == 1
