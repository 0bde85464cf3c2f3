"""A return to probation (agents.services.agent_return_to_probation): a staff decision on the
quality tier, audited in the agent's trail; the status is untouched."""

import pytest
from django.core.exceptions import ValidationError

from agents.models import Agent, AgentStatusEvent
from agents.services import agent_return_to_probation
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db

T = Agent.QualityTier


def test_it_puts_the_agent_back_on_probation_with_an_audit_row():
    agent = AgentFactory(quality_tier=T.EXPERT)
    staff = UserFactory(is_staff=True)

    changed = agent_return_to_probation(agent_id=agent.pk, actor=staff, reason="Reopens.")

    agent.refresh_from_db()
    assert changed is True
    assert (agent.quality_tier, agent.status, agent.is_online) == (T.PROBATION, "active", True)
    event = AgentStatusEvent.objects.get(agent=agent)
    assert (event.from_status, event.to_status, event.actor) == ("active", "active", staff)
    assert event.reason == "returned to probation (was expert): Reopens."


def test_an_agent_already_on_probation_is_left_as_it_is_without_a_row():
    agent = AgentFactory(quality_tier=T.PROBATION)

    changed = agent_return_to_probation(agent_id=agent.pk, actor=None, reason="Again.")

    assert changed is False
    assert AgentStatusEvent.objects.count() == 0


def test_it_refuses_without_a_reason_and_changes_nothing():
    agent = AgentFactory(quality_tier=T.STANDARD)

    with pytest.raises(ValidationError, match="A reason is required"):
        agent_return_to_probation(agent_id=agent.pk, actor=None, reason=" ")

    agent.refresh_from_db()
    assert agent.quality_tier == T.STANDARD
    assert AgentStatusEvent.objects.count() == 0
