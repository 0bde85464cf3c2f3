"""Payout runs against the local Stripe server: gathering, sending, refusals, retries and
exactly-once when a run is interrupted between Stripe's answer and our record of it."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from payouts import ledger, services, tasks
from payouts.models import EarningLine, Payout
from tests.factories import EarningLineFactory, PayableAgentFactory
from tests.fakes.stripe_server import FakeStripe

pytestmark = pytest.mark.django_db

LineStatus = EarningLine.Status


@pytest.fixture
def fake(fake_stripe_settings: FakeStripe, settings) -> FakeStripe:
    settings.PAYOUT_MINIMUM_CENTS = 1000
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return fake_stripe_settings


def payable_agent(fake: FakeStripe, *, onboarded: bool = True, **fields):
    account = fake.add_account(onboarded=onboarded)
    return PayableAgentFactory(stripe_account_id=account["id"], **fields)


def assert_ledger_balances() -> None:
    totals = ledger.ledger_totals()
    assert totals["lines"] == (
        totals["paid_payouts"] + totals["pending_payouts"] + totals["payable"] + totals["pending"]
    )
    assert totals["in_payout"] == totals["pending_payouts"]


def test_payable_lines_above_the_minimum_become_one_payout_per_agent(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=600)
    EarningLineFactory(agent=agent, amount_cents=500)

    created = services.payouts_assemble()

    payout = Payout.objects.get()
    assert created == [payout.pk]
    assert (payout.agent_id, payout.amount_cents, payout.status) == (agent.pk, 1100, "pending")
    assert payout.destination == agent.stripe_account_id
    assert set(payout.lines.values_list("status", flat=True)) == {LineStatus.IN_PAYOUT}


def test_an_agent_below_the_minimum_keeps_accruing(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=999)

    assert services.payouts_assemble() == []
    assert EarningLine.objects.get().status == LineStatus.PAYABLE


def test_an_agent_without_a_payout_ready_account_accrues_and_is_paid_later(fake):
    agent = payable_agent(fake, payouts_enabled=False)
    EarningLineFactory(agent=agent, amount_cents=5000)

    assert services.payouts_assemble() == []

    agent.payouts_enabled = True
    agent.save(update_fields=["payouts_enabled"])
    assert len(services.payouts_assemble()) == 1


def test_lines_still_on_hold_wait_for_a_later_run(fake):
    agent = payable_agent(fake)
    EarningLineFactory(
        agent=agent,
        amount_cents=5000,
        status="pending",
        available_at=timezone.now() + timedelta(hours=3),
    )

    assert services.payouts_assemble() == []
    assert len(services.payouts_assemble(now=timezone.now() + timedelta(hours=4))) == 1


def test_a_negative_adjustment_is_netted_in_the_next_payout(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=3000)
    EarningLineFactory(agent=agent, amount_cents=-500)

    services.payouts_assemble()

    assert Payout.objects.get().amount_cents == 2500


def test_sending_a_payout_makes_one_transfer_and_marks_its_lines_paid(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()

    payout = services.payout_send(payout_id=payout_id)

    [transfer] = fake.transfers
    assert transfer["amount"] == 1200
    assert transfer["destination"] == agent.stripe_account_id
    assert transfer["transfer_group"] == f"payout-{payout_id}"
    assert transfer["metadata"] == {"payout_id": str(payout_id), "agent_id": str(agent.pk)}
    assert payout.status == Payout.Status.PAID
    assert payout.stripe_transfer_id == transfer["id"]
    assert set(payout.lines.values_list("status", flat=True)) == {LineStatus.PAID}
    [request] = [r for r in fake.requests if r.path == "/v1/transfers"]
    assert request.idempotency_key == f"humanline-payout-{payout_id}"
    assert_ledger_balances()


def test_sending_a_paid_payout_again_does_nothing(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()
    services.payout_send(payout_id=payout_id)

    services.payout_send(payout_id=payout_id)

    assert len(fake.transfers) == 1


def test_a_transient_error_keeps_the_payout_pending_with_a_later_attempt(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()
    fake.fail_next("/v1/transfers", status=500)
    now = timezone.now()

    with pytest.raises(services.TransientPayoutError):
        services.payout_send(payout_id=payout_id, now=now)

    payout = Payout.objects.get(pk=payout_id)
    assert payout.status == Payout.Status.PENDING
    assert payout.next_attempt_at == now + services.RETRY_BACKOFF_BASE
    assert payout.lease_until is None
    assert services.payouts_due(now=now) == []
    assert services.payouts_due(now=now + timedelta(minutes=1)) == [payout_id]


def test_the_retry_after_a_transient_error_uses_the_same_key_and_pays_once(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()
    fake.fail_next("/v1/transfers", status=503)
    with pytest.raises(services.TransientPayoutError):
        services.payout_send(payout_id=payout_id)

    payout = services.payout_send(payout_id=payout_id, now=timezone.now() + timedelta(minutes=1))

    assert payout.status == Payout.Status.PAID
    assert len(fake.transfers) == 1
    keys = {r.idempotency_key for r in fake.requests if r.path == "/v1/transfers"}
    assert keys == {f"humanline-payout-{payout_id}"}


def test_backoff_doubles_with_each_attempt_up_to_an_hour():
    assert services._retry_delay(1) == timedelta(seconds=30)
    assert services._retry_delay(3) == timedelta(minutes=2)
    assert services._retry_delay(20) == timedelta(hours=1)


def test_a_disabled_transfers_capability_fails_the_payout_with_a_reason_and_returns_its_lines(
    fake,
):
    agent = payable_agent(fake, onboarded=False)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()

    payout = services.payout_send(payout_id=payout_id)

    assert payout.status == Payout.Status.FAILED
    assert payout.failure_code == "insufficient_capabilities_for_transfer"
    assert "transfers capability" in payout.failure_reason
    assert list(EarningLine.objects.values_list("status", "payout")) == [("payable", None)]
    assert fake.transfers == []
    assert_ledger_balances()


def test_insufficient_platform_balance_fails_the_payout_and_is_never_retried_under_a_new_key(
    fake,
):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    fake.set_available_balance(100)
    [payout_id] = services.payouts_assemble()

    payout = services.payout_send(payout_id=payout_id)
    tasks.drain_payouts()
    services.payout_send(payout_id=payout_id, now=timezone.now() + timedelta(hours=2))

    assert payout.failure_code == "balance_insufficient"
    assert "balance is too low" in payout.failure_reason
    transfer_posts = [r for r in fake.requests if r.path == "/v1/transfers"]
    assert [r.idempotency_key for r in transfer_posts] == [f"humanline-payout-{payout_id}"]


def test_an_interrupted_run_sends_the_same_transfer_again_and_pays_each_line_once(
    fake, monkeypatch
):
    """The worker is lost after Stripe made the transfer and before we recorded it."""
    agents = [payable_agent(fake) for _ in range(3)]
    for agent in agents:
        EarningLineFactory(agent=agent, amount_cents=1500)
        EarningLineFactory(agent=agent, amount_cents=700)

    class WorkerLost(BaseException):
        pass

    record = services.payout_record_transfer
    calls = []

    def lost_after_the_second_transfer(**kwargs):
        calls.append(kwargs["payout_id"])
        if len(calls) == 2:
            raise WorkerLost
        return record(**kwargs)

    monkeypatch.setattr(services, "payout_record_transfer", lost_after_the_second_transfer)
    with pytest.raises(WorkerLost):
        tasks.run_payouts()
    monkeypatch.setattr(services, "payout_record_transfer", record)
    interrupted = Payout.objects.get(pk=calls[1])
    assert interrupted.status == Payout.Status.PENDING

    # The next run, once the lost worker's lease has run out.
    later = timezone.now() + services.send_lease() + timedelta(seconds=1)
    for payout_id in services.payouts_due(now=later):
        services.payout_send(payout_id=payout_id, now=later)

    payouts = list(Payout.objects.all())
    assert {p.status for p in payouts} == {Payout.Status.PAID}
    transfers_by_payout = {}
    for transfer in fake.transfers:
        transfers_by_payout.setdefault(transfer["metadata"]["payout_id"], []).append(transfer)
    assert {k: len(v) for k, v in transfers_by_payout.items()} == {str(p.pk): 1 for p in payouts}
    assert EarningLine.objects.filter(status=LineStatus.PAID).count() == 6
    assert sum(t["amount"] for t in fake.transfers) == 3 * 2200
    assert_ledger_balances()


def test_a_payout_first_tried_over_a_day_ago_is_looked_up_before_a_new_attempt(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()
    fake.drop_response_after_commit("/v1/transfers")
    with pytest.raises(services.TransientPayoutError):
        services.payout_send(payout_id=payout_id)
    fake.expire_idempotency_keys()  # Stripe has forgotten the key by now.

    payout = services.payout_send(payout_id=payout_id, now=timezone.now() + timedelta(days=2))

    assert payout.status == Payout.Status.PAID
    assert len(fake.transfers) == 1
    assert payout.stripe_transfer_id == fake.transfers[0]["id"]
    lookups = [r for r in fake.requests if r.method == "GET" and r.path == "/v1/transfers"]
    assert len(lookups) == 1


def test_a_payout_looked_up_and_not_found_is_sent_under_its_key(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()
    fake.fail_next("/v1/transfers", status=500)
    with pytest.raises(services.TransientPayoutError):
        services.payout_send(payout_id=payout_id)

    payout = services.payout_send(payout_id=payout_id, now=timezone.now() + timedelta(days=2))

    assert payout.status == Payout.Status.PAID
    assert len(fake.transfers) == 1


def test_a_worker_holding_a_payout_keeps_others_from_sending_it(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()
    now = timezone.now()
    Payout.objects.filter(pk=payout_id).update(lease_until=now + timedelta(minutes=1))

    payout = services.payout_send(payout_id=payout_id, now=now)

    assert payout.status == Payout.Status.PENDING
    assert fake.transfers == []


def test_run_payouts_command_pays_and_prints_what_it_paid(fake, capsys):
    agent = payable_agent(fake, user__email="ana@example.com")
    EarningLineFactory(agent=agent, amount_cents=1250)

    call_command("run_payouts")

    out = capsys.readouterr().out
    payout = Payout.objects.get()
    assert (
        f"Payout #{payout.pk}: paid $12.50 to ana@example.com ({payout.stripe_transfer_id})" in out
    )
    assert "Paid 1, failed 0, retrying 0." in out


def test_run_payouts_command_reports_a_refusal(fake, capsys):
    agent = payable_agent(fake, onboarded=False)
    EarningLineFactory(agent=agent, amount_cents=1250)

    call_command("run_payouts")

    captured = capsys.readouterr()
    assert "FAILED $12.50" in captured.out
    assert "1 payout(s) failed" in captured.err


def test_an_admin_retry_of_a_failed_payout_pays_under_a_new_key(
    fake, django_capture_on_commit_callbacks
):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    fake.set_available_balance(100)
    [payout_id] = services.payouts_assemble()
    services.payout_send(payout_id=payout_id)
    fake.set_available_balance(1_000_000)

    with django_capture_on_commit_callbacks(execute=True):
        retry = services.payout_retry(payout_id=payout_id)

    retry.refresh_from_db()
    assert retry.status == Payout.Status.PAID
    assert Payout.objects.get(pk=payout_id).retried_as == retry
    assert len(fake.transfers) == 1
    assert_ledger_balances()


def test_a_payout_can_be_retried_only_once_and_only_when_failed(fake):
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()
    services.payout_send(payout_id=payout_id)

    with pytest.raises(ledger.PayoutError):
        services.payout_retry(payout_id=payout_id)


def test_without_stripe_configured_payouts_wait_pending_instead_of_failing(fake, settings):
    settings.STRIPE_SECRET_KEY = ""
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1200)
    [payout_id] = services.payouts_assemble()

    with pytest.raises(services.TransientPayoutError):
        services.payout_send(payout_id=payout_id)

    payout = Payout.objects.get(pk=payout_id)
    assert (payout.status, payout.failure_code) == ("pending", "not_configured")
    assert fake.transfers == []
