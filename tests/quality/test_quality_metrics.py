"""Quality metrics by week, overall and by tier, topic and agent (quality.metrics), the admin's
metrics page and the portal's trend include."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from django.utils import timezone

from agents.models import Agent
from quality import charts, metrics
from tests.factories import (
    AgentFactory,
    QualityReviewFactory,
    QueuedTicketFactory,
    ResolvedTicketFactory,
    UserFactory,
)
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

METRICS = "/admin/quality/agentqualityscore/metrics/"
T = Agent.QualityTier


def resolved(agent, *, topic, at, confirmed=False, rating=None) -> Ticket:
    """A ticket ``agent`` resolved at ``at``, with its resolve in the audit trail."""
    ticket = ResolvedTicketFactory(
        agent=agent,
        topic=topic,
        resolved_at=at,
        rating=rating,
        resolution_confirmed_at=at + timedelta(hours=1) if confirmed else None,
        resolution_confirmed_by=Ticket.ResolutionConfirmation.CUSTOMER if confirmed else "",
    )
    event(ticket, agent, Ticket.Status.ASSIGNED, Ticket.Status.RESOLVED, at, "resolved")
    return ticket


def reopened(agent, *, topic, at) -> Ticket:
    """A ticket ``agent`` resolved and the customer reopened: back in the queue."""
    ticket = QueuedTicketFactory(topic=topic)
    event(ticket, agent, Ticket.Status.ASSIGNED, Ticket.Status.RESOLVED, at, "resolved")
    event(ticket, agent, Ticket.Status.RESOLVED, Ticket.Status.QUEUED, at, "reopened: no")
    return ticket


def event(ticket, agent, from_status, to_status, at, reason) -> None:
    row = TicketEvent.objects.create(
        ticket=ticket,
        from_status=from_status,
        to_status=to_status,
        actor_kind=TicketEvent.Actor.AGENT,
        agent=agent,
        reason=reason,
    )
    TicketEvent.objects.filter(pk=row.pk).update(created_at=at)


def reviewed(agent, *, topic, at, score_pct) -> None:
    QualityReviewFactory(
        ticket__agent=agent, ticket__topic=topic, score_pct=score_pct, scored_at=at
    )


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def seeded(now):
    """This week: Ana (standard, billing) resolved 4, one reopened, 2 confirmed, rated 5 and
    2, reviewed 60 and 40; Ben (expert, shipping) resolved 2, both confirmed, rated 4 and 5,
    reviewed 90. Last week: Cy (probation, billing) resolved 2, 1 confirmed, rated 1,
    reviewed 70. Thirteen weeks ago, out of range: one of Ana's."""
    ana = AgentFactory(user__first_name="Ana", quality_tier=T.STANDARD)
    ben = AgentFactory(user__first_name="Ben", quality_tier=T.EXPERT)
    cy = AgentFactory(user__first_name="Cy", quality_tier=T.PROBATION)
    last_week = now - timedelta(days=7)

    resolved(ana, topic="billing", at=now, confirmed=True, rating=5)
    resolved(ana, topic="billing", at=now, confirmed=True, rating=2)
    resolved(ana, topic="billing", at=now)
    reopened(ana, topic="billing", at=now)
    reviewed(ana, topic="billing", at=now, score_pct=60)
    reviewed(ana, topic="billing", at=now, score_pct=40)

    resolved(ben, topic="shipping", at=now, confirmed=True, rating=4)
    resolved(ben, topic="shipping", at=now, confirmed=True, rating=5)
    reviewed(ben, topic="shipping", at=now, score_pct=90)

    resolved(cy, topic="billing", at=last_week, confirmed=True, rating=1)
    resolved(cy, topic="billing", at=last_week)
    reviewed(cy, topic="billing", at=last_week, score_pct=70)

    resolved(ana, topic="billing", at=now - timedelta(weeks=13), confirmed=True, rating=5)
    return {"ana": ana, "ben": ben, "cy": cy}


def rates(counts: metrics.Counts) -> tuple:
    return (
        counts.resolves,
        counts.confirmed_pct,
        counts.reopen_pct,
        counts.csat_pct,
        counts.qa_pct,
    )


