"""The pay shown on an offer: payouts quotes each offer a round makes (receivers.quote_offer_pay
on tickets.signals.offers_made) with the rules of the pay line (ledger.ticket_pay_quote)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import AgentFactory, QueuedTicketFactory, RateCardFactory
from tickets import dispatch
from tickets.models import Offer
from workforce.models import SurgePeriod

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatch_round(django_capture_on_commit_callbacks):
    """A round, its pushes sent as on commit."""

    def run() -> list[int]:
        with django_capture_on_commit_callbacks(execute=True):
            return dispatch.dispatch_round()

    return run


def offer_frames(pushes) -> list[dict]:
    return [event for _, event in pushes if event["type"] == "offer"]


def test_an_offer_records_and_shows_the_cards_amount_for_its_priority(pushes, dispatch_round):
    RateCardFactory(entries={(2, ""): 300, (3, ""): 500})
    AgentFactory()
    QueuedTicketFactory(priority=3)

    [made] = dispatch_round()

    offer = Offer.objects.get(pk=made)
    assert (offer.pay_amount_minor, offer.pay_currency) == (500, "usd")
    [frame] = offer_frames(pushes)
    assert frame["pay"] == {"amount_minor": 500, "currency": "usd"}


def test_an_offer_pays_the_best_entry_for_one_of_the_tickets_skills(pushes, dispatch_round):
    RateCardFactory(entries={(2, ""): 300, (2, "billing"): 420})
    AgentFactory(skills=["general", "billing"])
    QueuedTicketFactory(priority=2, required_skills=["billing"])

    dispatch_round()

    assert Offer.objects.get().pay_amount_minor == 420


def test_an_offer_during_a_surge_of_its_language_pays_the_multiplier(pushes, dispatch_round):
    RateCardFactory(surge_multiplier_pct=150, entries={(2, ""): 301})
    SurgePeriod.objects.create(language="en", started_at=timezone.now() - timedelta(minutes=5))
    AgentFactory()
    QueuedTicketFactory(priority=2)

    dispatch_round()

    assert Offer.objects.get().pay_amount_minor == 452  # 451.5, rounded half up
    assert offer_frames(pushes)[0]["pay"]["amount_minor"] == 452


def test_a_surge_of_another_language_does_not_raise_the_offer(pushes, dispatch_round):
    RateCardFactory(surge_multiplier_pct=150, entries={(2, ""): 300})
    SurgePeriod.objects.create(language="es", started_at=timezone.now() - timedelta(minutes=5))
    AgentFactory()
    QueuedTicketFactory(priority=2)

    dispatch_round()

    assert Offer.objects.get().pay_amount_minor == 300


def test_an_offer_with_no_rate_shows_no_pay(pushes, dispatch_round):
    AgentFactory()
    QueuedTicketFactory()

    dispatch_round()

    offer = Offer.objects.get()
    assert (offer.pay_amount_minor, offer.pay_currency) == (None, "")
    assert "pay" not in offer_frames(pushes)[0]


def test_a_round_quotes_all_its_offers_in_a_fixed_number_of_queries(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    RateCardFactory()
    AgentFactory.create_batch(5)
    QueuedTicketFactory.create_batch(5, priority=2)
    QueuedTicketFactory.create_batch(3, priority=3)

    # The round's own eight, the savepoint pair, and the quote's four: the card, its
    # entries, the surges open, the offers' pay.
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(8 + 2 + 4):
        assert len(dispatch.dispatch_round()) == 5


def test_an_offer_quotes_the_offered_agent_s_tier_multiplier(pushes, dispatch_round):
    RateCardFactory(expert_multiplier_pct=110, entries={(2, ""): 300})
    AgentFactory(quality_tier="expert")
    QueuedTicketFactory(priority=2)

    dispatch_round()

    assert Offer.objects.get().pay_amount_minor == 330
    assert offer_frames(pushes)[0]["pay"]["amount_minor"] == 330


def test_each_offer_of_a_round_is_quoted_for_its_own_agent(pushes, dispatch_round):
    RateCardFactory(probation_multiplier_pct=90, expert_multiplier_pct=120, entries={(2, ""): 300})
    expert = AgentFactory(quality_tier="expert")
    on_probation = AgentFactory(quality_tier="probation")
    QueuedTicketFactory.create_batch(2, priority=2)

    dispatch_round()

    pay = dict(Offer.objects.values_list("agent_id", "pay_amount_minor"))
    assert pay == {expert.pk: 360, on_probation.pk: 270}


def test_quoting_the_agents_tiers_costs_a_round_no_query_more(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    RateCardFactory(expert_multiplier_pct=110)
    AgentFactory.create_batch(2, quality_tier="expert")
    AgentFactory.create_batch(2, quality_tier="standard")
    QueuedTicketFactory.create_batch(4, priority=2)

    # As without tiers: the round's eight, the savepoint pair, the quote's four.
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(8 + 2 + 4):
        assert len(dispatch.dispatch_round()) == 4
    assert sorted(Offer.objects.values_list("pay_amount_minor", flat=True)) == [300, 300, 330, 330]
