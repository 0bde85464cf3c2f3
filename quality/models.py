"""The quality loop's records (docs/quality.md): the rubric reviewers score on, the reviews
and their disputes, each agent's daily quality score, the thresholds that make the product
propose a consequence, and the proposals staff decide."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class RubricCriterion(models.Model):
    """One line of the rubric a reviewer scores every conversation on; edited by operators.
    A criterion no longer used is made inactive, never deleted, so old reviews keep it."""

    name = models.CharField(max_length=80, unique=True)
    guidance = models.TextField(blank=True, help_text="What a reviewer looks for.")
    weight = models.PositiveSmallIntegerField(
        default=1, help_text="Its share of the review's score, against the other weights."
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "rubric criteria"
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1), name="rubric_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Review(models.Model):
    """A staff reviewer's reading of one resolved conversation, scored on the rubric.

    Made when a conversation is sampled, rated 1 or 2 stars, reopened or reported (``reason``;
    one review per ticket and reason). Queued until a reviewer scores it; the agent then sees
    the scores and comments (never the customer's identity) and may dispute it once, which a
    second reviewer settles.
    """

    class Reason(models.TextChoices):
        SAMPLE = "sample", _("Random sample")
        LOW_RATING = "low_rating", _("Rated 1 or 2 stars")
        REOPENED = "reopened", _("Reopened")
        COMPLAINT = "complaint", _("Customer complaint")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a reviewer")
        SCORED = "scored", _("Scored")
        DISPUTED = "disputed", _("Disputed by the agent")
        SETTLED = "settled", _("Dispute settled")

    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        Status.QUEUED: frozenset({Status.SCORED}),
        Status.SCORED: frozenset({Status.DISPUTED}),
        Status.DISPUTED: frozenset({Status.SETTLED}),
        Status.SETTLED: frozenset(),
    }

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="reviews")
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="reviews")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quality_reviews",
    )
    # The weighted mean of the criteria's scores, as a percentage; null until scored.
    score_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    comments = models.TextField(
        blank=True, help_text="For the agent: what to keep, what to change."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "reason"], name="review_one_per_reason"),
            models.CheckConstraint(
                condition=Q(score_pct__isnull=True) | Q(score_pct__lte=100),
                name="review_score_is_a_percent",
            ),
            models.CheckConstraint(
                condition=Q(status="queued", score_pct__isnull=True, scored_at__isnull=True)
                | (
                    ~Q(status="queued")
                    & Q(score_pct__isnull=False, scored_at__isnull=False, reviewer__isnull=False)
                ),
                name="review_scored_unless_queued",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="review_queue_idx"),
            models.Index(fields=["agent", "scored_at"], name="review_agent_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"Review of #{self.ticket_id} ({self.get_reason_display().lower()})"


class ReviewScore(models.Model):
    """One criterion's score in a review: 1 (poor) to 5 (excellent), with a comment."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="review_score_once"),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="review_score_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class Dispute(models.Model):
    """The agent's one disagreement with a review, with its reason; a second reviewer (not
    the one who scored it) settles it by upholding the review or changing its score."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Review upheld")
        REVISED = "revised", _("Score revised")

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="dispute")
    reason = models.TextField()
    opened_at = models.DateTimeField(auto_now_add=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quality_disputes_settled",
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    settlement_note = models.TextField(blank=True)
    # The review's score before the settlement revised it (null unless revised).
    original_score_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="", settled_by__isnull=True, settled_at__isnull=True)
                | (~Q(outcome="") & Q(settled_by__isnull=False, settled_at__isnull=False)),
                name="dispute_settled_with_a_settler",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute of {self.review}"


class AgentQualityScore(models.Model):
    """An agent's quality over the 30 days before ``day``, recomputed daily: each component
    (a percentage, null where there was nothing to measure), the weighted score and the tier
    it put the agent in. Kept per day, so the portal and the admin chart it over time."""

    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.CASCADE, related_name="quality_scores", db_index=False
    )
    day = models.DateField()
    tickets_resolved = models.PositiveIntegerField(default=0)
    confirmed_resolution_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    reopen_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    qa_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    offer_acceptance_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    tier = models.CharField(max_length=16)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agent", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "day"], name="quality_score_one_a_day"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100),
                name="quality_score_is_a_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} on {self.day}: {self.score}"


class QualityThresholds(models.Model):
    """Where the product proposes a consequence (one row, edited in the admin). Below
    ``coaching_below`` it proposes coaching, below ``probation_below`` a return to probation,
    below ``suspension_below`` a suspension; staff decide every one."""

    coaching_below = models.PositiveSmallIntegerField(default=70)
    probation_below = models.PositiveSmallIntegerField(default=55)
    suspension_below = models.PositiveSmallIntegerField(default=40)
    expert_from = models.PositiveSmallIntegerField(
        default=85, help_text="Score from which a standard agent is expert."
    )
    min_tickets = models.PositiveSmallIntegerField(
        default=10, help_text="No proposal on fewer resolved tickets in the 30 days."
    )

    class Meta:
        verbose_name_plural = "quality thresholds"
        constraints = [
            models.CheckConstraint(
                condition=Q(suspension_below__lte=F("probation_below"))
                & Q(probation_below__lte=F("coaching_below"))
                & Q(coaching_below__lte=F("expert_from"))
                & Q(expert_from__lte=100),
                name="quality_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return "Quality thresholds"

    @classmethod
    def current(cls) -> QualityThresholds:
        """The one row (seeded by quality/migrations/0002); its defaults, unsaved, if an
        operator deleted it."""
        return cls.objects.order_by("pk").first() or cls()


class ConsequenceProposal(models.Model):
    """What the product proposes for an agent below a threshold, with the evidence; it
    changes nothing until staff decide, and the agent is emailed the decision and why."""

    class Kind(models.TextChoices):
        COACHING = "coaching", "Coaching"
        PROBATION = "probation", "Return to probation"
        SUSPENSION = "suspension", "Suspension"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for staff"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.PROTECT, related_name="consequence_proposals"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    evidence = models.JSONField(default=dict, help_text="The score and components behind it.")
    quality_score = models.ForeignKey(
        AgentQualityScore, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quality_consequences_decided",
    )
    decision_reason = models.TextField(blank=True, help_text="Emailed to the agent.")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            # One open proposal per agent: a new day's proposal does not pile up on the last.
            models.UniqueConstraint(
                fields=["agent"], condition=Q(status="proposed"), name="consequence_one_open"
            ),
            models.CheckConstraint(
                condition=Q(status="proposed", decided_by__isnull=True, decided_at__isnull=True)
                | (
                    ~Q(status="proposed")
                    & Q(decided_by__isnull=False, decided_at__isnull=False)
                    & ~Q(decision_reason="")
                ),
                name="consequence_decided_with_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.agent_id} ({self.status})"
