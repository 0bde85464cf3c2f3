"""The agent's profile shows its offer acceptance rate of the last 7 days and what it is
based on, or says there were no offers."""

from __future__ import annotations

import pytest

from tests.factories import AgentFactory, DecidedOfferFactory
from tickets.models import Offer

pytestmark = pytest.mark.django_db

Outcome = Offer.Outcome


def profile_text(client, agent) -> str:
    client.force_login(agent.user)
    response = client.get("/portal/profile/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_profile_shows_the_acceptance_rate_and_how_many_offers_it_is_based_on(client):
    agent = AgentFactory()
    DecidedOfferFactory.create_batch(2, agent=agent)
    DecidedOfferFactory(agent=agent, outcome=Outcome.DECLINED)

    text = profile_text(client, agent)

    assert "67% in the last 7 days" in text
    assert "of 3 offers" in text


def test_the_profile_says_so_when_the_agent_has_had_no_offers(client):
    text = profile_text(client, AgentFactory())

    assert "You have had no offers in the last 7 days." in text


def test_the_profiles_rate_leaves_out_withdrawn_offers(client):
    agent = AgentFactory()
    DecidedOfferFactory(agent=agent, outcome=Outcome.EXPIRED)
    DecidedOfferFactory(agent=agent)
    DecidedOfferFactory(agent=agent, outcome=Outcome.WITHDRAWN)

    text = profile_text(client, agent)

    assert "50% in the last 7 days" in text
    assert "of 2 offers" in text
