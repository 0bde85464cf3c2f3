"""Consequences proposed by the product and decided by a person (docs/quality.md §5).

Once a day, after the scores (``quality.tasks.propose_consequences``), each active agent
whose latest score fell below a threshold gets a proposal with the evidence behind it. A
proposal changes nothing for the agent: not its status, tier, presence, offers or held
tickets. Staff read it in the admin and accept or dismiss it with a reason
(``consequence_decide``); only an accepted one acts, through the agents' own services, and
the agent is emailed the decision and the reason after commit.

Nothing here suspends anyone on its own: the only automatic suspensions are the existing
safety rules, elsewhere.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from agents.models import Agent, User
from agents.services import AgentTransitionError, agent_return_to_probation, agent_transition
from core.jobs import enqueue_on_commit
from core.site_url import site_url_or_default
from quality.models import AgentQualityScore, ConsequenceProposal, QualityThresholds, Review
from tickets.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)

Kind = ConsequenceProposal.Kind
Status = ConsequenceProposal.Status

# Milder to harsher: a decision on one kind also holds back the milder ones (below).
SEVERITY = {Kind.COACHING: 1, Kind.PROBATION: 2, Kind.SUSPENSION: 3}
# After staff decided a proposal (either way), the same or a milder kind is not proposed
# again for this long unless the score fell below the one they decided on: the score is a
# 30-day window and moves slowly, so without this a dismissed coaching would come back
# every morning, and an accepted one would be proposed again before it could work.
DECIDED_QUIET_DAYS = 7
# The evidence lists at most this many of the agent's low-scored reviews, lowest first.
EVIDENCE_MAX_REVIEWS = 20
# What the score covers (quality.scoring): the 30 days before its day.
SCORE_WINDOW_DAYS = 30

COMPONENTS = [
    ("confirmed_resolution_pct", "Confirmed resolutions"),
    ("reopen_pct", "Reopened"),
    ("csat_pct", "Customer satisfaction"),
    ("qa_pct", "Review (QA) score"),
    ("offer_acceptance_pct", "Offers accepted"),
]


class ConsequenceError(Exception):
    """A refused decision; the message is written for the staff member who made it."""


def kind_for(*, score: int, tier: str, thresholds: QualityThresholds) -> str | None:
    """The consequence a score calls for, or None. An agent already on probation is not
    proposed probation again: below that line it is proposed coaching instead (below the
    suspension line, a suspension as for anyone)."""
    if score < thresholds.suspension_below:
        return Kind.SUSPENSION
    if score < thresholds.probation_below and tier != Agent.QualityTier.PROBATION:
        return Kind.PROBATION
    if score < thresholds.coaching_below:
        return Kind.COACHING
    return None


def _window(day: date) -> tuple[datetime, datetime]:
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return end - timedelta(days=SCORE_WINDOW_DAYS), end


def consequences_propose(*, today: date | None = None) -> list[int]:
    """Propose a consequence for every active agent whose latest score is below a threshold;
    return the new proposals' ids. Safe to run again: an agent with an open proposal, or one
    decided lately (DECIDED_QUIET_DAYS), gets none. A fixed number of queries plus one
    insert per proposal, however many agents and tickets."""
    today = today or timezone.now().date()
    thresholds = QualityThresholds.current()
    latest_day = (
        AgentQualityScore.objects.filter(agent=OuterRef("agent"), day__lte=today)
        .order_by("-day")
        .values("day")[:1]
    )
    scores = list(
        AgentQualityScore.objects.filter(
            day__lte=today,
            agent__status=Agent.Status.ACTIVE,
            tickets_resolved__gte=thresholds.min_tickets,
            score__isnull=False,
            score__lt=thresholds.coaching_below,
        )
        .annotate(latest_day=Subquery(latest_day))
        .filter(day=F("latest_day"))
        .select_related("agent")
        .order_by("agent_id")
    )
    candidates = []
    for score in scores:
        kind = kind_for(score=score.score, tier=score.agent.quality_tier, thresholds=thresholds)
        if kind is not None:
            candidates.append((score, kind))
    if not candidates:
        return []
    agent_ids = [score.agent_id for score, _ in candidates]
    held_back, scores_proposed_on = _held_back(agent_ids=agent_ids)
    candidates = [
        (score, kind)
        for score, kind in candidates
        if score.pk not in scores_proposed_on
        and not _is_held_back(held_back.get(score.agent_id, []), kind=kind, score=score.score)
    ]
    if not candidates:
        return []
    # The scores are computed for everyone on the same morning, so one window serves all.
    evidence_extra = _evidence_counts(
        agent_ids=[score.agent_id for score, _ in candidates],
        day=max(score.day for score, _ in candidates),
        low_review_below=thresholds.coaching_below,
    )
    created = []
    for score, kind in candidates:
        evidence = proposal_evidence(
            score=score, thresholds=thresholds, extra=evidence_extra.get(score.agent_id, {})
        )
        try:
            with transaction.atomic():
                proposal = ConsequenceProposal.objects.create(
                    agent_id=score.agent_id, kind=kind, evidence=evidence, quality_score=score
                )
        except IntegrityError:
            # consequence_one_open: another run proposed one meanwhile; it stands.
            continue
        created.append(proposal.pk)
    if created:
        logger.info("quality: %d consequence(s) proposed", len(created))
    return created


def _held_back(*, agent_ids: list[int]) -> tuple[dict[int, list[tuple[str, str, int]]], set[int]]:
    """Per agent: its open proposal, and those decided in the last DECIDED_QUIET_DAYS, as
    (status, kind, score decided on); and the scores already proposed on (a day's score is
    proposed on once, whatever came of it, even when the scores stopped being computed)."""
    since = timezone.now() - timedelta(days=DECIDED_QUIET_DAYS)
    held: dict[int, list[tuple[str, str, int]]] = {}
    proposed_on: set[int] = set()
    rows = ConsequenceProposal.objects.filter(agent_id__in=agent_ids).values_list(
        "agent_id", "status", "kind", "evidence", "decided_at", "quality_score_id"
    )
    for agent_id, status, kind, evidence, decided_at, score_id in rows:
        if score_id is not None:
            proposed_on.add(score_id)
        if status == Status.PROPOSED or decided_at >= since:
            held.setdefault(agent_id, []).append((status, kind, (evidence or {}).get("score", 100)))
    return held, proposed_on


def _is_held_back(rows: list[tuple[str, str, int]], *, kind: str, score: int) -> bool:
    for status, decided_kind, decided_score in rows:
        if status == Status.PROPOSED:
            return True  # one open proposal per agent
        if SEVERITY[Kind(decided_kind)] >= SEVERITY[Kind(kind)] and score >= decided_score:
            return True
    return False


def _evidence_counts(*, agent_ids: list[int], day: date, low_review_below: int) -> dict[int, dict]:
    """Reopens and reviews of the candidates over the score's 30 days: two queries."""
    start, end = _window(day)
    extra: dict[int, dict] = {
        agent_id: {"reopens": 0, "reviews_scored": 0, "low_review_ids": []}
        for agent_id in agent_ids
    }
    reopens = (
        TicketEvent.objects.filter(
            agent_id__in=agent_ids,
            from_status=Ticket.Status.RESOLVED,
            to_status=Ticket.Status.QUEUED,
            reason__startswith=TicketEvent.REOPEN_REASON_PREFIX,
            created_at__gte=start,
            created_at__lt=end,
        )
        .values("agent_id")
        .annotate(n=Count("id"))
    )
    for row in reopens:
        extra[row["agent_id"]]["reopens"] = row["n"]
    reviews = Review.objects.filter(
        agent_id__in=agent_ids, score_pct__isnull=False, scored_at__gte=start, scored_at__lt=end
    ).order_by("score_pct", "id")
    for agent_id, review_id, score_pct in reviews.values_list("agent_id", "id", "score_pct"):
        extra[agent_id]["reviews_scored"] += 1
        low = extra[agent_id]["low_review_ids"]
        if score_pct < low_review_below and len(low) < EVIDENCE_MAX_REVIEWS:
            low.append(review_id)
    return extra


