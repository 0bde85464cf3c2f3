"""Reads of the quality loop that pages share: a review's transcript for the reviewer, an
agent's reviews for its "My quality" page (never the customer's identity), and its score
card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Prefetch
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agents.models import Agent
from quality.models import AgentQualityScore, QualityThresholds, Review, ReviewScore
from quality.scoring import COMPONENTS, TIER_MEANING
from tickets.masking import mask_contact_details
from tickets.models import Complaint, Message, TicketNote

# A transcript longer than this is cut, with a note saying so; the admin page stays usable.
TRANSCRIPT_MAX_LINES = 2000


@dataclass(frozen=True)
class TranscriptLine:
    at: datetime
    speaker: str
    body: str
    is_private_note: bool = False


def review_transcript(*, ticket_id: int) -> list[TranscriptLine]:
    """The conversation as its people read it, with the agents' private notes in their
    place in time. Contact details in the text are hidden, as the agent saw them; the
    customer is "Customer", never a name, email or phone."""
    messages = (
        Message.objects.filter(ticket_id=ticket_id)
        .select_related("agent__user")
        .order_by("seq")[:TRANSCRIPT_MAX_LINES]
    )
    notes = (
        TicketNote.objects.filter(ticket_id=ticket_id)
        .select_related("agent__user")
        .order_by("created_at", "id")[:TRANSCRIPT_MAX_LINES]
    )
    lines = [
        TranscriptLine(m.created_at, _speaker(m), mask_contact_details(m.body)) for m in messages
    ]
    lines += [
        TranscriptLine(
            n.created_at,
            f"{n.agent.display_name} (private note)",
            mask_contact_details(n.body),
            is_private_note=True,
        )
        for n in notes
    ]
    # Stable: a note written in the same instant as a message stays after it.
    return sorted(lines, key=lambda line: line.at)


def _speaker(message: Message) -> str:
    if message.sender == Message.Sender.CUSTOMER:
        return "Customer"
    if message.sender == Message.Sender.BOT:
        return "Assistant"
    if message.sender == Message.Sender.AGENT:
        return message.agent.display_name if message.agent else "Agent"
    return "Humanline"


# --- The agent's page ---------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionLine:
    name: str
    score: int
    comment: str


@dataclass(frozen=True)
class AgentReviewCard:
    """What an agent may know about one review of its work: no customer identity, and for
    a complaint only its category, never the customer's words."""

    review_id: int
    ticket_id: int
    topic: str
    why: str
    status: str
    status_label: str
    score_pct: int | None
    scored_at: datetime | None
    comments: str
    criteria: list[CriterionLine]
    dispute_reason: str | None
    dispute_outcome: str | None
    settlement_note: str | None
    original_score_pct: int | None

    @property
    def may_dispute(self) -> bool:
        return self.status == Review.Status.SCORED


def agent_review_cards(*, agent_id: int, limit: int = 50) -> list[AgentReviewCard]:
    """The agent's reviews that a reviewer has scored, newest first: four queries however
    many there are (reviews with ticket and dispute, scores, complaint categories)."""
    reviews = list(
        Review.objects.filter(agent_id=agent_id)
        .exclude(status=Review.Status.QUEUED)
        .select_related("ticket", "dispute")
        .only(
            "id",
            "reason",
            "status",
            "score_pct",
            "scored_at",
            "comments",
            "ticket__id",
            "ticket__topic",
            "dispute__reason",
            "dispute__outcome",
            "dispute__settlement_note",
            "dispute__original_score_pct",
        )
        .prefetch_related(
            Prefetch("scores", queryset=ReviewScore.objects.select_related("criterion"))
        )
        .order_by("-scored_at", "-id")[:limit]
    )
    complaint_ticket_ids = [r.ticket_id for r in reviews if r.reason == Review.Reason.COMPLAINT]
    categories = (
        dict(
            Complaint.objects.filter(ticket_id__in=complaint_ticket_ids).values_list(
                "ticket_id", "category"
            )
        )
        if complaint_ticket_ids
        else {}
    )
    return [_card(review, categories.get(review.ticket_id)) for review in reviews]