def test_the_overall_rates_by_week_are_the_hand_counted_ones(seeded, now):
    report = metrics.quality_metrics(now=now)

    assert len(report.week_starts) == 12
    this_week, last_week = report.overall.weeks[-1], report.overall.weeks[-2]
    # 6 resolves, 4 confirmed and 1 reopened (4 of 5), 1 still in its window; 4 rated, 3 of
    # them 4+; reviews 60, 40, 90.
    assert rates(this_week) == (6, 80, 17, 75, 63)
    # 2 resolves, 1 confirmed, the other still in its window; 1 rated, not 4+; review 70.
    assert rates(last_week) == (2, 100, 0, 0, 70)
    assert all(rates(week) == (0, None, None, None, None) for week in report.overall.weeks[:-2])


def test_the_totals_count_over_the_twelve_weeks_not_averages_of_weeks(seeded, now):
    report = metrics.quality_metrics(now=now)

    # 8 resolves; 5 confirmed and 1 reopened (5 of 6: 83.3 → 83), 1 reopened of 8 resolves
    # (12.5 → 13); 5 rated, 3 satisfied; QA (60 + 40 + 90 + 70) / 4 = 65. The 13-week-old
    # resolve is left out.
    assert rates(report.overall.total) == (8, 83, 13, 60, 65)


def test_the_rates_by_tier_are_the_hand_counted_ones(seeded, now):
    report = metrics.quality_metrics(now=now)

    by_tier = {series.key: rates(series.total) for series in report.by_tier}
    assert by_tier == {
        "probation": (2, 100, 0, 0, 70),
        "standard": (4, 67, 25, 50, 50),
        "expert": (2, 100, 0, 100, 90),
    }
    assert [series.key for series in report.by_tier] == ["probation", "standard", "expert"]


def test_the_rates_by_topic_are_the_hand_counted_ones(seeded, now):
    report = metrics.quality_metrics(now=now)

    by_topic = {series.key: rates(series.total) for series in report.by_topic}
    # billing: Ana's 4 and Cy's 2 resolves; 3 confirmed and 1 reopened (3 of 4); rated 5, 2,
    # 1; QA (60 + 40 + 70) / 3 = 56.7.
    assert by_topic == {
        "billing": (6, 75, 17, 33, 57),
        "shipping": (2, 100, 0, 100, 90),
    }


def test_the_rates_by_agent_are_the_hand_counted_ones_and_name_the_agent(seeded, now):
    report = metrics.quality_metrics(now=now)

    by_agent = {series.label: (series.agent_id, rates(series.total)) for series in report.by_agent}
    assert by_agent == {
        "Ana": (seeded["ana"].pk, (4, 67, 25, 50, 50)),
        "Ben": (seeded["ben"].pk, (2, 100, 0, 100, 90)),
        "Cy": (seeded["cy"].pk, (2, 100, 0, 0, 70)),
    }


def test_a_ticket_without_a_topic_is_counted_under_no_topic(now):
    resolved(AgentFactory(), topic="", at=now, confirmed=True)

    report = metrics.quality_metrics(now=now)

    assert [(s.label, s.total.resolves) for s in report.by_topic] == [("(no topic)", 1)]


def test_the_metrics_take_three_queries_however_many_agents_and_tickets(
    now, django_assert_num_queries
):
    def seed(agents: int) -> None:
        for n in range(agents):
            agent = AgentFactory(quality_tier=[T.PROBATION, T.STANDARD, T.EXPERT][n % 3])
            for k in range(3):
                resolved(agent, topic=f"topic{k}", at=now, confirmed=True, rating=5)
            reopened(agent, topic="topic0", at=now)
            reviewed(agent, topic="topic1", at=now, score_pct=80)

    seed(1)
    with django_assert_num_queries(3):
        metrics.quality_metrics(now=now)
    seed(9)
    with django_assert_num_queries(3):
        report = metrics.quality_metrics(now=now)

    assert report.overall.total.resolves == 10 * 4


