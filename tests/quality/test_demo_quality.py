"""seed_demo gives the demo agents a week of quality scores and the tiers they lead to."""

import pytest
from django.core.management import call_command

from agents.models import Agent
from quality.models import AgentQualityScore

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_the_demo_agents_tiers_and_a_week_of_scores(settings):
    settings.DEBUG = True

    call_command("seed_demo", "--agents", "8")

    agents = Agent.objects.filter(user__email__startswith="agent").order_by("user__email")
    assert {agent.quality_tier for agent in agents} == {"probation", "standard", "expert"}
    assert all(agent.quality_score is not None for agent in agents)
    assert AgentQualityScore.objects.filter(agent__in=agents).count() == 8 * 7
    latest = AgentQualityScore.objects.filter(agent=agents[0]).order_by("-day").first()
    assert (latest.score, latest.tier) == (agents[0].quality_score, agents[0].quality_tier)


def test_seed_demo_run_again_leaves_the_scores_as_they_are(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--agents", "3")
    Agent.objects.filter(user__email="agent01@example.com").update(quality_score=12)

    call_command("seed_demo", "--agents", "3")

    assert AgentQualityScore.objects.count() == 3 * 7
    assert Agent.objects.get(user__email="agent01@example.com").quality_score == 12
