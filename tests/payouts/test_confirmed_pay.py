"""Pay for a confirmed resolution (docs/quality.md, docs/payouts.md): a ticket's pay line is
held until the customer confirms or the reopen window passes; a reopen reverses it, never
edits it; the next resolution pays whoever resolves it."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from core.dates import DAY, format_when
from payouts import ledger, selectors
from payouts import services as payout_services
from payouts.models import EarningLine
from tests.factories import (
    AgentFactory,
    PayableAgentFactory,
    QueuedTicketFactory,
    RateCardFactory,
)
from tickets import messages, services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

Kind = EarningLine.Kind
LineStatus = EarningLine.Status


def resolve(ticket: Ticket, agent) -> Ticket:
    assert services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    return services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)


def quiet_for(ticket: Ticket, hours: float) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(hours=hours))


def lines(ticket: Ticket) -> list[tuple]:
    return list(
        EarningLine.objects.filter(ticket=ticket)
        .order_by("pk")
        .values_list("kind", "agent_id", "amount_cents", "status", "resolution")
    )


def test_a_resolve_holds_its_pay_line_unconfirmed():
    RateCardFactory()
    agent = AgentFactory()

    ticket = resolve(QueuedTicketFactory(), agent)

    assert lines(ticket) == [(Kind.TICKET, agent.pk, 300, LineStatus.UNCONFIRMED, 1)]


def test_yes_releases_the_pay_line_to_wait_out_its_hold(settings):
    settings.PAYOUT_HOLD_HOURS = 24
    RateCardFactory()
    agent = AgentFactory()
    ticket = resolve(QueuedTicketFactory(), agent)

    services.ticket_resolution_confirm(token=ticket.token, solved=True)

    line = EarningLine.objects.get(ticket=ticket)
    assert line.status == LineStatus.PENDING
    assert line.available_at == ticket.resolved_at + timedelta(hours=24)


def test_a_confirmation_after_the_hold_makes_the_line_available_from_now(settings):
    settings.PAYOUT_HOLD_HOURS = 1
    RateCardFactory()
    ticket = resolve(QueuedTicketFactory(), AgentFactory())
    EarningLine.objects.filter(ticket=ticket).update(
        available_at=timezone.now() - timedelta(hours=10)
    )
    before = timezone.now()

    services.ticket_resolution_confirm(token=ticket.token, solved=True)

    assert EarningLine.objects.get(ticket=ticket).available_at >= before


def test_releasing_the_pay_line_again_changes_nothing():
    RateCardFactory()
    ticket = resolve(QueuedTicketFactory(), AgentFactory())
    services.ticket_resolution_confirm(token=ticket.token, solved=True)
    ticket.refresh_from_db()

    assert ledger.ticket_pay_line_release(ticket=ticket) == 0


def test_an_unconfirmed_line_is_never_paid_out(settings):
    settings.PAYOUT_HOLD_HOURS = 0
    RateCardFactory()
    ticket = resolve(QueuedTicketFactory(), AgentFactory())

    ledger.earning_lines_release_held(now=timezone.now() + timedelta(days=30))

    assert EarningLine.objects.get(ticket=ticket).status == LineStatus.UNCONFIRMED


def test_unconfirmed_pay_is_in_no_payout_and_no_instant_cash_out(settings):
    settings.PAYOUT_HOLD_HOURS = 0
    settings.PAYOUT_MINIMUM_CENTS = 1
    RateCardFactory()
    agent = PayableAgentFactory(stripe_account_id="acct_test")
    resolve(QueuedTicketFactory(), agent)
    EarningLine.objects.update(available_at=timezone.now() - timedelta(hours=1))

    assert payout_services.instant_payout_quote(agent=agent).payable_cents == 0
    assert payout_services.payouts_assemble() == []
    assert EarningLine.objects.get().status == LineStatus.UNCONFIRMED


def test_a_no_reopens_and_reverses_the_pay_line():
    RateCardFactory()
    agent = AgentFactory()
    ticket = resolve(QueuedTicketFactory(), agent)

    services.ticket_resolution_confirm(token=ticket.token, solved=False)

    original, reversal = EarningLine.objects.filter(ticket=ticket).order_by("pk")
    assert (original.kind, original.amount_cents, original.status) == (
        Kind.TICKET,
        300,
        LineStatus.PENDING,
    )
    assert (reversal.kind, reversal.amount_cents, reversal.status) == (
        Kind.TICKET_REVERSAL,
        -300,
        LineStatus.PENDING,
    )
    assert reversal.reverses_id == original.pk
    assert (reversal.agent_id, reversal.currency) == (agent.pk, original.currency)
    assert reversal.available_at == original.available_at
    assert reversal.source_key == f"reversal:{original.pk}"
    assert reversal.description == (
        f"Ticket #{ticket.pk} reopened: the customer said it was not solved"
    )


def test_writing_again_reverses_the_pay_line_saying_so():
    RateCardFactory()
    ticket = resolve(QueuedTicketFactory(), AgentFactory())

    messages.message_post_customer(token=ticket.token, client_id="c", body="still broken")

    reversal = EarningLine.objects.get(ticket=ticket, kind=Kind.TICKET_REVERSAL)
    assert reversal.description == (
        f"Ticket #{ticket.pk} reopened: the customer wrote again within 72 h"
    )


def test_reversing_the_pay_line_again_writes_nothing_more():
    RateCardFactory()
    ticket = resolve(QueuedTicketFactory(), AgentFactory())
    services.ticket_resolution_confirm(token=ticket.token, solved=False)
    ticket.refresh_from_db()

    again = ledger.ticket_pay_line_reverse(ticket=ticket, reason="not_solved")

    assert again == EarningLine.objects.get(kind=Kind.TICKET_REVERSAL)
    assert EarningLine.objects.filter(ticket=ticket).count() == 2


def test_a_reversed_line_and_its_reversal_net_to_zero_in_the_agents_balance():
    RateCardFactory()
    agent = AgentFactory()
    ticket = resolve(QueuedTicketFactory(), agent)

    services.ticket_resolution_confirm(token=ticket.token, solved=False)

    [totals] = selectors.earnings_totals(agent=agent)
    assert (totals.unconfirmed, totals.pending, totals.earned) == (0, 0, 0)
    assert ledger.ledger_totals(agent_id=agent.pk)["lines"] == 0


def test_the_next_resolution_after_a_reopen_pays_whoever_resolves_it():
    RateCardFactory()
    first, second = AgentFactory(), AgentFactory()
    ticket = resolve(QueuedTicketFactory(), first)
    services.ticket_resolution_confirm(token=ticket.token, solved=False)

    ticket = resolve(Ticket.objects.get(pk=ticket.pk), second)

    new = EarningLine.objects.get(ticket=ticket, kind=Kind.TICKET, resolution=2)
    assert (new.agent_id, new.amount_cents, new.status) == (second.pk, 300, LineStatus.UNCONFIRMED)
    assert new.source_key == f"ticket:{ticket.pk}:r2"
    services.ticket_resolution_confirm(token=ticket.token, solved=True)
    assert lines(ticket) == [
        (Kind.TICKET, first.pk, 300, LineStatus.PENDING, 1),
        (Kind.TICKET_REVERSAL, first.pk, -300, LineStatus.PENDING, 0),
        (Kind.TICKET, second.pk, 300, LineStatus.PENDING, 2),
    ]


def test_a_second_reopen_reverses_the_second_resolutions_line():
    RateCardFactory()
    first, second = AgentFactory(), AgentFactory()
    ticket = resolve(QueuedTicketFactory(), first)
    services.ticket_resolution_confirm(token=ticket.token, solved=False)
    ticket = resolve(Ticket.objects.get(pk=ticket.pk), second)

    services.ticket_resolution_confirm(token=ticket.token, solved=False)

    reversals = EarningLine.objects.filter(kind=Kind.TICKET_REVERSAL).order_by("pk")
    reversed_lines = [(r.agent_id, r.reverses.resolution) for r in reversals]
    assert reversed_lines == [(first.pk, 1), (second.pk, 2)]


# --- The top-rating bonus: written once the resolution is confirmed -----------------------


def test_a_top_rating_of_an_unconfirmed_resolution_waits_for_the_confirmation():
    RateCardFactory(top_rating_bonus_cents=75)
    agent = AgentFactory()
    ticket = resolve(QueuedTicketFactory(), agent)

    services.ticket_rate(token=ticket.token, score=5)
    assert not EarningLine.objects.filter(kind=Kind.TOP_RATING_BONUS).exists()
    services.ticket_resolution_confirm(token=ticket.token, solved=True)

    bonus = EarningLine.objects.get(kind=Kind.TOP_RATING_BONUS)
    assert (bonus.agent_id, bonus.amount_cents, bonus.status) == (agent.pk, 75, LineStatus.PENDING)


def test_a_top_rating_then_a_reopen_earns_no_bonus_for_the_reopened_resolution():
    RateCardFactory(top_rating_bonus_cents=75)
    ticket = resolve(QueuedTicketFactory(), AgentFactory())
    services.ticket_rate(token=ticket.token, score=5)

    services.ticket_resolution_confirm(token=ticket.token, solved=False)

    assert not EarningLine.objects.filter(kind=Kind.TOP_RATING_BONUS).exists()


# --- The reopen window ----------------------------------------------------------------------


def test_the_reopen_window_pays_an_unconfirmed_ticket_once():
    RateCardFactory()
    agent = AgentFactory()
    ticket = resolve(QueuedTicketFactory(), agent)
    quiet_for(ticket, 73)

    services.resolutions_confirm_quiet()
    services.resolutions_confirm_quiet()

    ticket.refresh_from_db()
    assert ticket.resolution_confirmed_by == Ticket.ResolutionConfirmation.WINDOW
    assert lines(ticket) == [(Kind.TICKET, agent.pk, 300, LineStatus.PENDING, 1)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_the_reopen_window_pays_an_unconfirmed_ticket_once_with_sweeps_racing():
    RateCardFactory()
    agent = AgentFactory()
    tickets = [resolve(QueuedTicketFactory(), agent) for _ in range(20)]
    Ticket.objects.update(resolved_at=timezone.now() - timedelta(hours=73))
    start = threading.Barrier(2)
    confirmed: list[list[int]] = []
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            start.wait(timeout=30)
            batches = []
            while batch := services.resolutions_confirm_quiet(limit=3):
                batches += batch
            confirmed.append(batches)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    everything = sorted(confirmed[0] + confirmed[1])
    assert everything == sorted(ticket.pk for ticket in tickets)
    assert EarningLine.objects.filter(status=LineStatus.PENDING, kind=Kind.TICKET).count() == 20
    assert not EarningLine.objects.filter(kind=Kind.TICKET_REVERSAL).exists()
    assert not EarningLine.objects.filter(status=LineStatus.UNCONFIRMED).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_a_no_racing_the_window_sweep_either_reopens_or_confirms_never_both():
    RateCardFactory()
    ticket = resolve(QueuedTicketFactory(), AgentFactory())
    # Within the window for the customer, past it for the sweep (whose clock is moved on).
    later = timezone.now() + timedelta(hours=73)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def customer() -> None:
        try:
            start.wait(timeout=30)
            services.ticket_resolution_confirm(token=ticket.token, solved=False)
        except services.TicketError:
            pass  # the sweep won: already confirmed
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def sweep() -> None:
        try:
            start.wait(timeout=30)
            services.resolutions_confirm_quiet(now=later)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=customer), threading.Thread(target=sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    ticket.refresh_from_db()
    reversed_ = EarningLine.objects.filter(kind=Kind.TICKET_REVERSAL).exists()
    if ticket.status == Ticket.Status.QUEUED:
        assert ticket.resolution_confirmed_at is None
        assert reversed_
    else:
        assert ticket.resolution_confirmed_by == Ticket.ResolutionConfirmation.WINDOW
        assert not reversed_
    assert not EarningLine.objects.filter(status=LineStatus.UNCONFIRMED).exists()


# --- What the agent sees ----------------------------------------------------------------------


def test_the_earnings_page_shows_pay_awaiting_confirmation_and_until_when(client):
    RateCardFactory()
    agent = AgentFactory()
    ticket = resolve(QueuedTicketFactory(), agent)
    client.force_login(agent.user)

    response = client.get("/portal/earnings/")

    body = response.content.decode()
    [totals] = response.context["totals"]
    assert (totals.unconfirmed, totals.pending, totals.earned) == (300, 0, 0)
    assert 'data-line-status="unconfirmed"' in body
    assert "Awaiting the customer&#x27;s confirmation" in body
    window_ends = timezone.localtime(ticket.resolved_at + timedelta(hours=72))
    # In the viewer's locale (American English here): "Dec 8, 2:30 PM".
    assert f"until {format_when(window_ends, DAY)} at the latest" in body


def test_the_earnings_page_shows_a_reversal_and_why(client):
    RateCardFactory()
    agent = AgentFactory()
    ticket = resolve(QueuedTicketFactory(), agent)
    services.ticket_resolution_confirm(token=ticket.token, solved=False)
    client.force_login(agent.user)

    body = client.get("/portal/earnings/").content.decode()

    assert 'data-line-kind="ticket_reversal"' in body
    assert f"Ticket #{ticket.pk} reopened: the customer said it was not solved" in body
    assert "-$3.00" in body or "−$3.00" in body
