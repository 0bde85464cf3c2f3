"""Stripe's events about our transfers and the agents' bank payouts, and the whole round trip:
resolve → pay line → hold → payout → transfer → webhook, against the local Stripe server."""

import json

import pytest
import stripe
from django.test import Client

from payouts import ledger, services, tasks
from payouts.models import BankPayout, EarningLine, Payout, StripeEvent
from tests.factories import (
    EarningLineFactory,
    PayableAgentFactory,
    QueuedTicketFactory,
    RateCardFactory,
)
from tests.fakes.stripe_fixtures import FAKE_WEBHOOK_SECRET
from tests.fakes.stripe_server import FakeStripe, sign_webhook_payload
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

WEBHOOK = "/webhooks/stripe/"


@pytest.fixture
def fake(fake_stripe_settings: FakeStripe, settings) -> FakeStripe:
    settings.PAYOUT_MINIMUM_CENTS = 500
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return fake_stripe_settings


def deliver(client: Client, event: dict):
    body = json.dumps(event).encode()
    return client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_webhook_payload(body, FAKE_WEBHOOK_SECRET),
    )


def paid_payout(fake: FakeStripe, amount: int = 2000) -> Payout:
    agent = PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"])
    EarningLineFactory(agent=agent, amount_cents=amount)
    [payout_id] = services.payouts_assemble()
    return services.payout_send(payout_id=payout_id)


def test_resolve_to_pay_line_to_payout_to_transfer_to_webhook(client, fake, settings):
    settings.PAYOUT_HOLD_HOURS = 0
    RateCardFactory(entries={(3, ""): 650})
    agent = PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"])
    ticket = QueuedTicketFactory(priority=3)
    assert ticket_services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok
    ticket_services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)
    ticket_services.ticket_resolution_confirm(token=ticket.token, solved=True)
    line = EarningLine.objects.get(ticket=ticket)
    assert (line.amount_cents, line.status) == (650, "pending")

    tasks.run_payouts()

    line.refresh_from_db()
    payout = line.payout
    assert (line.status, payout.status, payout.amount_cents) == ("paid", "paid", 650)
    [transfer] = fake.transfers
    assert (transfer["id"], transfer["amount"]) == (payout.stripe_transfer_id, 650)

    # Stripe then tells us about the transfer and, later, the agent's bank payout.
    created = fake.make_event("transfer.created", transfer)
    assert deliver(client, created).json()["status"] == "processed"
    bank = fake.set_connected_payout(agent.stripe_account_id, amount=650, status="paid")
    assert deliver(client, fake.make_event("payout.paid", bank, account=agent.stripe_account_id))
    mirrored = BankPayout.objects.get()
    assert (mirrored.agent_id, mirrored.amount_cents, mirrored.status) == (agent.pk, 650, "paid")


def test_a_transfer_event_records_a_payout_whose_worker_was_lost_before_recording(client, fake):
    agent = PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"])
    EarningLineFactory(agent=agent, amount_cents=2000)
    [payout_id] = services.payouts_assemble()
    fake.drop_response_after_commit("/v1/transfers")
    with pytest.raises(services.TransientPayoutError):
        services.payout_send(payout_id=payout_id)
    [transfer] = fake.transfers

    deliver(client, fake.make_event("transfer.created", transfer))

    payout = Payout.objects.get(pk=payout_id)
    assert (payout.status, payout.stripe_transfer_id) == ("paid", transfer["id"])
    assert set(payout.lines.values_list("status", flat=True)) == {"paid"}


def test_an_event_for_a_transfer_stripe_does_not_have_is_stored_and_ignored(client, fake):
    stranger = {"id": "tr_unknown", "object": "transfer", "metadata": {}}

    response = deliver(client, fake.make_event("transfer.created", stranger))

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED


def test_a_transfer_that_pays_no_payout_of_ours_is_ignored(client, fake):
    agent = PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"])
    paid_payout(fake)  # a transfer of ours exists too; the event is about another
    other = stripe_client_transfer(fake, agent.stripe_account_id)

    deliver(client, fake.make_event("transfer.created", other))

    event = StripeEvent.objects.get()
    assert event.status == StripeEvent.Status.IGNORED
    assert "pays no payout" in event.detail


def stripe_client_transfer(fake: FakeStripe, destination: str) -> dict:
    """A transfer made outside Humanline's payouts (say, by hand in the dashboard)."""
    return stripe.Transfer.create(amount=100, currency="usd", destination=destination).to_dict()


def test_a_reversal_adds_a_paid_negative_line_and_the_ledger_still_balances(client, fake):
    payout = paid_payout(fake, amount=2000)
    reversed_transfer = fake.reverse_transfer(payout.stripe_transfer_id, 800)

    deliver(client, fake.make_event("transfer.reversed", reversed_transfer))

    payout.refresh_from_db()
    assert payout.amount_reversed_cents == 800
    reversal = EarningLine.objects.get(kind=EarningLine.Kind.REVERSAL)
    assert (reversal.amount_cents, reversal.status, reversal.payout_id) == (-800, "paid", payout.pk)
    totals = ledger.ledger_totals()
    assert totals["lines"] == totals["paid_payouts"] == 1200


def test_a_replayed_reversal_event_has_no_second_effect(client, fake):
    payout = paid_payout(fake)
    event = fake.make_event("transfer.reversed", fake.reverse_transfer(payout.stripe_transfer_id))

    deliver(client, event)
    deliver(client, event)

    assert EarningLine.objects.filter(kind=EarningLine.Kind.REVERSAL).count() == 1
    assert StripeEvent.objects.count() == 1


def test_two_partial_reversals_arriving_in_reverse_order_record_the_total_once(client, fake):
    payout = paid_payout(fake, amount=2000)
    first = fake.make_event(
        "transfer.reversed", fake.reverse_transfer(payout.stripe_transfer_id, 500)
    )
    second = fake.make_event(
        "transfer.reversed", fake.reverse_transfer(payout.stripe_transfer_id, 300)
    )

    deliver(client, second)
    deliver(client, first)

    payout.refresh_from_db()
    assert payout.amount_reversed_cents == 800
    reversals = EarningLine.objects.filter(kind=EarningLine.Kind.REVERSAL)
    assert sum(reversals.values_list("amount_cents", flat=True)) == -800


def test_bank_payout_events_out_of_order_end_in_stripes_current_state(client, fake):
    agent = PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"])
    account = agent.stripe_account_id
    created = fake.set_connected_payout(account, "po_1", status="pending")
    created_event = fake.make_event("payout.created", created, account=account)
    failed = fake.set_connected_payout(
        account,
        "po_1",
        status="failed",
        failure_code="account_closed",
        failure_message="The bank account has been closed.",
    )
    failed_event = fake.make_event("payout.failed", failed, account=account)

    deliver(client, failed_event)
    deliver(client, created_event)

    bank = BankPayout.objects.get(stripe_payout_id="po_1")
    assert (bank.status, bank.failure_code) == ("failed", "account_closed")


def test_a_bank_payout_of_an_unknown_account_is_ignored(client, fake):
    account = fake.add_account(onboarded=True)["id"]
    payout = fake.set_connected_payout(account, "po_2", status="paid")

    deliver(client, fake.make_event("payout.paid", payout, account=account))

    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED
    assert not BankPayout.objects.exists()
