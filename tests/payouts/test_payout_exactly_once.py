"""Exactly once where it matters most: a payout process killed after Stripe made the transfer
and before we recorded it, and payout runs racing each other with real threads.

Both run on the suite's database; CI runs them on PostgreSQL, where the advisory lock, row
locks and conditional updates are what is being proven.
"""

import contextlib
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from payouts import ledger, services
from payouts.models import EarningLine, Payout
from tests.factories import EarningLineFactory, PayableAgentFactory
from tests.fakes.stripe_fixtures import FAKE_SECRET_KEY
from tests.fakes.stripe_server import FakeStripe
from tests.servers import ROOT, server_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

AGENTS = 12
LINES_PER_AGENT = 4


@pytest.fixture
def fake(fake_stripe_settings: FakeStripe, settings) -> FakeStripe:
    settings.PAYOUT_MINIMUM_CENTS = 1000
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return fake_stripe_settings


def agents_with_payable_lines(fake: FakeStripe) -> list:
    agents = []
    for _ in range(AGENTS):
        agent = PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"])
        for amount in (400, 300, 250, 150):
            EarningLineFactory(agent=agent, amount_cents=amount)
        agents.append(agent)
    return agents


def assert_paid_exactly_once(fake: FakeStripe) -> None:
    payouts = list(Payout.objects.all())
    assert {p.status for p in payouts} == {Payout.Status.PAID}
    # One payout per agent, one transfer per payout at Stripe, for the sum of its lines.
    assert Counter(p.agent_id for p in payouts) == Counter({p.agent_id: 1 for p in payouts})
    assert len(payouts) == AGENTS
    transfers = Counter(t["metadata"]["payout_id"] for t in fake.transfers)
    assert transfers == Counter({str(p.pk): 1 for p in payouts})
    by_id = {t["id"]: t for t in fake.transfers}
    for payout in payouts:
        line_sum = sum(payout.lines.values_list("amount_cents", flat=True))
        assert by_id[payout.stripe_transfer_id]["amount"] == payout.amount_cents == line_sum
    assert EarningLine.objects.filter(status="paid").count() == AGENTS * LINES_PER_AGENT
    totals = ledger.ledger_totals()
    assert totals["lines"] == (
        totals["paid_payouts"] + totals["pending_payouts"] + totals["payable"] + totals["pending"]
    )
    assert totals["lines"] == sum(t["amount"] for t in fake.transfers)


def pay_everything_due() -> None:
    """A payout run as `manage.py run_payouts` does it. Called directly, not as the eager
    Celery task: eager tasks in several threads at once trip Celery's process-wide
    "inside a task" flag, which is a test artefact, not the product's."""
    services.payouts_assemble()
    for payout_id in services.payouts_due():
        services.payout_send(payout_id=payout_id)


def run_in_threads(*targets) -> None:
    """Run each target in a thread of its own, all released at once."""
    start = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def runner(target) -> None:
        try:
            start.wait(timeout=30)
            target()
        except BaseException as error:  # surfaced below: a thread must not fail silently
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_a_payout_process_killed_after_the_transfer_pays_every_line_once_when_run_again(fake):
    agents_with_payable_lines(fake)
    reached, release = fake.pause_after_commit("/v1/transfers", method="POST")
    env = server_env(
        STRIPE_API_BASE=fake.url,
        STRIPE_SECRET_KEY=FAKE_SECRET_KEY,
        STRIPE_MAX_NETWORK_RETRIES="0",
        PAYOUT_MINIMUM_CENTS="1000",
    )
    process = subprocess.Popen(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, "manage.py", "run_payouts"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert reached.wait(timeout=90), "the payout run never reached Stripe"
        process.kill()  # Stripe has made the first transfer; the process never hears of it.
        process.wait(timeout=30)
    finally:
        release.set()
        if process.poll() is None:
            process.kill()
    assert len(fake.transfers) == 1
    assert Payout.objects.filter(status=Payout.Status.PENDING).count() == AGENTS

    # The next run, after the killed process's lease on its payout has run out.
    later = timezone.now() + services.send_lease() + timedelta(seconds=1)
    for payout_id in services.payouts_due(now=later):
        services.payout_send(payout_id=payout_id, now=later)

    assert_paid_exactly_once(fake)


def test_two_payout_runs_racing_pay_each_agent_once(fake):
    agents_with_payable_lines(fake)

    run_in_threads(pay_everything_due, pay_everything_due)

    assert_paid_exactly_once(fake)


def test_many_workers_sending_the_same_payout_make_one_transfer_request(fake):
    agent = PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"])
    EarningLineFactory(agent=agent, amount_cents=2500)
    [payout_id] = services.payouts_assemble()

    run_in_threads(*[lambda: services.payout_send(payout_id=payout_id)] * 8)

    assert Payout.objects.get(pk=payout_id).status == Payout.Status.PAID
    assert len(fake.transfers) == 1
    assert len([r for r in fake.requests if r.path == "/v1/transfers"]) == 1


def test_a_cash_out_racing_a_payout_run_takes_each_line_once(fake):
    agents = agents_with_payable_lines(fake)
    first = agents[0]
    quote = services.instant_payout_quote(agent=first)

    def cash_out() -> None:
        # If the run took the lines first, the balance changed and the cash-out is refused.
        with contextlib.suppress(ledger.PayoutError):
            services.instant_payout_request(agent_id=first.pk, expected_net_cents=quote.net_cents)

    run_in_threads(pay_everything_due, cash_out)

    pay_everything_due()
    line_payouts = EarningLine.objects.filter(agent=first).exclude(kind="instant_fee")
    assert set(line_payouts.values_list("status", flat=True)) == {"paid"}
    assert len({p for p in line_payouts.values_list("payout", flat=True)}) == 1
    assert Counter(t["destination"] for t in fake.transfers)[first.stripe_account_id] == 1