def test_an_agents_trend_is_its_own_rates_by_week(seeded, now, django_assert_num_queries):
    with django_assert_num_queries(3):
        trend = metrics.agent_quality_trend(agent_id=seeded["ana"].pk, now=now)

    assert rates(trend.weeks[-1]) == (4, 67, 25, 50, 50)
    assert rates(trend.weeks[-2]) == (0, None, None, None, None)


def test_an_agent_with_nothing_measured_has_an_empty_trend(now):
    trend = metrics.agent_quality_trend(agent_id=AgentFactory().pk, now=now)

    assert len(trend.weeks) == 12
    assert trend.total.resolves == 0
    assert trend.rate("confirmed_pct") == [None] * 12


# --- Charts and the portal's include -----------------------------------------------------


def test_a_chart_leaves_a_gap_for_a_week_without_data():
    starts = metrics.week_starts(weeks=4)

    chart = charts.rate_chart(
        title="t", week_starts=starts, lines=[("a", [50, 60, None, 100])], width=300, height=100
    )

    (line,) = chart["lines"]
    assert line["polylines"] == ["0.0,50.0 100.0,40.0"]
    assert line["dots"] == [["300.0", "0.0"]]
    assert line["last"] == 100


def test_the_portal_include_renders_an_agents_trend_on_its_own(seeded, now):
    html = render_to_string(
        "portal/_quality_trend.html",
        {"quality_trend": charts.agent_quality_trend_context(agent_id=seeded["ana"].pk)},
    )

    assert "<svg" in html
    assert "<polyline" in html or "<circle" in html
    assert "Confirmed resolution: 67%" in html
    assert "Reopened: 25%" in html
    assert "CSAT: 50%" in html
    assert "QA: 50%" in html


def test_the_portal_include_says_when_there_is_nothing_yet():
    html = render_to_string(
        "portal/_quality_trend.html",
        {"quality_trend": charts.agent_quality_trend_context(agent_id=AgentFactory().pk)},
    )

    assert "Nothing to show yet" in html
    assert "<svg" not in html


# --- The admin page ------------------------------------------------------------------------


def test_staff_see_the_metrics_page_with_charts_and_tables(client, seeded):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(METRICS)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg role=") == 4
    for heading in ("By tier", "By topic", "By agent"):
        assert heading in page
    assert f'href="/admin/agents/agent/{seeded["ana"].pk}/change/"' in page
    assert "shipping" in page


def test_the_metrics_page_takes_the_same_queries_for_few_agents_and_many(
    client, now, django_assert_max_num_queries
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for n in range(12):
        agent = AgentFactory(quality_tier=T.STANDARD)
        resolved(agent, topic=f"t{n % 4}", at=now, confirmed=True, rating=4)
        reviewed(agent, topic="t0", at=now, score_pct=75)

    # Session and user, then the three metrics queries.
    with django_assert_max_num_queries(6):
        response = client.get(METRICS)

    assert response.status_code == 200


def test_the_admin_index_links_to_the_metrics_page(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert METRICS in client.get("/admin/").content.decode()


def test_the_metrics_page_refuses_someone_who_is_not_staff(client):
    client.force_login(UserFactory(is_staff=False))

    response = client.get(METRICS)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_metrics_page_refuses_staff_without_permission_to_view_scores(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(METRICS).status_code == 403


def test_staff_allowed_to_view_scores_see_the_metrics_page(client):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_agentqualityscore"))
    client.force_login(user)

    assert client.get(METRICS).status_code == 200


@pytest.mark.parametrize("pick", ["topic", "agent"])
def test_a_topic_or_an_agent_picked_on_the_metrics_page_is_charted_by_week(client, seeded, pick):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    key = "billing" if pick == "topic" else str(seeded["ana"].pk)

    response = client.get(METRICS, {pick: key})

    assert response.status_code == 200
    chart = response.context["picked_chart"]
    assert [line["label"] for line in chart["lines"]] == [
        "Confirmed resolution",
        "Reopened",
        "CSAT",
        "QA",
    ]
    assert response.content.decode().count("<svg role=") == 5
