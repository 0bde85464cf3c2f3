"""Payouts in the admin: the list and its filters, a retry of failed payouts, a CSV export,
and adjustments as the only lines an admin writes."""

import csv
import io

import pytest

from payouts import services
from payouts.models import EarningLine, Payout
from tests.factories import EarningLineFactory, PayableAgentFactory, RateCardFactory
from tests.fakes.stripe_server import FakeStripe

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/payouts/payout/"


@pytest.fixture
def fake(fake_stripe_settings: FakeStripe, settings) -> FakeStripe:
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PAYOUT_MINIMUM_CENTS = 500
    return fake_stripe_settings


def failed_payout(fake: FakeStripe) -> Payout:
    agent = PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"])
    EarningLineFactory(agent=agent, amount_cents=1500)
    fake.set_available_balance(0)
    [payout_id] = services.payouts_assemble()
    payout = services.payout_send(payout_id=payout_id)
    fake.set_available_balance(1_000_000)
    return payout


def test_the_payout_list_filters_by_status(admin_client, fake):
    failed = failed_payout(fake)

    response = admin_client.get(CHANGELIST, {"status__exact": "failed"})

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [failed]
    assert admin_client.get(CHANGELIST, {"status__exact": "paid"}).context["cl"].result_count == 0


def test_a_payout_page_shows_its_lines(admin_client, fake):
    agent = PayableAgentFactory(stripe_account_id=fake.add_account(onboarded=True)["id"])
    EarningLineFactory(agent=agent, amount_cents=1500, description="Ticket #99 (high priority)")
    [payout_id] = services.payouts_assemble()

    response = admin_client.get(f"{CHANGELIST}{payout_id}/change/")

    assert response.status_code == 200
    assert "Ticket #99 (high priority)" in response.content.decode()


def test_the_retry_action_pays_a_failed_payout_under_a_new_payout(
    admin_client, fake, django_capture_on_commit_callbacks
):
    failed = failed_payout(fake)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "retry_failed", "_selected_action": [failed.pk]}
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.retried_as.status == Payout.Status.PAID
    assert len(fake.transfers) == 1


def test_the_csv_export_has_a_row_per_selected_payout(admin_client, fake):
    failed = failed_payout(fake)

    response = admin_client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [failed.pk]}
    )

    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["payout_id"] == str(failed.pk)
    assert (row["status"], row["amount_minor"], row["failure_code"]) == (
        "failed",
        "1500",
        "balance_insufficient",
    )


def test_an_admin_adds_an_adjustment_line(admin_client, admin_user):
    agent = PayableAgentFactory()

    response = admin_client.post(
        "/admin/payouts/earningline/add/",
        {"agent": agent.pk, "amount_cents": -300, "currency": "usd", "description": "Dispute 12"},
    )

    assert response.status_code == 302
    line = EarningLine.objects.get()
    assert (line.kind, line.amount_cents, line.created_by) == ("adjustment", -300, admin_user)
    assert line.source_key.startswith("adjustment:")


def test_a_zero_adjustment_is_refused_in_the_admin(admin_client):
    agent = PayableAgentFactory()

    response = admin_client.post(
        "/admin/payouts/earningline/add/",
        {"agent": agent.pk, "amount_cents": 0, "currency": "usd", "description": "nothing"},
    )

    assert response.status_code == 200
    assert not EarningLine.objects.exists()


def test_a_line_cannot_be_edited_in_the_admin(admin_client):
    line = EarningLineFactory(amount_cents=500)

    admin_client.post(
        f"/admin/payouts/earningline/{line.pk}/change/",
        {"amount_cents": 99999, "description": "edited"},
    )

    line.refresh_from_db()
    assert (line.amount_cents, line.description) == (500, "Test earnings")


def test_the_rate_card_admin_shows_and_edits_the_tier_multipliers(admin_client):
    card = RateCardFactory(probation_multiplier_pct=95, expert_multiplier_pct=115)

    listing = admin_client.get("/admin/payouts/ratecard/")
    page = admin_client.get(f"/admin/payouts/ratecard/{card.pk}/change/")

    assert "Expert multiplier pct" in listing.content.decode()
    for field, value in [("probation", 95), ("standard", 100), ("expert", 115)]:
        assert f'name="{field}_multiplier_pct" value="{value}"' in page.content.decode()
