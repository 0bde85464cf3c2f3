"""The daily quality score (quality.scoring): each component from the last 30 days, the
weighted score, the tier it leads to, and what a run costs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import Agent
from agents.services import AgentQuality, agent_quality_set
from quality import scoring
from quality.models import AgentQualityScore, ConsequenceProposal, QualityThresholds, Review
from quality.tasks import compute_quality_scores
from tests.factories import AgentFactory, DecidedOfferFactory, TicketFactory, UserFactory
from tickets.models import Ticket, TicketEvent

Tier = Agent.QualityTier
Status = Ticket.Status
pytestmark = pytest.mark.django_db


# --- The weights, pure ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("components", "expected"),
    [
        pytest.param(
            {
                "confirmed_resolution_pct": 100,
                "reopen_pct": 0,
                "csat_pct": 100,
                "qa_pct": 100,
                "offer_acceptance_pct": 100,
            },
            100,
            id="perfect on every count, no reopen",
        ),
        pytest.param(
            {
                "confirmed_resolution_pct": 80,
                "reopen_pct": 10,
                "csat_pct": 90,
                "qa_pct": 70,
                "offer_acceptance_pct": 50,
            },
            78,
            id="30·80 + 15·(100−10) + 20·90 + 25·70 + 10·50 over 100",
        ),
        pytest.param({"csat_pct": 90}, 90, id="one component: its own value"),
        pytest.param(
            {"qa_pct": 60, "offer_acceptance_pct": 90},
            69,
            id="the missing components drop out and the weights renormalise, rounded half up",
        ),
        pytest.param({"reopen_pct": 100}, 0, id="everything reopened scores nothing"),
        pytest.param({}, None, id="nothing to measure: no score"),
    ],
)
def test_the_score_is_the_weighted_mean_of_the_components_measured(components, expected):
    assert scoring.weighted_score(components) == expected


def test_the_weights_add_up_to_100():
    assert sum(component.weight for component in scoring.COMPONENTS) == 100


# --- Building a record -----------------------------------------------------------------------


def resolved(agent, *, confirmed=True, rating=None, ago=timedelta(hours=5)) -> Ticket:
    """A ticket the agent resolved ``ago``, confirmed or not, rated or not."""
    at = timezone.now() - ago
    ticket = TicketFactory(
        status=Status.RESOLVED,
        agent=agent,
        resolved_by=agent,
        escalated_at=at - timedelta(minutes=10),
        claimed_at=at - timedelta(minutes=9),
        resolved_at=at,
        rating=rating,
        resolution_confirmed_at=at + timedelta(hours=1) if confirmed else None,
        resolution_confirmed_by="customer" if confirmed else "",
    )
    event = TicketEvent.objects.create(
        ticket=ticket,
        from_status=Status.ASSIGNED,
        to_status=Status.RESOLVED,
        actor_kind="agent",
        agent=agent,
        reason="resolved",
    )
    TicketEvent.objects.filter(pk=event.pk).update(created_at=at)
    return ticket


def reopened(agent, *, ago=timedelta(hours=5)) -> Ticket:
    """A ticket the agent resolved and the customer reopened: back in the queue."""
    at = timezone.now() - ago
    ticket = TicketFactory(
        status=Status.QUEUED,
        escalated_at=at,
        required_skills=["general"],
        resolved_by=agent,
        reopen_count=1,
    )
    for from_status, to_status, reason in [
        (Status.ASSIGNED, Status.RESOLVED, "resolved"),
        (Status.RESOLVED, Status.QUEUED, "reopened: not_solved"),
    ]:
        event = TicketEvent.objects.create(
            ticket=ticket,
            from_status=from_status,
            to_status=to_status,
            actor_kind="customer",
            agent=agent,
            reason=reason,
        )
        TicketEvent.objects.filter(pk=event.pk).update(created_at=at)
    return ticket


def reviewed(agent, score_pct, *, ago=timedelta(hours=2)) -> Review:
    return Review.objects.create(
        ticket=resolved(agent),
        agent=agent,
        reason=Review.Reason.SAMPLE,
        status=Review.Status.SCORED,
        reviewer=UserFactory(is_staff=True),
        score_pct=score_pct,
        scored_at=timezone.now() - ago,
    )


def offers(agent, *outcomes, ago=timedelta(hours=3)):
    for outcome in outcomes:
        DecidedOfferFactory(
            agent=agent,
            ticket=TicketFactory(),
            outcome=outcome,
            sent_at=timezone.now() - ago,
        )


def score_of(agent) -> AgentQualityScore:
    return AgentQualityScore.objects.get(agent=agent, day=timezone.now().date())


# --- The components ------------------------------------------------------------------------


def test_each_component_is_measured_from_the_agent_s_last_30_days():
    agent = AgentFactory(quality_tier=Tier.STANDARD)
    resolved(agent, rating=5)
    resolved(agent, rating=2)
    resolved(agent)
    reopened(agent)
    offers(agent, "accepted", "accepted", "accepted", "declined", "withdrawn")

    scoring.agent_quality_scores_compute()

    row = score_of(agent)
    assert row.tickets_resolved == 4
    assert row.confirmed_resolution_pct == 75  # 3 confirmed of 3 confirmed + 1 reopened
    assert row.reopen_pct == 25  # 1 reopen of 4 resolutions
    assert row.csat_pct == 50  # one 5 of two ratings
    assert row.qa_pct is None
    assert row.offer_acceptance_pct == 75  # a withdrawn offer was not the agent's to answer
    # (30·75 + 15·75 + 20·50 + 10·75) / 75 = 68.3
    assert row.score == 68


def test_the_qa_component_is_the_mean_of_the_reviews_scored_in_the_window():
    agent = AgentFactory(quality_tier=Tier.STANDARD)
    reviewed(agent, 80)
    reviewed(agent, 91)
    reviewed(agent, 10, ago=timedelta(days=31))

    scoring.agent_quality_scores_compute()

    assert score_of(agent).qa_pct == 86  # 85.5, rounded half up


def test_a_resolution_not_yet_confirmed_counts_for_neither_confirmed_nor_reopened():
    agent = AgentFactory(quality_tier=Tier.STANDARD)
    resolved(agent, confirmed=False)

    scoring.agent_quality_scores_compute()

    row = score_of(agent)
    assert (row.tickets_resolved, row.confirmed_resolution_pct, row.reopen_pct) == (1, None, 0)
    assert row.score == 100  # the reopen rate alone: nothing reopened


def test_activity_older_than_30_days_is_not_counted():
    agent = AgentFactory(quality_tier=Tier.STANDARD)
    resolved(agent, rating=1, ago=timedelta(days=31))
    reopened(agent, ago=timedelta(days=31))
    offers(agent, "expired", ago=timedelta(days=31))
    resolved(agent, rating=5)

    scoring.agent_quality_scores_compute()

    row = score_of(agent)
    assert (row.tickets_resolved, row.csat_pct, row.offer_acceptance_pct) == (1, 100, None)


def test_the_agent_carries_its_score_tier_and_when_it_was_scored():
    agent = AgentFactory(quality_tier=Tier.STANDARD)
    resolved(agent, rating=4)
    at = timezone.now()

    scoring.agent_quality_scores_compute(at=at)

    agent.refresh_from_db()
    assert (agent.quality_score, agent.quality_tier, agent.quality_scored_at) == (
        100,
        Tier.STANDARD,
        at,
    )


def test_a_second_run_of_the_day_rewrites_the_day_s_row():
    agent = AgentFactory(quality_tier=Tier.STANDARD)
    resolved(agent, rating=5)
    compute_quality_scores.apply()
    resolved(agent, rating=1)

    compute_quality_scores.apply()

    row = AgentQualityScore.objects.get(agent=agent)
    assert (row.tickets_resolved, row.csat_pct) == (2, 50)


def test_an_agent_idle_for_30_days_loses_its_score_and_keeps_its_tier():
    idle = AgentFactory(quality_tier=Tier.EXPERT, quality_score=91)

    assert scoring.agent_quality_scores_compute() == 0

    idle.refresh_from_db()
    assert (idle.quality_score, idle.quality_tier) == (None, Tier.EXPERT)
    assert not AgentQualityScore.objects.exists()


# --- Tiers ---------------------------------------------------------------------------------


def test_an_agent_stays_on_probation_until_its_probation_tickets_are_confirmed(settings):
    settings.PROBATION_TICKETS = 3
    agent = AgentFactory()  # probation, the model's default
    resolved(agent, rating=5)
    resolved(agent, rating=5)
    resolved(agent, rating=5, confirmed=False)

    scoring.agent_quality_scores_compute()

    agent.refresh_from_db()
    assert (agent.quality_tier, agent.quality_score) == (Tier.PROBATION, 100)


def test_an_agent_leaves_probation_with_its_probation_tickets_confirmed(settings):
    settings.PROBATION_TICKETS = 3
    agent = AgentFactory()
    for _ in range(3):
        resolved(agent, rating=3)

    scoring.agent_quality_scores_compute()

    agent.refresh_from_db()
    assert agent.quality_tier == Tier.STANDARD
    assert score_of(agent).tier == Tier.STANDARD


def test_confirmed_resolutions_before_the_window_count_towards_probation(settings):
    settings.PROBATION_TICKETS = 3
    agent = AgentFactory()
    resolved(agent, ago=timedelta(days=60))
    resolved(agent, ago=timedelta(days=50))
    resolved(agent)

    scoring.agent_quality_scores_compute()

    agent.refresh_from_db()
    assert agent.quality_tier == Tier.STANDARD


def test_an_agent_returned_to_probation_counts_only_resolutions_confirmed_since(settings):
    settings.PROBATION_TICKETS = 3
    agent = AgentFactory()
    for _ in range(3):
        resolved(agent, ago=timedelta(days=3))
    ConsequenceProposal.objects.create(
        agent=agent,
        kind=ConsequenceProposal.Kind.PROBATION,
        status=ConsequenceProposal.Status.ACCEPTED,
        decided_by=UserFactory(is_staff=True),
        decided_at=timezone.now() - timedelta(days=1),
        decision_reason="Three reopens in a week.",
    )
    resolved(agent)

    scoring.agent_quality_scores_compute()

    agent.refresh_from_db()
    assert agent.quality_tier == Tier.PROBATION


def test_a_standard_agent_with_a_high_score_and_enough_tickets_becomes_expert():
    QualityThresholds.objects.update(expert_from=85, min_tickets=3)
    agent = AgentFactory(quality_tier=Tier.STANDARD)
    for _ in range(3):
        resolved(agent, rating=5)

    scoring.agent_quality_scores_compute()

    agent.refresh_from_db()
    assert agent.quality_tier == Tier.EXPERT


def test_a_high_score_on_too_few_tickets_does_not_make_an_expert():
    QualityThresholds.objects.update(expert_from=85, min_tickets=3)
    agent = AgentFactory(quality_tier=Tier.STANDARD)
    resolved(agent, rating=5)
    resolved(agent, rating=5)

    scoring.agent_quality_scores_compute()

    agent.refresh_from_db()
    assert agent.quality_tier == Tier.STANDARD


def test_an_expert_whose_score_falls_below_the_threshold_is_standard_again():
    QualityThresholds.objects.update(expert_from=85, min_tickets=1)
    agent = AgentFactory(quality_tier=Tier.EXPERT)
    resolved(agent, rating=5)
    reopened(agent)

    scoring.agent_quality_scores_compute()

    agent.refresh_from_db()
    assert agent.quality_tier == Tier.STANDARD


def test_a_poor_score_never_sends_an_agent_back_to_probation():
    agent = AgentFactory(quality_tier=Tier.STANDARD)
    resolved(agent, rating=1)
    reopened(agent)
    reopened(agent)
    offers(agent, "expired", "declined")

    scoring.agent_quality_scores_compute()

    agent.refresh_from_db()
    assert agent.quality_score < 40
    assert agent.quality_tier == Tier.STANDARD


# --- Cost ------------------------------------------------------------------------------------


@pytest.mark.parametrize("agent_count", [1, 40])
def test_a_run_costs_the_same_number_of_queries_whatever_the_number_of_agents(
    agent_count, settings, django_assert_num_queries
):
    settings.PROBATION_TICKETS = 1
    for agent in AgentFactory.create_batch(agent_count):
        resolved(agent, rating=4)
        reviewed(agent, 70)
        offers(agent, "accepted")
    AgentFactory(quality_tier=Tier.STANDARD, quality_score=50)  # idle: its score goes

    # 7 reads (events, tickets, reviews, offers, agents, thresholds, those on probation's
    # confirmations), the scores' upsert, the agents' bulk UPDATE, the savepoint pair.
    with django_assert_num_queries(7 + 2 + 2):
        assert scoring.agent_quality_scores_compute() == agent_count

    assert set(Agent.objects.values_list("quality_tier", flat=True)) == {Tier.STANDARD}


# --- Wiring ----------------------------------------------------------------------------------


def test_the_scores_are_computed_every_night_at_2_utc_on_the_batch_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["compute-quality-scores"]

    assert entry["task"] == "quality.tasks.compute_quality_scores"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {0})
    assert settings.CELERY_TASK_ROUTES[entry["task"]]["queue"].endswith("batch")


@pytest.mark.parametrize(
    "quality",
    [
        AgentQuality(agent_id=1, score=50, tier="gold"),
        AgentQuality(agent_id=1, score=101, tier="expert"),
    ],
    ids=["an unknown tier", "a score above 100"],
)
def test_recording_a_quality_refuses_what_the_model_does_not_know(quality):
    with pytest.raises(ValueError, match="quality"):
        agent_quality_set(qualities=[quality], at=timezone.now())
