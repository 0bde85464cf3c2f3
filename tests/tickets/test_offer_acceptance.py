"""An agent's offer acceptance rate as its profile shows it (tickets.selectors): accepted ÷
accepted, declined and expired offers of the last 7 days, exact and in one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import AgentFactory, DecidedOfferFactory, OfferFactory
from tickets.models import Offer
from tickets.selectors import agent_offer_acceptance, agent_standings

pytestmark = pytest.mark.django_db

Outcome = Offer.Outcome


def acceptance(agent):
    return agent_offer_acceptance(agent_id=agent.pk, now=timezone.now())


def test_an_agent_never_offered_a_ticket_has_no_rate():
    result = acceptance(AgentFactory())

    assert (result.offers, result.rate, result.percent) == (0, None, None)


def test_an_agent_who_accepted_every_offer_has_a_rate_of_100_percent():
    agent = AgentFactory()
    DecidedOfferFactory.create_batch(2, agent=agent)

    assert acceptance(agent).percent == 100


def test_a_decline_lowers_the_rate():
    agent = AgentFactory()
    DecidedOfferFactory.create_batch(2, agent=agent)
    DecidedOfferFactory(agent=agent, outcome=Outcome.DECLINED)

    result = acceptance(agent)

    assert (result.accepted, result.offers, result.percent) == (2, 3, 67)


def test_an_offer_let_run_out_lowers_the_rate():
    agent = AgentFactory()
    DecidedOfferFactory(agent=agent)
    DecidedOfferFactory(agent=agent, outcome=Outcome.EXPIRED)

    assert acceptance(agent).percent == 50


def test_withdrawn_and_pending_offers_do_not_count():
    agent = AgentFactory()
    DecidedOfferFactory(agent=agent)
    DecidedOfferFactory(agent=agent, outcome=Outcome.WITHDRAWN)
    OfferFactory(agent=agent)

    result = acceptance(agent)

    assert (result.offers, result.percent) == (1, 100)


def test_offers_older_than_7_days_do_not_count():
    agent = AgentFactory()
    DecidedOfferFactory(agent=agent)
    DecidedOfferFactory(
        agent=agent, outcome=Outcome.DECLINED, sent_at=timezone.now() - timedelta(days=7, minutes=1)
    )

    assert acceptance(agent).offers == 1


def test_other_agents_offers_do_not_count():
    agent = AgentFactory()
    DecidedOfferFactory(agent=agent)
    DecidedOfferFactory(outcome=Outcome.DECLINED)

    assert acceptance(agent).percent == 100


def test_it_is_exact_when_the_rankings_standing_is_cached():
    agent = AgentFactory()
    DecidedOfferFactory(agent=agent)
    agent_standings(agent_ids=[agent.pk], now=timezone.now())  # cached for a minute
    DecidedOfferFactory(agent=agent, outcome=Outcome.DECLINED)

    assert acceptance(agent).percent == 50


def test_it_costs_one_query(django_assert_num_queries):
    agent = AgentFactory()
    DecidedOfferFactory.create_batch(3, agent=agent)

    with django_assert_num_queries(1):
        acceptance(agent)


def test_the_rankings_rate_counts_the_same_offers():
    agent = AgentFactory()
    DecidedOfferFactory(agent=agent)
    DecidedOfferFactory(agent=agent, outcome=Outcome.EXPIRED)
    DecidedOfferFactory(agent=agent, outcome=Outcome.WITHDRAWN)

    standing = agent_standings(agent_ids=[agent.pk], now=timezone.now())[agent.pk]

    assert standing.acceptance_rate == acceptance(agent).rate == 0.5
