"""The agent's score card (quality.selectors.agent_score_card) and the include that shows it
(templates/portal/_quality_score.html), rendered alone."""

from datetime import date

import pytest
from django.template.loader import render_to_string

from agents.models import Agent
from quality.models import AgentQualityScore
from quality.selectors import agent_score_card
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def scored(agent, day, **fields) -> AgentQualityScore:
    defaults = {
        "tickets_resolved": 12,
        "confirmed_resolution_pct": 90,
        "reopen_pct": 10,
        "csat_pct": 80,
        "qa_pct": None,
        "offer_acceptance_pct": 70,
        "score": 85,
        "tier": "standard",
    }
    return AgentQualityScore.objects.create(agent=agent, day=day, **(defaults | fields))


def test_the_card_has_the_latest_day_s_components_with_their_weights(
    django_assert_num_queries,
):
    agent = AgentFactory(quality_tier=Agent.QualityTier.EXPERT)
    scored(agent, date(2026, 12, 4), score=70)
    scored(agent, date(2026, 12, 5))

    with django_assert_num_queries(3):
        card = agent_score_card(agent_id=agent.pk)

    assert (card.score, card.day, card.tier, card.tickets_resolved) == (
        85,
        date(2026, 12, 5),
        "expert",
        12,
    )
    rows = {c.label: (c.weight, c.pct, c.points, c.share_pct) for c in card.components}
    assert rows == {
        "Confirmed resolutions": (30, 90, 90, 40),  # 30 of the 75 measured
        "Reopen rate": (15, 10, 90, 20),
        "Customer satisfaction": (20, 80, 80, 27),
        "QA reviews": (25, None, None, None),
        "Offer acceptance": (10, 70, 70, 13),
    }
    assert [day.score for day in card.history] == [85, 70]


def test_an_agent_never_scored_has_a_card_with_no_score():
    agent = AgentFactory()

    card = agent_score_card(agent_id=agent.pk)

    assert (card.score, card.day, card.tier, card.history) == (None, None, "probation", [])
    assert all(component.pct is None for component in card.components)


def test_the_include_shows_the_score_each_component_s_weight_and_the_tier(settings):
    agent = AgentFactory(quality_tier=Agent.QualityTier.EXPERT)
    scored(agent, date(2026, 12, 4), score=70)
    scored(agent, date(2026, 12, 5))

    html = render_to_string(
        "portal/_quality_score.html",
        {"score_card": agent_score_card(agent_id=agent.pk), "tier_pay_multiplier": "1.1"},
    )

    assert "<strong>85</strong> / 100" in html
    assert "Dec 5, 2026" in html
    for label, weight in [("Confirmed resolutions", 30), ("Reopen rate", 15), ("QA reviews", 25)]:
        assert label in html
        assert f"<td>{weight}" in html
    assert "nothing to measure" in html  # QA, no review that month
    assert "Tier: Expert" in html
    assert "×1.1 the ticket's pay" in html
    assert "Your score, day by day" in html


def test_the_include_for_an_agent_on_probation_says_what_probation_means(settings):
    settings.PROBATION_TICKETS = 20
    agent = AgentFactory()

    html = render_to_string(
        "portal/_quality_score.html", {"score_card": agent_score_card(agent_id=agent.pk)}
    )

    assert "No score yet" in html
    assert "Tier: Probation" in html
    assert "VIP and urgent conversations go to standard and expert agents first" in html
    assert "until 20 of your resolutions are confirmed" in html
    assert "day by day" not in html


def test_a_day_with_nothing_measured_shows_no_score():
    agent = AgentFactory(quality_tier=Agent.QualityTier.STANDARD)
    scored(
        agent,
        date(2026, 12, 4),
        confirmed_resolution_pct=None,
        reopen_pct=None,
        csat_pct=None,
        offer_acceptance_pct=None,
        score=None,
    )

    html = render_to_string(
        "portal/_quality_score.html", {"score_card": agent_score_card(agent_id=agent.pk)}
    )

    assert "No score: nothing to measure" in html
