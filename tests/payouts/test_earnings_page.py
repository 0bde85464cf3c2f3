"""The agent's earnings page and instant cash-out."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payouts import ledger, services
from payouts.charts import weekly_bar_chart
from payouts.models import EarningLine, Payout
from tests.factories import (
    AgentFactory,
    EarningLineFactory,
    PayableAgentFactory,
    QueuedTicketFactory,
    RateCardFactory,
    UserFactory,
)
from tests.fakes.stripe_server import FakeStripe

pytestmark = pytest.mark.django_db

EARNINGS = "/portal/earnings/"
CASH_OUT = "/portal/earnings/cash-out/"


@pytest.fixture
def fake(fake_stripe_settings: FakeStripe, settings) -> FakeStripe:
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return fake_stripe_settings


def payable_agent(fake: FakeStripe, **fields):
    return PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"], **fields)


# --- The page -------------------------------------------------------------------------------


def test_the_page_lists_each_line_with_its_status_and_the_totals(client):
    agent = AgentFactory()
    EarningLineFactory(
        agent=agent,
        amount_cents=300,
        status="pending",
        available_at=timezone.now() + timedelta(hours=5),
        description="Ticket #7 (normal priority)",
    )
    EarningLineFactory(agent=agent, amount_cents=450, status="payable")
    EarningLineFactory(amount_cents=9999)  # someone else's
    client.force_login(agent.user)

    response = client.get(EARNINGS)

    assert response.status_code == 200
    [totals] = response.context["totals"]
    assert (totals.pending, totals.payable, totals.paid, totals.earned) == (300, 450, 0, 750)
    body = response.content.decode()
    assert "Ticket #7 (normal priority)" in body
    assert body.count('data-line-kind="adjustment"') == 2
    assert "$7.50" in body
    assert "$99.99" not in body


def test_a_ticket_line_is_marked_with_its_ticket(client):
    agent = AgentFactory()
    ticket = QueuedTicketFactory(status="resolved", agent=agent)
    EarningLineFactory(agent=agent, kind="ticket", ticket=ticket, status="pending")
    client.force_login(agent.user)

    body = client.get(EARNINGS).content.decode()

    assert f'data-line-kind="ticket" data-ticket="{ticket.pk}"' in body


def test_the_chart_is_an_svg_of_the_last_eight_weeks(client):
    agent = AgentFactory()
    EarningLineFactory(agent=agent, amount_cents=1200, earned_at=timezone.now())
    EarningLineFactory(agent=agent, amount_cents=800, earned_at=timezone.now() - timedelta(weeks=2))
    EarningLineFactory(
        agent=agent, amount_cents=5000, earned_at=timezone.now() - timedelta(weeks=20)
    )
    client.force_login(agent.user)

    response = client.get(EARNINGS)

    chart = response.context["chart"]
    assert len(chart.bars) == 8
    assert chart.bars[-1].value == "$12.00"
    assert chart.bars[-3].value == "$8.00"
    assert sum(bar.height > 0 for bar in chart.bars) == 2
    assert "<svg" in response.content.decode()


def test_the_tallest_bar_fills_the_chart_and_a_negative_week_draws_nothing():
    monday = timezone.now().date()
    chart = weekly_bar_chart([(monday, 1000), (monday, 500), (monday, -200)], "usd")

    tallest, half, negative = chart.bars
    assert tallest.y + tallest.height == chart.baseline
    assert half.height == tallest.height // 2
    assert negative.height == 0
    assert chart.peak == "$10.00"


def test_the_page_costs_the_same_queries_for_many_lines(client):
    agent = AgentFactory()
    client.force_login(agent.user)
    EarningLineFactory.create_batch(3, agent=agent)
    client.get(EARNINGS)
    with CaptureQueriesContext(connection) as few:
        client.get(EARNINGS)
    EarningLineFactory.create_batch(40, agent=agent)

    with CaptureQueriesContext(connection) as many:
        client.get(EARNINGS)

    assert len(many) == len(few)


def test_the_page_refuses_a_user_who_is_not_an_agent(client):
    client.force_login(UserFactory())

    assert client.get(EARNINGS).status_code == 403


def test_the_page_sends_an_anonymous_visitor_to_the_login(client):
    response = client.get(EARNINGS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Instant cash-out ------------------------------------------------------------------------


def test_the_cash_out_page_shows_the_fee_before_confirming(client, fake):
    RateCardFactory(instant_payout_fee_bps=150, instant_payout_fee_min_cents=50)
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=10_000)
    client.force_login(agent.user)

    response = client.get(CASH_OUT)

    quote = response.context["quote"]
    assert (quote.payable_cents, quote.fee_cents, quote.net_cents) == (10_000, 150, 9_850)
    body = response.content.decode()
    assert "$1.50" in body
    assert "$98.50" in body
    assert not Payout.objects.exists()


def test_the_fee_is_at_least_the_minimum_and_rounds_up():
    card = RateCardFactory.build(instant_payout_fee_bps=150, instant_payout_fee_min_cents=50)

    assert services.instant_payout_fee(1_000, card) == 50
    assert services.instant_payout_fee(10_001, card) == 151


def test_confirming_a_cash_out_pays_the_balance_less_the_fee_at_once(
    client, fake, django_capture_on_commit_callbacks
):
    RateCardFactory(instant_payout_fee_bps=150, instant_payout_fee_min_cents=50)
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=400)  # below the scheduled minimum
    client.force_login(agent.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CASH_OUT, {"expected_net_cents": 350})

    assert response.status_code == 302
    payout = Payout.objects.get()
    assert (payout.kind, payout.status, payout.amount_cents) == ("instant", "paid", 350)
    fee = EarningLine.objects.get(kind="instant_fee")
    assert (fee.amount_cents, fee.payout_id) == (-50, payout.pk)
    assert [t["amount"] for t in fake.transfers] == [350]


def test_a_second_cash_out_the_same_day_is_refused(client, fake):
    RateCardFactory()
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1_000)
    services.instant_payout_request(agent_id=agent.pk, expected_net_cents=950)
    EarningLineFactory(agent=agent, amount_cents=1_000)
    client.force_login(agent.user)

    response = client.post(CASH_OUT, {"expected_net_cents": 950})

    assert response.status_code == 302
    assert Payout.objects.count() == 1
    assert EarningLine.objects.filter(status="payable").count() == 1


def test_the_database_allows_one_instant_payout_a_day(fake):
    agent = payable_agent(fake)
    fields = {
        "agent": agent,
        "kind": "instant",
        "amount_cents": 100,
        "currency": "usd",
        "destination": agent.stripe_account_id,
        "requested_on": timezone.now().date(),
    }
    Payout.objects.create(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.create(**fields)


def test_a_cash_out_whose_balance_moved_since_it_was_shown_is_refused(client, fake):
    RateCardFactory()
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1_000)
    client.force_login(agent.user)

    response = client.post(CASH_OUT, {"expected_net_cents": 5_000}, follow=True)

    assert "Your balance changed" in response.content.decode()
    assert not Payout.objects.exists()
    assert EarningLine.objects.get().status == "payable"


@pytest.mark.parametrize("amount", ["", "abc", "0", "-5"])
def test_a_malformed_cash_out_is_refused_and_changes_nothing(client, fake, amount):
    RateCardFactory()
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1_000)
    client.force_login(agent.user)

    response = client.post(CASH_OUT, {"expected_net_cents": amount})

    assert response.status_code == 400
    assert not Payout.objects.exists()


def test_an_agent_without_a_payout_account_cannot_cash_out(client, fake):
    RateCardFactory()
    agent = AgentFactory()
    EarningLineFactory(agent=agent, amount_cents=1_000)

    with pytest.raises(ledger.PayoutError, match="Connect a payout account"):
        services.instant_payout_request(agent_id=agent.pk, expected_net_cents=950)

    assert not Payout.objects.exists()


def test_a_failed_cash_out_refunds_its_fee_and_frees_the_day(fake):
    RateCardFactory()
    agent = payable_agent(fake)
    EarningLineFactory(agent=agent, amount_cents=1_000)
    fake.set_available_balance(0)
    payout = services.instant_payout_request(agent_id=agent.pk, expected_net_cents=950)

    services.payout_send(payout_id=payout.pk)

    assert Payout.objects.get().status == "failed"
    payable = EarningLine.objects.filter(agent=agent, status="payable")
    assert sum(payable.values_list("amount_cents", flat=True)) == 1_000
    assert services.instant_payout_quote(agent=agent).available