def _card(review: Review, complaint_category: str | None) -> AgentReviewCard:
    if review.reason == Review.Reason.COMPLAINT:
        why = gettext("Customer complaint: %(category)s") % {
            "category": _complaint_short(complaint_category)
        }
    else:
        why = review.get_reason_display()
    dispute = getattr(review, "dispute", None)
    return AgentReviewCard(
        review_id=review.pk,
        ticket_id=review.ticket_id,
        topic=review.ticket.topic,
        why=why,
        status=review.status,
        status_label=review.get_status_display(),
        score_pct=review.score_pct,
        scored_at=review.scored_at,
        comments=review.comments,
        criteria=[CriterionLine(s.criterion.name, s.score, s.comment) for s in review.scores.all()],
        dispute_reason=dispute.reason if dispute else None,
        dispute_outcome=dispute.get_outcome_display() if dispute and dispute.outcome else None,
        settlement_note=dispute.settlement_note if dispute and dispute.outcome else None,
        original_score_pct=dispute.original_score_pct if dispute else None,
    )


# How a complaint's category reads on the agent's page ("Customer complaint: rude"), in the
# agent's language.
_COMPLAINT_SHORT = {
    Complaint.Category.RUDE: _("rude"),
    Complaint.Category.WRONG_INFORMATION: _("wrong information"),
    Complaint.Category.PRIVATE_DATA: _("asked for private data"),
    Complaint.Category.OTHER: _("other"),
}


def _complaint_short(category: str | None) -> str:
    return str(_COMPLAINT_SHORT.get(category, _COMPLAINT_SHORT[Complaint.Category.OTHER]))


def agent_reviews_waiting(*, agent_id: int) -> int:
    """How many of the agent's reviews wait for a reviewer: only the count is shown."""
    return Review.objects.filter(agent_id=agent_id, status=Review.Status.QUEUED).count()


# How many days of scores a card carries for the chart of the last month.
HISTORY_DAYS = 30


@dataclass(frozen=True)
class ScoreComponent:
    label: str
    explanation: str
    weight: int  # out of the table's 100
    pct: int | None  # the measure, as recorded; None when there was nothing to measure
    points: int | None  # what it counts for in the score (100 − the rate for reopens)
    share_pct: int | None  # its weight renormalised over the components measured that day


@dataclass(frozen=True)
class ScoreDay:
    day: date
    score: int | None
    tier: str


@dataclass(frozen=True)
class ScoreCard:
    """An agent's latest quality score with its components and their weights, the tier it is
    in and what the tier means, and the score's days of the last month (newest first)."""

    agent_id: int
    tier: str
    tier_label: str
    tier_meaning: str
    score: int | None
    day: date | None  # the latest computation's; None before the first
    tickets_resolved: int
    components: list[ScoreComponent]
    history: list[ScoreDay]
    expert_from: int
    min_tickets: int
    probation_tickets: int


def agent_score_card(*, agent_id: int) -> ScoreCard:
    """The agent's score card: three queries (the agent, its latest days, the thresholds).
    The tier is the agent's own, which staff may have changed since the last computation."""
    agent = Agent.objects.only("id", "quality_tier", "quality_score").get(pk=agent_id)
    days = list(AgentQualityScore.objects.filter(agent_id=agent_id).order_by("-day")[:HISTORY_DAYS])
    latest = days[0] if days else None
    thresholds = QualityThresholds.current()
    measured_weight = sum(
        component.weight
        for component in COMPONENTS
        if latest is not None and getattr(latest, component.field) is not None
    )
    components = []
    for component in COMPONENTS:
        pct = getattr(latest, component.field) if latest is not None else None
        components.append(
            ScoreComponent(
                label=component.label,
                explanation=component.explanation,
                weight=component.weight,
                pct=pct,
                points=component.points(pct) if pct is not None else None,
                share_pct=(
                    (200 * component.weight + measured_weight) // (2 * measured_weight)
                    if pct is not None
                    else None
                ),
            )
        )
    tier = Agent.QualityTier(agent.quality_tier)
    return ScoreCard(
        agent_id=agent.pk,
        tier=tier.value,
        tier_label=tier.label,
        tier_meaning=TIER_MEANING[tier],
        score=latest.score if latest is not None else None,
        day=latest.day if latest is not None else None,
        tickets_resolved=latest.tickets_resolved if latest is not None else 0,
        components=components,
        history=[ScoreDay(day=row.day, score=row.score, tier=row.tier) for row in days],
        expert_from=thresholds.expert_from,
        min_tickets=thresholds.min_tickets,
        probation_tickets=settings.PROBATION_TICKETS,
    )
