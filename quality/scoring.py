"""Each agent's quality score and tier, recomputed daily from the last 30 days
(docs/quality.md, "The quality score and tiers").

Five components, each a percentage with a weight (``COMPONENTS``, the one table of them): a
component with nothing to measure drops out and the others' weights are renormalised; with
none at all the score is None. The tier follows from the score:

* probation until the agent has ``PROBATION_TICKETS`` confirmed resolutions (lifetime, or
  since staff last returned it to probation);
* then standard, and expert while the score is at least ``QualityThresholds.expert_from``
  with at least ``min_tickets`` resolutions in the window.

The computation never suspends anyone nor returns them to probation: those are staff
decisions (quality.consequences). It moves agents out of probation and between standard and
expert only.

A run is a fixed number of grouped queries whatever the number of agents, and idempotent: one
``AgentQualityScore`` row per agent and day, overwritten by a second run of the day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents import services as agent_services
from agents.models import Agent
from quality.models import AgentQualityScore, ConsequenceProposal, QualityThresholds, Review
from tickets.models import Offer, Ticket, TicketEvent
from tickets.selectors import ANSWERED_OUTCOMES

Tier = Agent.QualityTier
Status = Ticket.Status

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Component:
    """One measure of the score: ``field`` is its percentage on AgentQualityScore."""

    field: str
    label: str  # lazily translated, like the explanation: read in the viewer's language
    weight: int
    # True for a measure where less is better (the reopen rate): it scores 100 − the rate.
    inverted: bool
    explanation: str

    def points(self, pct: int) -> int:
        return 100 - pct if self.inverted else pct


# The weights, out of 100. Confirmed resolution and QA weigh most: they are what the customer
# got, judged by the customer and by a reviewer. The reopen rate overlaps confirmation (a
# reopen is an unconfirmed resolution), so it weighs less; acceptance least, since it is
# about the agent's availability more than its work.
COMPONENTS: tuple[Component, ...] = (
    Component(
        "confirmed_resolution_pct",
        _("Confirmed resolutions"),
        30,
        False,
        _(
            "Of your resolutions the customer confirmed or reopened, the share confirmed "
            "(by the customer, or by the reopen window passing quietly)."
        ),
    ),
    Component(
        "reopen_pct",
        _("Reopen rate"),
        15,
        True,
        _("Your resolutions that were reopened; it counts as 100 minus the rate."),
    ),
    Component(
        "csat_pct",
        _("Customer satisfaction"),
        20,
        False,
        _("Of your rated conversations, the share rated 4 or 5 stars."),
    ),
    Component(
        "qa_pct",
        _("QA reviews"),
        25,
        False,
        _("The mean score of your conversations reviewed on the rubric."),
    ),
    Component(
        "offer_acceptance_pct",
        _("Offer acceptance"),
        10,
        False,
        _("Of the offers you accepted, declined or let run out, the share accepted."),
    ),
)

# What each tier means for the agent, shown beside its score (templates/portal/_quality_score.html),
# in the viewer's language (lazy: read when the page is drawn).
TIER_MEANING: dict[str, str] = {
    Tier.PROBATION: _(
        "VIP and urgent conversations go to standard and expert agents first: you are offered "
        "them only when none of those is free. Paid the rate card's probation multiplier."
    ),
    Tier.STANDARD: _(
        "Offered every conversation you have the language and skills for, VIP and urgent "
        "ones before agents on probation. Paid the rate card's standard multiplier."
    ),
    Tier.EXPERT: _(
        "Offered every conversation you have the language and skills for, VIP and urgent "
        "ones before agents on probation. Paid the rate card's expert multiplier."
    ),
}


def _pct(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` as a whole percentage, rounded half up; None of nothing."""
    if whole <= 0:
        return None
    return min(100, (200 * part + whole) // (2 * whole))


def weighted_score(components: Mapping[str, int | None]) -> int | None:
    """The score of the components' percentages (by field): their weighted mean, over the
    components there was something to measure, rounded half up; None if there was none."""
    total_weight = total_points = 0
    for component in COMPONENTS:
        pct = components.get(component.field)
        if pct is None:
            continue
        total_weight += component.weight
        total_points += component.weight * component.points(pct)
    if not total_weight:
        return None
    return (2 * total_points + total_weight) // (2 * total_weight)


def next_tier(
    *,
    current: str,
    score: int | None,
    tickets_resolved: int,
    confirmed_on_probation: int,
    thresholds: QualityThresholds,
) -> str:
    """The tier an agent in ``current`` moves to. Never to probation: that is staff's."""
    if current == Tier.PROBATION and confirmed_on_probation < settings.PROBATION_TICKETS:
        return Tier.PROBATION
    if score is None:
        # Nothing measured: a standard or expert agent keeps its tier.
        return current if current != Tier.PROBATION else Tier.STANDARD
    if score >= thresholds.expert_from and tickets_resolved >= thresholds.min_tickets:
        return Tier.EXPERT
    return Tier.STANDARD


def agent_quality_scores_compute(*, at: datetime | None = None) -> int:
    """Score every agent with activity in the 30 days before ``at`` (resolutions, reopens,
    ratings, reviews, offers answered), write the day's ``AgentQualityScore`` rows and set
    each agent's score and tier; returns how many agents were scored. Agents with no
    activity keep their tier and lose their score (it would describe another month).

    At most nine queries, whatever the number of agents (each read is grouped by agent), plus
    one per 500 agents written.
    """
    at = at or timezone.now()
    since = at - WINDOW
    day = at.date()

    resolutions: dict[int, dict[str, int]] = {}
    events = (
        TicketEvent.objects.filter(created_at__gte=since, created_at__lt=at, agent__isnull=False)
        .filter(
            Q(to_status=Status.RESOLVED) | Q(from_status=Status.RESOLVED, to_status=Status.QUEUED)
        )
        .order_by()
        .values("agent_id")
        .annotate(
            resolved=Count("id", filter=Q(to_status=Status.RESOLVED)),
            reopened=Count("id", filter=Q(from_status=Status.RESOLVED, to_status=Status.QUEUED)),
        )
    )
    for row in events:
        resolutions[row["agent_id"]] = {"resolved": row["resolved"], "reopened": row["reopened"]}

    # The tickets whose last resolve falls in the window: confirmed or not, and rated. The
    # resolver is resolved_by, or the agent still on the ticket for resolutions made before
    # resolved_by was recorded.
    outcomes = {
        row["resolver"]: row
        for row in Ticket.objects.filter(
            status=Status.RESOLVED, resolved_at__gte=since, resolved_at__lt=at
        )
        .annotate(resolver=Coalesce("resolved_by_id", "agent_id"))
        .filter(resolver__isnull=False)
        .order_by()
        .values("resolver")
        .annotate(
            confirmed=Count("id", filter=Q(resolution_confirmed_at__isnull=False)),
            rated=Count("rating"),
            happy=Count("id", filter=Q(rating__gte=4)),
        )
    }
    reviews = {
        row["agent_id"]: row
        for row in Review.objects.filter(
            scored_at__gte=since, scored_at__lt=at, score_pct__isnull=False
        )
        .order_by()
        .values("agent_id")
        .annotate(reviewed=Count("id"), points=Sum("score_pct"))
    }
    offers = {
        row["agent_id"]: row
        for row in Offer.objects.filter(
            sent_at__gte=since, sent_at__lt=at, outcome__in=ANSWERED_OUTCOMES
        )
        .order_by()
        .values("agent_id")
        .annotate(
            answered=Count("id"), accepted=Count("id", filter=Q(outcome=Offer.Outcome.ACCEPTED))
        )
    }
    active_ids = set(resolutions) | set(outcomes) | set(reviews) | set(offers)
    # The scored agents' tiers, and the agents scored before but idle now (their score goes).
    tiers = dict(
        Agent.objects.filter(Q(pk__in=active_ids) | Q(quality_score__isnull=False))
        .order_by()
        .values_list("id", "quality_tier")
    )
    thresholds = QualityThresholds.current()
    on_probation = [agent_id for agent_id in active_ids if tiers.get(agent_id) == Tier.PROBATION]
    confirmed_on_probation = _confirmed_on_probation(on_probation)

    rows: list[AgentQualityScore] = []
    qualities: list[agent_services.AgentQuality] = []
    for agent_id in sorted(active_ids):
        if agent_id not in tiers:
            continue  # deleted since
        resolved = resolutions.get(agent_id, {}).get("resolved", 0)
        reopened = resolutions.get(agent_id, {}).get("reopened", 0)
        confirmed = outcomes.get(agent_id, {}).get("confirmed", 0)
        review = reviews.get(agent_id)
        offer = offers.get(agent_id)
        components = {
            "confirmed_resolution_pct": _pct(confirmed, confirmed + reopened),
            "reopen_pct": _pct(reopened, resolved),
            "csat_pct": _pct(
                outcomes.get(agent_id, {}).get("happy", 0),
                outcomes.get(agent_id, {}).get("rated", 0),
            ),
            "qa_pct": (
                (2 * review["points"] + review["reviewed"]) // (2 * review["reviewed"])
                if review
                else None
            ),
            "offer_acceptance_pct": _pct(offer["accepted"], offer["answered"]) if offer else None,
        }
        score = weighted_score(components)
        tier = next_tier(
            current=tiers[agent_id],
            score=score,
            tickets_resolved=resolved,
            confirmed_on_probation=confirmed_on_probation.get(agent_id, 0),
            thresholds=thresholds,
        )
        rows.append(
            AgentQualityScore(
                agent_id=agent_id,
                day=day,
                tickets_resolved=resolved,
                score=score,
                tier=tier,
                **components,
            )
        )
        qualities.append(agent_services.AgentQuality(agent_id=agent_id, score=score, tier=tier))
    qualities += [
        agent_services.AgentQuality(agent_id=agent_id, score=None, tier=tier)
        for agent_id, tier in tiers.items()
        if agent_id not in active_ids
    ]
    with transaction.atomic():
        AgentQualityScore.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["agent", "day"],
            update_fields=[
                "tickets_resolved",
                *(component.field for component in COMPONENTS),
                "score",
                "tier",
                "computed_at",
            ],
        )
        agent_services.agent_quality_set(qualities=qualities, at=at)
    return len(rows)


def _confirmed_on_probation(agent_ids: list[int]) -> dict[int, int]:
    """Confirmed resolutions of each agent on probation: over its whole record, or since
    staff last returned it to probation (an accepted proposal). One grouped query, and none
    when nobody is on probation."""
    if not agent_ids:
        return {}
    returned_at = Subquery(
        ConsequenceProposal.objects.filter(
            agent_id=OuterRef("resolver"),
            kind=ConsequenceProposal.Kind.PROBATION,
            status=ConsequenceProposal.Status.ACCEPTED,
        )
        .order_by("-decided_at")
        .values("decided_at")[:1]
    )
    return dict(
        Ticket.objects.filter(resolution_confirmed_at__isnull=False)
        .annotate(resolver=Coalesce("resolved_by_id", "agent_id"))
        .filter(resolver__in=agent_ids)
        .annotate(returned_at=returned_at)
        .filter(Q(returned_at__isnull=True) | Q(resolution_confirmed_at__gte=F("returned_at")))
        .order_by()
        .values("resolver")
        .annotate(confirmed=Count("id"))
        .values_list("resolver", "confirmed")
    )
