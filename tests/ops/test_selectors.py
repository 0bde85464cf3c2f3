"""The live view's figures on seeded data, computed by hand; and what they cost."""

from datetime import UTC, datetime, timedelta

import pytest

from ops.selectors import LIVE_SNAPSHOT_QUERIES, live_snapshot
from payouts.models import Payout
from tests.factories import (
    AgentFactory,
    DecidedOfferFactory,
    EarningLineFactory,
    QueuedTicketFactory,
    ResolvedTicketFactory,
    ShiftAssignmentFactory,
    ShiftSlotFactory,
    TicketFactory,
)
from tickets.models import Offer, Ticket
from workforce.models import HalfHourDemand, ShiftAssignment, SurgePeriod

pytestmark = pytest.mark.django_db

# A fixed noon, so that "today" never straddles midnight while the test runs.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(**delta) -> datetime:
    return NOW - timedelta(**delta)


@pytest.fixture
def seeded(settings):
    """Seven escalations today, three agents online (busy, available, away), one offline."""
    settings.SERVICE_LEVEL_TARGET_SECONDS = 60
    busy = AgentFactory(languages=["en"], skills=["general"], capacity=3)
    free = AgentFactory(languages=["en", "sv"], skills=["general", "billing"], capacity=2)
    AgentFactory(languages=["sv"], skills=["general"], availability="away")
    offline = AgentFactory(languages=["de"], is_online=False, connection_count=0)

    def resolved(*, waited: int, rating: int | None, escalated_at=None, agent=busy):
        escalated_at = escalated_at or at(hours=2)
        return ResolvedTicketFactory(
            agent=agent,
            escalated_at=escalated_at,
            claimed_at=escalated_at + timedelta(seconds=waited),
            resolved_at=at(hours=1),
            rating=rating,
        )

    a = resolved(waited=30, rating=5)  # within the target
    resolved(waited=45, rating=3)  # within the target, a poor rating
    TicketFactory(  # with a person after 90 s: a miss
        status=Ticket.Status.ASSIGNED,
        agent=busy,
        escalated_at=at(minutes=10),
        claimed_at=at(minutes=10) + timedelta(seconds=90),
    )
    QueuedTicketFactory(language="en", escalated_at=at(seconds=120))  # waiting past: a miss
    QueuedTicketFactory(  # waiting within the target: not counted yet
        language="en", required_skills=["billing"], escalated_at=at(seconds=10)
    )
    TicketFactory(  # left after 5 minutes: a miss
        status=Ticket.Status.ABANDONED, escalated_at=at(hours=1), abandoned_at=at(minutes=55)
    )
    TicketFactory(  # left after 20 s: not counted
        status=Ticket.Status.ABANDONED,
        escalated_at=at(hours=1),
        abandoned_at=at(hours=1) + timedelta(seconds=20),
    )
    # Escalated yesterday, resolved today: its rating counts, its wait does not.
    resolved(waited=600, rating=4, escalated_at=at(days=1))

    DecidedOfferFactory(ticket=a, agent=busy, sent_at=at(minutes=30))
    DecidedOfferFactory(
        ticket=a, agent=free, sent_at=at(minutes=20), outcome=Offer.Outcome.DECLINED
    )
    DecidedOfferFactory(  # two hours ago: not in the last hour
        ticket=a, agent=free, sent_at=at(hours=2), outcome=Offer.Outcome.EXPIRED
    )

    SurgePeriod.objects.create(language="sv", started_at=at(minutes=5), trigger_wait_seconds=70)
    SurgePeriod.objects.create(
        language="en", started_at=at(hours=3), ended_at=at(hours=2), trigger_wait_seconds=70
    )

    def payout(status: str, failed_at=None) -> Payout:
        return Payout.objects.create(
            agent=offline,
            status=status,
            amount_cents=1500,
            currency="usd",
            destination="acct_test",
            requested_on=NOW.date(),
            failed_at=failed_at,
        )

    payout(Payout.Status.PENDING)
    payout(Payout.Status.PENDING)
    payout(Payout.Status.FAILED, failed_at=at(hours=3))
    payout(Payout.Status.FAILED, failed_at=at(days=3))
    EarningLineFactory(agent=offline, amount_cents=700)
    EarningLineFactory(agent=offline, amount_cents=800)
    EarningLineFactory(agent=offline, status="pending", amount_cents=999)

    day = datetime(2026, 12, 1, tzinfo=UTC)
    HalfHourDemand.objects.create(
        starts_at=day + timedelta(hours=12),
        language="en",
        skill="general",
        arrivals=4,
        handle_time_seconds=300,
        concurrency=2,
        agents_required=3,
        computed_at=at(days=1),
    )
    slot = ShiftSlotFactory(starts_at=day + timedelta(hours=10), ends_at=day + timedelta(hours=14))
    ShiftAssignmentFactory(slot=slot, agent=busy, state=ShiftAssignment.State.BOOKED)


