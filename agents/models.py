from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in: an agent, or an admin. Customers never log in."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email


class Agent(models.Model):
    """A support agent's working profile. Every write goes through agents.services."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        EMAIL_VERIFIED = "email_verified", _("Email verified")
        TRAINING = "training", _("In training")
        AWAITING_REVIEW = "awaiting_review", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REJECTED = "rejected", _("Rejected")

    class Availability(models.TextChoices):
        AVAILABLE = "available", _("Available")
        AWAY = "away", _("Away")

    # Whether the agent takes offers; changed only by agents.services.agent_availability_set.
    ALLOWED_AVAILABILITY_TRANSITIONS: dict[str, frozenset[str]] = {
        Availability.AVAILABLE: frozenset({Availability.AWAY}),
        Availability.AWAY: frozenset({Availability.AVAILABLE}),
    }

    class QualityTier(models.TextChoices):
        PROBATION = "probation", _("Probation")
        STANDARD = "standard", _("Standard")
        EXPERT = "expert", _("Expert")

    class Segment(models.TextChoices):
        STUDENT = "student", _("Student")
        RURAL = "rural", _("Rural resident")
        BRAND_FAN = "brand_fan", _("Brand fan")
        OTHER = "other", _("Other")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.OTHER)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    time_zone = models.CharField(max_length=64, default="UTC")
    # Codes from agents.vocabulary; validated by the services that write them.
    languages = models.JSONField(default=list)
    skills = models.JSONField(default=list)
    weekly_availability = models.JSONField(
        default=dict, blank=True, help_text='{"mon": [["09:00", "13:00"]], …} in the time zone'
    )
    motivation = models.TextField(blank=True)
    # The language the agent reads Humanline in: its emails are written in it, and logging in
    # sets its pages to it. Set from the page's language when it applies, and from the
    # language switcher when it changes it. Blank for an agent that never chose (made before
    # languages, or by staff): its pages follow the browser, its emails are in English.
    preferred_language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED)
    capacity = models.PositiveSmallIntegerField(
        default=3, help_text="How many chats the agent may hold at once."
    )
    # Presence. connection_count is the number of the agent's AgentConnection rows (its live
    # sockets across all server processes), recounted under the agent's row lock whenever
    # one is added or removed; disconnected_at is when it last fell to zero, which starts the
    # grace period; last_seen_at is when a socket of the agent was last heard.
    is_online = models.BooleanField(default=False)
    connection_count = models.IntegerField(default=0)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    # Offers (tickets.dispatch, docs/dispatch.md). Away agents get no offers and keep their
    # chats; an agent is set away after OFFER_MISSES_BEFORE_AWAY offers in a row ran out
    # unanswered, and comes back only by saying so. The two stamps are the ranking's fairness:
    # the agent who has waited longest since its last offer or assignment goes first.
    availability = models.CharField(
        max_length=16, choices=Availability.choices, default=Availability.AVAILABLE
    )
    consecutive_missed_offers = models.PositiveSmallIntegerField(default=0)
    last_offered_at = models.DateTimeField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    reliability_pct = models.PositiveSmallIntegerField(
        default=100, help_text="Share of booked shifts turned up to, in percent."
    )
    surge_opt_in = models.BooleanField(default=False)
    # The most shift hours the matcher may give the agent in one week (agents/shifts.py).
    shift_weekly_hour_cap = models.PositiveSmallIntegerField(
        default=20, help_text="Most shift hours a week the agent wants."
    )

    # Quality (docs/quality.md): the tier decides which priorities the agent is offered and
    # the pay multiplier; both tier and score are recomputed daily by quality.scoring from the
    # last 30 days, and a return to probation is a staff decision.
    quality_tier = models.CharField(
        max_length=16, choices=QualityTier.choices, default=QualityTier.PROBATION
    )
    quality_score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0 to 100; none until there is something to measure."
    )
    quality_scored_at = models.DateTimeField(null=True, blank=True)

    stripe_account_id = models.CharField(max_length=64, blank=True)
    payouts_enabled = models.BooleanField(default=False)

    # Onboarding milestones that are not states of their own (docs/agents.md).
    email_verified_at = models.DateTimeField(null=True, blank=True)
    code_of_conduct_accepted_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="agent_capacity_positive"),
            models.CheckConstraint(
                condition=Q(connection_count__gte=0), name="agent_connection_count_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reliability_pct__lte=100), name="agent_reliability_is_a_percent"
            ),
            models.CheckConstraint(
                condition=Q(quality_score__isnull=True) | Q(quality_score__lte=100),
                name="agent_quality_score_is_a_percent",
            ),
            models.CheckConstraint(
                condition=Q(availability__in=["available", "away"]),
                name="agent_availability_known",
            ),
            models.CheckConstraint(
                condition=Q(shift_weekly_hour_cap__lte=168), name="agent_shift_cap_within_a_week"
            ),
            models.UniqueConstraint(
                fields=["stripe_account_id"],
                condition=~Q(stripe_account_id=""),
                name="agent_stripe_account_unique",
            ),
        ]
        indexes = [
            # The disconnect sweep: online agents whose sockets are all gone.
            models.Index(fields=["is_online", "disconnected_at"], name="agent_presence_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def email_language(self) -> str:
        """The language of the emails sent to the agent."""
        return self.preferred_language or settings.LANGUAGE_CODE

    @property
    def display_name(self) -> str:
        return self.user.first_name or self.user.email.split("@")[0]

    @property
    def may_work(self) -> bool:
        return self.status == self.Status.ACTIVE and self.user.is_active


class AgentConnection(models.Model):
    """One open agent socket, and when its client was last heard (docs/reliability.md).

    A row is added when the socket opens and removed when it closes. A socket whose close
    never ran (a server killed, a handler that crashed) leaves its row behind, but the row
    stops being heard: the presence sweep removes rows silent past the heartbeat timeout,
    so what counts as connected is always what is really answering.
    """

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="connections")
    # The socket's channel name: unique across processes, and how its server finds it.
    channel_name = models.CharField(max_length=200, unique=True)
    opened_at = models.DateTimeField()
    heard_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The presence sweep: rows whose client has been silent too long.
            models.Index(fields=["heard_at"], name="agent_connection_heard_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} on {self.channel_name}"


class AgentAvailabilityEvent(models.Model):
    """Audit trail of an agent's availability for offers: set away after missed offers, back
    by its own hand (or an operator's)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="availability_events")
    from_availability = models.CharField(max_length=16, choices=Agent.Availability.choices)
    to_availability = models.CharField(max_length=16, choices=Agent.Availability.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.agent}: {self.from_availability} → {self.to_availability}"


class AgentStatusEvent(models.Model):
    """Audit trail of an agent's status: who moved it, when and why."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="status_events")
    from_status = models.CharField(max_length=20, choices=Agent.Status.choices)
    to_status = models.CharField(max_length=20, choices=Agent.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.agent}: {self.from_status} → {self.to_status}"


# --- Onboarding: training, the quiz, the review queue -------------------------------------


class ApplicantAwaitingReview(Agent):
    """The review queue in the admin: agents who passed the quiz, oldest first."""

    class Meta:
        proxy = True
        verbose_name = "applicant awaiting review"
        verbose_name_plural = "applicants awaiting review"


class TrainingModule(models.Model):
    """A short page of training that admins write; published ones are shown in order."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.CharField(max_length=240, blank=True)
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    position = models.PositiveSmallIntegerField(default=0)
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class QuizQuestion(models.Model):
    """One multiple-choice question of the knowledge quiz; exactly one choice is correct."""

    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(
        default=True, help_text="Only active questions are asked and scored."
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class QuizChoice(models.Model):
    question = models.ForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            # The admin form asks for exactly one; the database refuses a second.
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(is_correct=True),
                name="quiz_one_correct_choice_per_question",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class QuizAttempt(models.Model):
    """One submitted quiz, scored on the server. ``answers`` keeps what was asked and picked,
    as it read at the time, so an edited question does not rewrite an applicant's record."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="quiz_attempts")
    submitted_at = models.DateTimeField()
    question_count = models.PositiveSmallIntegerField()
    correct_count = models.PositiveSmallIntegerField()
    score_percent = models.PositiveSmallIntegerField()
    pass_percent = models.PositiveSmallIntegerField(help_text="The pass mark when it was taken.")
    passed = models.BooleanField()
    # [{"question": id, "question_text": …, "choice": id | null, "choice_text": …, "correct": …}]
    answers = models.JSONField(default=list)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(correct_count__lte=models.F("question_count")),
                name="quiz_attempt_correct_within_count",
            ),
            models.CheckConstraint(
                condition=Q(score_percent__lte=100), name="quiz_attempt_score_is_a_percent"
            ),
        ]
        indexes = [
            # An agent's latest attempt: the retry cooldown and the review queue's score column.
            models.Index(fields=["agent", "-submitted_at"], name="quiz_attempt_latest_idx"),
        ]

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "failed"
        return f"{self.agent}: {self.score_percent}% ({verdict})"
