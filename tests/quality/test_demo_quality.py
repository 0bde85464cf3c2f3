"""seed_demo gives the demo agents ten weeks of past conversations, and the quality scores,
tiers and metrics follow from them by the product's own computation."""

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db.models import Count, Max
from django.utils import timezone

from agents import services as agent_services
from agents.models import Agent, User
from portal import demo_history
from quality.metrics import quality_metrics
from quality.models import AgentQualityScore, Review, ReviewScore, RubricCriterion
from quality.reviews import score_percent
from tests.factories import AgentFactory, QueuedTicketFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--agents", "8")
    return list(
        Agent.objects.filter(user__email__startswith="agent")
        .select_related("user")
        .order_by("user__email")
    )


def history_counts() -> dict[str, int]:
    return {
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "messages": Message.objects.count(),
        "reviews": Review.objects.count(),
        "review_scores": ReviewScore.objects.count(),
        "quality_scores": AgentQualityScore.objects.count(),
    }


def test_the_metrics_page_has_data_for_each_of_the_last_weeks(seeded, client):
    report = quality_metrics()

    # Ten weeks back from now: the nine weeks before this one are whole.
    for week in report.overall.weeks[-10:-1]:
        assert week.resolves > 0
        assert week.confirmed_pct is not None
        assert week.csat_pct is not None
        assert week.qa_pct is not None
    assert {series.agent_id for series in report.by_agent} == {agent.pk for agent in seeded}
    assert {series.key for series in report.by_tier} == {"probation", "standard", "expert"}
    client.force_login(User.objects.get(email="admin@example.com"))
    response = client.get("/admin/quality/agentqualityscore/metrics/")
    assert response.status_code == 200
    client.force_login(seeded[0].user)
    assert client.get("/portal/quality/").status_code == 200


def test_the_scores_are_computed_from_the_history_and_show_all_three_tiers(seeded):
    assert all(agent.quality_score is not None for agent in seeded)
    assert [agent.quality_tier for agent in seeded].count("expert") == 1
    assert {agent.quality_tier for agent in seeded} == {"probation", "standard", "expert"}
    # A week of daily scores, as the nightly computation writes them.
    assert AgentQualityScore.objects.filter(agent__in=seeded).count() == 8 * 7
    for agent in seeded:
        latest = AgentQualityScore.objects.filter(agent=agent).order_by("-day").first()
        assert (latest.score, latest.tier) == (agent.quality_score, agent.quality_tier)
        assert latest.day == timezone.now().date()
        assert latest.tickets_resolved > 0
    confirmed = dict(
        Ticket.objects.filter(resolution_confirmed_at__isnull=False)
        .values_list("resolved_by")
        .annotate(n=Count("id"))
    )
    for agent in seeded:
        on_probation = agent.quality_tier == Agent.QualityTier.PROBATION
        assert (confirmed[agent.pk] < django_settings.PROBATION_TICKETS) == on_probation


def test_the_history_is_resolved_in_the_past_with_its_audit_trail(seeded):
    now = timezone.now()
    tickets = Ticket.objects.filter(resolved_by__in=seeded)
    assert 300 < tickets.count() < 1000
    assert set(tickets.values_list("status", flat=True)) == {Ticket.Status.RESOLVED}
    assert not tickets.exclude(customer_email="", customer_phone="").exists()
    latest = tickets.aggregate(
        resolved=Max("resolved_at"),
        confirmed=Max("resolution_confirmed_at"),
        created=Max("created_at"),
    )
    assert all(moment < now for moment in latest.values())
    for agent in seeded:
        languages = set(tickets.filter(agent=agent).values_list("language", flat=True))
        assert languages <= set(agent.languages)
    events = TicketEvent.objects.filter(ticket__in=tickets)
    assert events.aggregate(latest=Max("created_at"))["latest"] < now
    resolves = events.filter(to_status=Ticket.Status.RESOLVED).count()
    reopens = events.filter(reason__startswith=TicketEvent.REOPEN_REASON_PREFIX).count()
    assert resolves == tickets.count() + reopens
    assert reopens == sum(tickets.values_list("reopen_count", flat=True))
    # Every demo agent has a few reopens, confirmations and ratings, some of them low.
    for agent in seeded:
        mine = tickets.filter(resolved_by=agent)
        assert mine.filter(reopen_count__gt=0).exists()
        assert mine.filter(resolution_confirmed_by=Ticket.ResolutionConfirmation.CUSTOMER).exists()
        assert mine.filter(rating__gte=4).exists()
    assert tickets.filter(rating__lte=2).exists()


def test_the_reviews_are_scored_on_the_rubric_by_the_demo_admin(seeded):
    weights = dict(RubricCriterion.objects.filter(is_active=True).values_list("pk", "weight"))
    scored = Review.objects.filter(status=Review.Status.SCORED).prefetch_related("scores")

    assert scored.count() > 50
    assert {review.reviewer.email for review in scored} == {"admin@example.com"}
    for review in scored:
        scores = {score.criterion_id: score.score for score in review.scores.all()}
        assert set(scores) == set(weights)
        assert review.score_pct == score_percent(scores, weights)
        assert review.created_at < review.scored_at < timezone.now()
    assert set(scored.values_list("reason", flat=True)) == {"sample", "low_rating", "reopened"}
    # The queue is left to the live demo's conversations.
    assert not Review.objects.filter(status=Review.Status.QUEUED).exists()


def test_the_demo_agents_hold_nothing_and_still_take_new_conversations(seeded):
    assert not Ticket.objects.filter(status=Ticket.Status.ASSIGNED).exists()
    agent = seeded[0]
    assert agent_services.agent_connected(agent_id=agent.pk, channel_name="demo-test")
    ticket = QueuedTicketFactory()

    result = ticket_services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    assert result.ok


def test_seed_demo_run_again_adds_nothing_and_leaves_the_scores_as_they_are(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--agents", "3")
    first = history_counts()
    Agent.objects.filter(user__email="agent01@example.com").update(quality_score=12)

    call_command("seed_demo", "--agents", "3")

    assert history_counts() == first
    assert first["quality_scores"] == 3 * 7
    assert Agent.objects.get(user__email="agent01@example.com").quality_score == 12


def test_seed_demo_gives_history_only_to_demo_agents_without_any(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--agents", "2")
    before = Ticket.objects.filter(resolved_by__isnull=False).count()

    call_command("seed_demo", "--agents", "4")

    new_agents = Agent.objects.filter(
        user__email__in=["agent03@example.com", "agent04@example.com"]
    )
    assert Ticket.objects.filter(resolved_by__in=new_agents).count() == (
        Ticket.objects.filter(resolved_by__isnull=False).count() - before
    )
    assert all(agent.quality_score is not None for agent in new_agents)


def test_the_history_is_written_in_batches_whatever_the_number_of_agents(
    django_assert_max_num_queries,
):
    agents = [
        AgentFactory(user__email=f"agent{number:02d}@example.com", skills=["general", "billing"])
        for number in range(1, 9)
    ]
    reviewer = UserFactory(is_staff=True)

    # About 750 conversations and 3,000 rows with their events, messages and reviews, in
    # batches: some 70 queries on SQLite, where a statement takes at most 999 parameters so
    # a ticket INSERT holds about 30 rows; a query per row would be thousands.
    with django_assert_max_num_queries(100):
        created = demo_history.demo_history_create(
            agents=agents, reviewer=reviewer, now=timezone.now()
        )

    assert created == Ticket.objects.count() > 500