def test_the_queue_is_read_per_language_with_its_oldest_wait(seeded):
    snapshot = live_snapshot(now=NOW)

    assert [(r.language, r.waiting, r.oldest_wait_seconds) for r in snapshot.languages] == [
        ("en", 2, 120)
    ]
    assert snapshot.waiting == 2
    assert snapshot.oldest_wait_seconds == 120


def test_each_need_shows_who_online_can_take_it_and_their_free_slots(seeded):
    rows = {(r.language, r.skills): r for r in live_snapshot(now=NOW).needs}

    billing = rows[("en", ("billing",))]
    assert (billing.waiting, billing.oldest_wait_seconds) == (1, 10)
    assert (billing.agents_online, billing.agents_available, billing.free_slots) == (1, 1, 2)
    general = rows[("en", ("general",))]
    assert (general.waiting, general.agents_online, general.free_slots) == (1, 2, 4)
    swedish = rows[("sv", ())]  # nobody waits; supply shown anyway, the away agent not free
    assert (swedish.waiting, swedish.agents_online, swedish.agents_available) == (0, 2, 1)
    assert swedish.free_slots == 2


def test_agents_are_counted_as_available_busy_or_away(seeded):
    agents = live_snapshot(now=NOW).agents

    assert (agents.online, agents.available, agents.busy, agents.away) == (3, 1, 1, 1)
    assert agents.free_slots == 4  # 3 - 1 held, and 2


def test_offers_of_the_last_hour_are_counted_by_outcome(seeded):
    snapshot = live_snapshot(now=NOW)

    assert snapshot.offers["accepted"] == 1
    assert snapshot.offers["declined"] == 1
    assert snapshot.offers["expired"] == 0
    assert snapshot.offers_sent == 2


def test_todays_service_level_counts_misses_still_waiting_and_leaves_out_those_within(seeded):
    today = live_snapshot(now=NOW).today

    assert today.escalated == 7
    assert today.reached == 3
    # Within: 30 s and 45 s. Counted: the three reached, the one waiting 120 s, the one who
    # left after 5 minutes; not the one waiting 10 s nor the one who left after 20 s.
    assert (today.within_target, today.counted) == (2, 5)
    assert today.service_level == pytest.approx(0.4)


def test_time_to_a_person_is_the_average_and_p90_of_todays_claims(seeded):
    today = live_snapshot(now=NOW).today

    assert today.average_seconds == pytest.approx(55.0)  # (30 + 45 + 90) / 3
    assert today.p90_seconds == 90.0


def test_abandonment_counts_todays_escalations_left_before_a_person(seeded):
    today = live_snapshot(now=NOW).today

    assert today.abandoned == 2
    assert today.abandonment == pytest.approx(2 / 7)


def test_csat_is_the_share_of_todays_ratings_that_are_4_or_5(seeded):
    today = live_snapshot(now=NOW).today

    assert (today.good_ratings, today.ratings) == (2, 3)  # 5 and 4 of 5, 3, 4


def test_surges_open_now_are_listed(seeded):
    assert [s.language for s in live_snapshot(now=NOW).surges] == ["sv"]


def test_payouts_due_and_failed_are_summed(seeded):
    payouts = live_snapshot(now=NOW).payouts

    assert [(r.currency, r.count, r.amount_minor) for r in payouts.pending] == [("usd", 2, 3000)]
    assert [(r.currency, r.count, r.amount_minor) for r in payouts.payable] == [("usd", 2, 1500)]
    assert (payouts.failed, payouts.failed_recent) == (2, 1)


def test_staffing_gives_todays_48_half_hours_of_forecast_and_shifts(seeded):
    half_hours = live_snapshot(now=NOW).staffing

    assert len(half_hours) == 48
    noon = half_hours[24]
    assert (noon.required, noon.committed) == (3, 1)
    assert half_hours[19].committed == 0  # the shift starts at 10:00
    assert half_hours[20].committed == 1


def test_an_empty_day_has_no_rates_rather_than_zeros(settings):
    today = live_snapshot(now=NOW).today

    assert today.service_level is None
    assert today.average_seconds is None
    assert today.csat is None


def test_the_snapshot_costs_the_same_queries_however_many_tickets_and_agents(
    seeded, django_assert_num_queries
):
    with django_assert_num_queries(LIVE_SNAPSHOT_QUERIES):
        live_snapshot(now=NOW)

    for n in range(20):
        AgentFactory(languages=["en", "de"], skills=["general"])
        QueuedTicketFactory(language="de", escalated_at=at(seconds=n))
        ResolvedTicketFactory(escalated_at=at(minutes=n), claimed_at=at(minutes=n), rating=5)

    with django_assert_num_queries(LIVE_SNAPSHOT_QUERIES):
        live_snapshot(now=NOW)
