"""Consequences: proposed by the product from the day's scores, decided by a person
(quality.consequences, docs/quality.md §5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agents.models import Agent, AgentStatusEvent
from core.jobs import task_named
from quality import consequences
from quality.consequences import ConsequenceError, consequence_decide, consequences_propose
from quality.models import ConsequenceProposal, QualityThresholds
from tests.factories import (
    AgentFactory,
    ConsequenceProposalFactory,
    OfferFactory,
    QualityReviewFactory,
    QualityScoreFactory,
    ResolvedTicketFactory,
    UserFactory,
)
from tickets.models import Offer, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

Kind = ConsequenceProposal.Kind
Status = ConsequenceProposal.Status


@pytest.fixture
def staff():
    return UserFactory(email="ops@example.com", is_staff=True)


def scored(score: int, *, tier: str = Agent.QualityTier.STANDARD, **kwargs):
    """An active agent (of ``tier``) whose score today is ``score``; the default thresholds
    are 70 (coaching), 55 (probation), 40 (suspension) on at least 10 tickets."""
    agent = kwargs.pop("agent", None) or AgentFactory(quality_tier=tier)
    return QualityScoreFactory(agent=agent, score=score, **kwargs)


def proposals():
    return list(ConsequenceProposal.objects.order_by("agent_id").values_list("agent_id", "kind"))


# --- Proposed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "kind"),
    [(69, Kind.COACHING), (54, Kind.PROBATION), (39, Kind.SUSPENSION)],
)
def test_a_score_below_a_threshold_proposes_its_consequence(score, kind):
    row = scored(score)

    consequences_propose()

    assert proposals() == [(row.agent_id, kind)]


def test_a_score_at_the_coaching_line_proposes_nothing():
    scored(70)

    assert consequences_propose() == []
    assert proposals() == []


def test_the_thresholds_set_in_the_admin_are_the_ones_used():
    QualityThresholds.objects.update(
        expert_from=95, coaching_below=90, probation_below=80, suspension_below=75
    )
    row = scored(78)

    consequences_propose()

    assert proposals() == [(row.agent_id, Kind.PROBATION)]


def test_fewer_resolved_tickets_than_the_minimum_propose_nothing():
    scored(20, tickets_resolved=9)

    assert consequences_propose() == []


def test_the_minimum_itself_is_enough():
    row = scored(20, tickets_resolved=10)

    consequences_propose()

    assert proposals() == [(row.agent_id, Kind.SUSPENSION)]


def test_an_agent_without_a_score_gets_no_proposal():
    scored(None)

    assert consequences_propose() == []


def test_an_agent_already_on_probation_is_proposed_coaching_instead_of_probation():
    row = scored(50, tier=Agent.QualityTier.PROBATION)

    consequences_propose()

    assert proposals() == [(row.agent_id, Kind.COACHING)]


def test_an_agent_on_probation_below_the_suspension_line_is_proposed_a_suspension():
    row = scored(30, tier=Agent.QualityTier.PROBATION)

    consequences_propose()

    assert proposals() == [(row.agent_id, Kind.SUSPENSION)]


def test_only_the_latest_score_of_an_agent_counts():
    agent = AgentFactory(quality_tier=Agent.QualityTier.STANDARD)
    today = timezone.now().date()
    scored(20, agent=agent, day=today - timedelta(days=1))
    scored(80, agent=agent, day=today)

    assert consequences_propose() == []


def test_an_agent_who_is_not_active_gets_no_proposal():
    scored(20, agent=AgentFactory(status=Agent.Status.SUSPENDED, is_online=False))

    assert consequences_propose() == []


def test_the_evidence_holds_the_day_the_score_its_components_counts_and_low_reviews():
    row = scored(50, reopen_pct=25, csat_pct=40, qa_pct=45, tickets_resolved=12)
    agent = row.agent
    low = QualityReviewFactory(ticket__agent=agent, score_pct=30)
    QualityReviewFactory(ticket__agent=agent, score_pct=95)  # a good one: not evidence
    QualityReviewFactory(score_pct=10)  # somebody else's
    reopened = ResolvedTicketFactory(agent=agent)
    TicketEvent.objects.create(
        ticket=reopened,
        from_status=Ticket.Status.RESOLVED,
        to_status=Ticket.Status.QUEUED,
        actor_kind=TicketEvent.Actor.CUSTOMER,
        agent=agent,
        reason="reopened: the customer said it did not help",
    )

    (proposal_id,) = consequences_propose()

    proposal = ConsequenceProposal.objects.get(pk=proposal_id)
    assert proposal.quality_score == row
    assert proposal.evidence == {
        "day": row.day.isoformat(),
        "score": 50,
        "tier": "standard",
        "components": {
            "confirmed_resolution_pct": 60,
            "reopen_pct": 25,
            "csat_pct": 40,
            "qa_pct": 45,
            "offer_acceptance_pct": 60,
        },
        "counts": {"tickets_resolved": 12, "reopens": 1, "reviews_scored": 2},
        "low_review_ids": [low.pk],
        "thresholds": {
            "coaching_below": 70,
            "probation_below": 55,
            "suspension_below": 40,
            "min_tickets": 10,
        },
    }


def test_proposing_takes_the_same_queries_for_one_agent_and_for_many(
    django_assert_max_num_queries,
):
    for score in (30, 50, 65):
        row = scored(score)
        QualityReviewFactory(ticket__agent=row.agent, score_pct=20)

    # Thresholds, scores, held back, reopens, reviews; then a savepoint and an insert each.
    with django_assert_max_num_queries(5 + 3 * 3):
        created = consequences_propose()

    assert len(created) == 3


# --- One open proposal, and not again too soon -------------------------------------------


def test_proposing_twice_the_same_day_proposes_once():
    scored(50)

    first = consequences_propose()
    second = consequences_propose()

    assert len(first) == 1
    assert second == []
    assert ConsequenceProposal.objects.count() == 1


def test_an_agent_with_an_open_proposal_gets_no_second_one_even_for_a_worse_score():
    row = scored(20)
    ConsequenceProposalFactory(agent=row.agent, kind=Kind.COACHING)

    assert consequences_propose() == []
    assert ConsequenceProposal.objects.filter(status=Status.PROPOSED).count() == 1


def test_a_proposal_made_meanwhile_by_another_run_is_left_standing(monkeypatch):
    row = scored(50)
    # Another run inserts between this one's read and its insert.
    real = consequences._held_back

    def racing(**kwargs):
        held = real(**kwargs)
        ConsequenceProposalFactory(agent=row.agent, kind=Kind.COACHING)
        return held

    monkeypatch.setattr(consequences, "_held_back", racing)

    assert consequences_propose() == []
    assert ConsequenceProposal.objects.count() == 1


def decided(agent, *, kind, score, days_ago, status=Status.DISMISSED, staff=None):
    proposal = ConsequenceProposalFactory(agent=agent, kind=kind, evidence={"score": score})
    ConsequenceProposal.objects.filter(pk=proposal.pk).update(
        status=status,
        decided_by=staff or UserFactory(is_staff=True),
        decided_at=timezone.now() - timedelta(days=days_ago),
        decision_reason="looked at it",
    )
    return proposal


def test_a_dismissed_proposal_is_not_proposed_again_within_seven_days_at_the_same_score():
    row = scored(60)
    decided(row.agent, kind=Kind.COACHING, score=60, days_ago=2)

    assert consequences_propose() == []


def test_a_dismissed_proposal_is_proposed_again_within_seven_days_if_the_score_fell():
    row = scored(58)
    decided(row.agent, kind=Kind.COACHING, score=60, days_ago=2)

    assert len(consequences_propose()) == 1


def test_a_dismissed_proposal_is_proposed_again_after_seven_days():
    row = scored(60)
    decided(row.agent, kind=Kind.COACHING, score=60, days_ago=8)

    assert len(consequences_propose()) == 1


def test_a_dismissed_milder_proposal_does_not_hold_back_a_harsher_one():
    row = scored(50)
    decided(row.agent, kind=Kind.COACHING, score=50, days_ago=1)

    consequences_propose()

    assert ConsequenceProposal.objects.get(status=Status.PROPOSED).kind == Kind.PROBATION


def test_an_accepted_coaching_is_not_proposed_again_the_next_morning():
    row = scored(62)
    decided(row.agent, kind=Kind.COACHING, score=62, days_ago=1, status=Status.ACCEPTED)

    assert consequences_propose() == []


def test_a_score_already_proposed_on_is_not_proposed_on_again_after_the_quiet_days():
    row = scored(60)
    proposal = decided(row.agent, kind=Kind.COACHING, score=60, days_ago=9)
    ConsequenceProposal.objects.filter(pk=proposal.pk).update(quality_score=row)

    assert consequences_propose() == []


def test_the_daily_task_proposes():
    scored(50)

    assert task_named("quality.tasks.propose_consequences").apply().get() == 1


# --- A proposal changes nothing until staff decide ---------------------------------------


def agent_state(agent: Agent) -> dict:
    agent.refresh_from_db()
    return {
        "status": agent.status,
        "tier": agent.quality_tier,
        "online": agent.is_online,
        "connections": agent.connection_count,
        "availability": agent.availability,
        "held": list(
            Ticket.objects.filter(agent=agent, status=Ticket.Status.ASSIGNED).values_list(
                "pk", flat=True
            )
        ),
        "offers": list(
            Offer.objects.filter(agent=agent, outcome=Offer.Outcome.PENDING).values_list(
                "pk", flat=True
            )
        ),
    }


def test_a_proposed_suspension_changes_nothing_until_staff_decide(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    agent = AgentFactory(quality_tier=Agent.QualityTier.STANDARD)
    held = ResolvedTicketFactory(
        agent=agent, status=Ticket.Status.ASSIGNED, resolved_at=None, resolved_by=None
    )
    offer = OfferFactory(agent=agent)
    scored(25, agent=agent)
    before = agent_state(agent)
    assert before["held"] == [held.pk]
    assert before["offers"] == [offer.pk]

    with django_capture_on_commit_callbacks(execute=True):
        (proposal_id,) = consequences_propose()

    assert ConsequenceProposal.objects.get(pk=proposal_id).kind == Kind.SUSPENSION
    assert agent_state(agent) == before
    assert AgentStatusEvent.objects.filter(agent=agent).count() == 0
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        consequence_decide(
            proposal_id=proposal_id,
            decided_by=staff,
            accept=True,
            reason="Three complaints of rudeness this month.",
        )

    after = agent_state(agent)
    assert after["status"] == Agent.Status.SUSPENDED
    assert (after["online"], after["held"], after["offers"]) == (False, [], [])
    event = AgentStatusEvent.objects.get(agent=agent)
    assert (event.from_status, event.to_status, event.actor) == ("active", "suspended", staff)
    assert "Three complaints of rudeness this month." in event.reason
    (email,) = mailoutbox
    assert email.to == [agent.user.email]
    assert "suspend" in email.subject.lower()
    assert "Three complaints of rudeness this month." in email.body
    proposal = ConsequenceProposal.objects.get(pk=proposal_id)
    assert (proposal.status, proposal.decided_by, proposal.decision_reason) == (
        Status.ACCEPTED,
        staff,
        "Three complaints of rudeness this month.",
    )
    assert proposal.decided_at is not None


# --- Staff decide ------------------------------------------------------------------------


def test_accepting_coaching_records_it_and_emails_the_agent_but_changes_nothing_else(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = ConsequenceProposalFactory(kind=Kind.COACHING)
    before = agent_state(proposal.agent)

    with django_capture_on_commit_callbacks(execute=True):
        consequence_decide(
            proposal_id=proposal.pk, decided_by=staff, accept=True, reason="Tone, see reviews."
        )

    proposal.refresh_from_db()
    assert proposal.status == Status.ACCEPTED
    assert agent_state(proposal.agent) == before
    (email,) = mailoutbox
    assert "coach" in email.subject.lower()
    assert "Tone, see reviews." in email.body


def test_accepting_probation_returns_the_agent_to_probation_with_an_audit_row(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = ConsequenceProposalFactory(kind=Kind.PROBATION)
    agent = proposal.agent

    with django_capture_on_commit_callbacks(execute=True):
        consequence_decide(
            proposal_id=proposal.pk, decided_by=staff, accept=True, reason="Many reopens."
        )

    agent.refresh_from_db()
    assert (agent.quality_tier, agent.status) == (Agent.QualityTier.PROBATION, "active")
    event = AgentStatusEvent.objects.get(agent=agent)
    assert (event.from_status, event.to_status, event.actor) == ("active", "active", staff)
    assert event.reason.startswith("returned to probation")
    assert "Many reopens." in event.reason
    (email,) = mailoutbox
    assert "probation" in email.subject.lower()
    assert "Many reopens." in email.body


def test_dismissing_records_the_decision_changes_nothing_and_sends_no_email(
    staff, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = ConsequenceProposalFactory(kind=Kind.SUSPENSION)
    before = agent_state(proposal.agent)

    with django_capture_on_commit_callbacks(execute=True):
        consequence_decide(
            proposal_id=proposal.pk, decided_by=staff, accept=False, reason="A bad week; ok."
        )

    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decision_reason) == (
        Status.DISMISSED,
        staff,
        "A bad week; ok.",
    )
    assert agent_state(proposal.agent) == before
    assert AgentStatusEvent.objects.count() == 0
    assert mailoutbox == []


def test_a_decision_without_a_reason_is_refused_and_nothing_is_stored(staff):
    proposal = ConsequenceProposalFactory(kind=Kind.SUSPENSION)

    with pytest.raises(ValidationError, match="A reason is required"):
        consequence_decide(proposal_id=proposal.pk, decided_by=staff, accept=True, reason="  ")

    proposal.refresh_from_db()
    proposal.agent.refresh_from_db()
    assert (proposal.status, proposal.agent.status) == (Status.PROPOSED, "active")


def test_a_proposal_decided_once_cannot_be_decided_again(staff, mailoutbox):
    proposal = ConsequenceProposalFactory(kind=Kind.COACHING)
    consequence_decide(proposal_id=proposal.pk, decided_by=staff, accept=False, reason="No.")

    with pytest.raises(ConsequenceError, match="already been decided"):
        consequence_decide(proposal_id=proposal.pk, decided_by=staff, accept=True, reason="Yes.")

    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason) == (Status.DISMISSED, "No.")


def test_accepting_a_suspension_of_an_agent_no_longer_active_is_refused_and_nothing_stored(
    staff,
):
    proposal = ConsequenceProposalFactory(
        kind=Kind.SUSPENSION,
        agent=AgentFactory(status=Agent.Status.SUSPENDED, is_online=False),
    )

    with pytest.raises(ConsequenceError, match="Not suspended"):
        consequence_decide(proposal_id=proposal.pk, decided_by=staff, accept=True, reason="Yes.")

    proposal.refresh_from_db()
    assert proposal.status == Status.PROPOSED
    assert AgentStatusEvent.objects.count() == 0


def test_the_email_task_sends_nothing_for_a_dismissed_proposal(staff, mailoutbox):
    proposal = ConsequenceProposalFactory(kind=Kind.COACHING)
    consequence_decide(proposal_id=proposal.pk, decided_by=staff, accept=False, reason="No.")

    task_named("quality.tasks.send_consequence_email").apply(args=[proposal.pk])

    assert mailoutbox == []