def proposal_evidence(*, score: AgentQualityScore, thresholds: QualityThresholds, extra: dict):
    """What staff read before deciding, frozen as it was when proposed."""
    return {
        "day": score.day.isoformat(),
        "score": score.score,
        "tier": score.agent.quality_tier,
        "components": {name: getattr(score, name) for name, _ in COMPONENTS},
        "counts": {
            "tickets_resolved": score.tickets_resolved,
            "reopens": extra.get("reopens", 0),
            "reviews_scored": extra.get("reviews_scored", 0),
        },
        "low_review_ids": extra.get("low_review_ids", []),
        "thresholds": {
            "coaching_below": thresholds.coaching_below,
            "probation_below": thresholds.probation_below,
            "suspension_below": thresholds.suspension_below,
            "min_tickets": thresholds.min_tickets,
        },
    }


# --- Staff decide ----------------------------------------------------------------------------


def consequence_decide(
    *, proposal_id: int, decided_by: User, accept: bool, reason: str
) -> ConsequenceProposal:
    """Accept or dismiss an open proposal, with a reason (recorded, and emailed to the agent
    when accepted). Refused, with nothing stored, if the reason is empty, the proposal was
    decided already, or the agent can no longer take the consequence (a suspension of an
    agent who is not active or approved).

    Accepting coaching records it; probation puts the agent back on the probation tier
    (agents.services.agent_return_to_probation); a suspension goes through the agents'
    state machine (agents.services.agent_transition), which audits it, returns the agent's
    tickets to the queue, withdraws its offer and closes its sockets after commit.

    Dismissals are not emailed: the agent was never told of the proposal, and a message
    that something was considered and dropped asks nothing of them.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("A reason is required; it is recorded and sent to the agent.")
    now = timezone.now()
    with transaction.atomic():
        # The compare-and-set decides between two staff deciding at once: one row updated.
        decided = ConsequenceProposal.objects.filter(pk=proposal_id, status=Status.PROPOSED).update(
            status=Status.ACCEPTED if accept else Status.DISMISSED,
            decided_by=decided_by,
            decided_at=now,
            decision_reason=reason,
        )
        if not decided:
            if not ConsequenceProposal.objects.filter(pk=proposal_id).exists():
                raise ConsequenceError("There is no such proposal.")
            raise ConsequenceError("This proposal has already been decided.")
        proposal = ConsequenceProposal.objects.select_related("agent").get(pk=proposal_id)
        if accept:
            _apply(proposal, decided_by=decided_by, reason=reason)
            enqueue_on_commit("quality.tasks.send_consequence_email", proposal.pk)
    return proposal


def _apply(proposal: ConsequenceProposal, *, decided_by: User, reason: str) -> None:
    audit_reason = f"quality: {proposal.get_kind_display().lower()} accepted: {reason}"
    if proposal.kind == Kind.PROBATION:
        agent_return_to_probation(agent_id=proposal.agent_id, actor=decided_by, reason=reason)
    elif proposal.kind == Kind.SUSPENSION:
        try:
            agent_transition(
                agent_id=proposal.agent_id,
                to_status=Agent.Status.SUSPENDED,
                actor=decided_by,
                reason=audit_reason,
            )
        except AgentTransitionError as error:
            raise ConsequenceError(f"Not suspended: {error}") from error


EMAIL_SUBJECTS = {
    Kind.COACHING: gettext_lazy("Coaching on your Humanline conversations"),
    Kind.PROBATION: gettext_lazy("You are back on probation at Humanline"),
    Kind.SUSPENSION: gettext_lazy("Your Humanline account is suspended"),
}


def consequence_email_send(*, proposal_id: int, site_url: str | None = None) -> None:
    """Tell the agent an accepted decision and its reason (called by the Celery task)."""
    proposal = (
        ConsequenceProposal.objects.select_related("agent__user").filter(pk=proposal_id).first()
    )
    if proposal is None or proposal.status != Status.ACCEPTED:
        return
    agent = proposal.agent
    # In the language the agent reads Humanline in; the reason stays in staff's words.
    with translation.override(agent.email_language):
        body = render_to_string(
            "emails/quality_consequence.txt",
            {
                "agent": agent,
                "proposal": proposal,
                "kind": proposal.kind,
                "reason": proposal.decision_reason,
                "score": (proposal.evidence or {}).get("score"),
                "site_url": site_url_or_default(site_url),
            },
        )
        subject = str(EMAIL_SUBJECTS[Kind(proposal.kind)])
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [agent.user.email])
