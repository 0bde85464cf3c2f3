import secrets

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan, LessThanOrEqual


def new_conversation_token() -> str:
    # 256 bits from the OS's CSPRNG: the token is the customer's only credential.
    return secrets.token_urlsafe(32)


# What a token can look like: URL-safe base64, at most the column's 64 characters. Paths
# with anything else are not routed (tickets/converters.py), so nothing queries with them.
CONVERSATION_TOKEN_PATTERN = r"[A-Za-z0-9_-]{1,64}"  # noqa: S105 - a shape, not a secret


class Ticket(models.Model):
    """A customer's conversation, from the assistant's first answer to the agent's resolve.

    Status changes only through tickets.services.transition (and the claim, which is a
    conditional UPDATE there); ALLOWED_TRANSITIONS is the whole state machine.
    """

    class Status(models.TextChoices):
        BOT = "bot", "With the assistant"
        QUEUED = "queued", "Waiting for an agent"
        ASSIGNED = "assigned", "With an agent"
        RESOLVED = "resolved", "Resolved"
        ABANDONED = "abandoned", "Abandoned"

    class ResolutionConfirmation(models.TextChoices):
        CUSTOMER = "customer", "Confirmed by the customer"
        WINDOW = "window", "Reopen window passed quietly"

    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        NORMAL = 2, "Normal"
        HIGH = 3, "High"
        URGENT = 4, "Urgent"

    class EscalationReason(models.TextChoices):
        CUSTOMER_REQUEST = "customer_request", "Customer asked for a person"
        LOW_CONFIDENCE = "low_confidence", "Assistant unsure"
        FRUSTRATION = "frustration", "Customer frustrated"
        SENSITIVE_TOPIC = "sensitive_topic", "Sensitive topic"
        VIP = "vip", "VIP customer"
        HANDOFF = "handoff", "Handed over by the company's assistant"

    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        Status.BOT: frozenset({Status.QUEUED, Status.ABANDONED}),
        Status.QUEUED: frozenset({Status.ASSIGNED, Status.ABANDONED}),
        Status.ASSIGNED: frozenset({Status.RESOLVED, Status.QUEUED}),
        # Reopened (docs/quality.md): the customer said it was not solved, or wrote again,
        # within the reopen window; tickets.services.ticket_reopen.
        Status.RESOLVED: frozenset({Status.QUEUED}),
        Status.ABANDONED: frozenset(),
    }

    token = models.CharField(max_length=64, unique=True, default=new_conversation_token)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOT)

    # The customer. Email and phone never leave the server towards an agent.
    customer_name = models.CharField(max_length=120, blank=True)
    customer_email = models.EmailField(blank=True)
    customer_phone = models.CharField(max_length=32, blank=True)
    customer_reference = models.CharField(max_length=128, blank=True)
    # "Leave a message": with nobody who can help online, the customer asked to be answered
    # by email at this address (tickets.services.ticket_email_reply_request). The ticket stays
    # queued, awaiting that reply since ``reply_email_requested_at``. For operators and the
    # reply only: like the other contact details, never shown to an agent.
    reply_email = models.EmailField(blank=True)
    reply_email_requested_at = models.DateTimeField(null=True, blank=True)
    # The email of the agent's answer to ``reply_email``, after the resolve
    # (tickets.reply_by_email): claimed by a sender for REPLY_EMAIL_LEASE_SECONDS, and sent
    # once ``reply_emailed_at`` is set. A claim that lapses unsent is sent again by the sweep.
    reply_email_claimed_at = models.DateTimeField(null=True, blank=True)
    reply_emailed_at = models.DateTimeField(null=True, blank=True)
    is_vip = models.BooleanField(default=False)
    # Set when a company's own assistant handed the conversation over (tickets.integrations):
    # resolving the ticket then notifies that company's webhook.
    integration = models.ForeignKey(
        "tickets.Integration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )

    language = models.CharField(max_length=8, default="en")
    topic = models.CharField(max_length=64, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    escalation_reason = models.CharField(
        max_length=24, choices=EscalationReason.choices, blank=True
    )
    required_skills = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True, help_text="The assistant's summary for the agent.")

    agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    # Highest seq handed out; bumped under the row lock that orders the messages.
    last_seq = models.PositiveIntegerField(default=0)
    # Consecutive assistant answers below the confidence threshold.
    unsure_answers_in_a_row = models.PositiveSmallIntegerField(default=0)

    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True)

    # Confirmed resolution (docs/quality.md). A resolved ticket counts as resolved, for pay
    # and metrics, only once confirmed: by the customer ("Did this solve your problem?" —
    # yes), or by REOPEN_WINDOW_HOURS passing quietly. A "no", or the customer writing again
    # within the window, reopens it (back to the queue, counted in reopen_count), and the
    # next resolve starts a new resolution. resolved_by is the agent of the last resolve,
    # kept after a reopen clears ``agent`` so the dispatcher can prefer them.
    resolution_confirmed_at = models.DateTimeField(null=True, blank=True)
    resolution_confirmed_by = models.CharField(
        max_length=16, choices=ResolutionConfirmation.choices, blank=True
    )
    reopen_count = models.PositiveSmallIntegerField(default=0)
    resolved_by = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    last_customer_activity_at = models.DateTimeField(auto_now_add=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(status="assigned") | Q(agent__isnull=False),
                name="ticket_assigned_has_agent",
            ),
            models.CheckConstraint(
                condition=~Q(status="queued") | Q(agent__isnull=True),
                name="ticket_queued_has_no_agent",
            ),
            # Confirmed with how, or neither.
            models.CheckConstraint(
                condition=Q(resolution_confirmed_at__isnull=True, resolution_confirmed_by="")
                | (Q(resolution_confirmed_at__isnull=False) & ~Q(resolution_confirmed_by="")),
                name="ticket_confirmation_has_a_source",
            ),
            # Awaiting an email reply exactly when there is an address to reply to.
            models.CheckConstraint(
                condition=Q(reply_email="", reply_email_requested_at__isnull=True)
                | (~Q(reply_email="") & Q(reply_email_requested_at__isnull=False)),
                name="ticket_reply_email_has_a_time",
            ),
        ]
        indexes = [
            # The live queue: status=queued ordered by priority desc, escalated_at asc.
            models.Index(fields=["status", "-priority", "escalated_at"], name="ticket_queue_idx"),
            # An agent's held tickets and the capacity count.
            models.Index(fields=["agent", "status"], name="ticket_agent_status_idx"),
            # The service rate of the last minutes, which customers' waits are estimated from.
            models.Index(fields=["claimed_at"], name="ticket_claimed_idx"),
            # The quality score's and metrics' resolutions in a window (quality.scoring).
            models.Index(fields=["status", "resolved_at"], name="ticket_resolved_idx"),
            # The reopen-window sweep: resolved tickets not yet confirmed, oldest first.
            models.Index(
                fields=["resolved_at"],
                condition=Q(status="resolved", resolution_confirmed_at__isnull=True),
                name="ticket_unconfirmed_idx",
            ),
            # /metrics: the escalations of the last hour, by reason (marketplace/metrics.py).
            models.Index(fields=["escalated_at"], name="ticket_escalated_idx"),
            # The overdue reply emails' sweep (tickets.reply_by_email): the few resolved
            # tickets whose email has not gone.
            models.Index(
                fields=["resolved_at"],
                condition=Q(status="resolved", reply_emailed_at__isnull=True) & ~Q(reply_email=""),
                name="ticket_reply_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic or 'conversation'} ({self.status})"

    @property
    def customer_first_name(self) -> str:
        return self.customer_name.split(" ")[0] if self.customer_name else ""

    @property
    def preferred_agent_id(self) -> int | None:
        """The agent a reopened ticket goes to first, if eligible (tickets.dispatch_ranking):
        whoever resolved it last. None for a ticket never reopened."""
        return self.resolved_by_id if self.reopen_count else None


class TicketEvent(models.Model):
    """One row per status change: the ticket's audit trail."""

    # A reopen's reason starts so (tickets.services.ticket_reopen_locked); quality counts
    # reopens by it.
    REOPEN_REASON_PREFIX = "reopened:"

    class Actor(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"
        ADMIN = "admin", "Admin"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=Ticket.Status.choices)
    to_status = models.CharField(max_length=16, choices=Ticket.Status.choices)
    actor_kind = models.CharField(max_length=16, choices=Actor.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Resolves and reopens in a window, for the nightly quality score and the quality
            # metrics (quality.scoring, quality.metrics): without it, a scan of every event.
            models.Index(fields=["created_at"], name="ticketevent_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_status} → {self.to_status}"


class Offer(models.Model):
    """A queued ticket reserved for one agent until it accepts, declines or the offer runs
    out (OFFER_TIMEOUT_SECONDS), or the ticket leaves the queue another way (withdrawn).

    Written only by tickets.dispatch and, for withdrawals, tickets.services (docs/dispatch.md).
    The row is its own audit trail: who was offered what, when, and how it ended. An accepted
    offer is the ticket's claim, audited as such by a TicketEvent.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for the agent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Ran out"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class DeclineReason(models.TextChoices):
        BUSY = "busy", "Busy"
        NOT_MY_SKILL = "not_my_skill", "Not my skill"
        OTHER = "other", "Other"

    # Only a pending offer is ever decided, once.
    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        Outcome.PENDING: frozenset(
            {Outcome.ACCEPTED, Outcome.DECLINED, Outcome.EXPIRED, Outcome.WITHDRAWN}
        ),
        Outcome.ACCEPTED: frozenset(),
        Outcome.DECLINED: frozenset(),
        Outcome.EXPIRED: frozenset(),
        Outcome.WITHDRAWN: frozenset(),
    }

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="offers")
    # No index of its own: offer_agent_recent_idx below starts with the agent.
    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.PROTECT, related_name="offers", db_index=False
    )
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    decline_reason = models.CharField(max_length=16, choices=DeclineReason.choices, blank=True)
    decline_note = models.CharField(max_length=300, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # What handling the ticket pays, quoted when the offer is made (payouts hears
    # tickets.signals.offers_made and records it through tickets.dispatch.offers_pay_record),
    # in minor units of pay_currency: shown on the offer, and the record of what the agent
    # was promised. Null when no rate applies.
    pay_amount_minor = models.PositiveIntegerField(null=True, blank=True)
    pay_currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            # The dispatcher's promise, kept by the database whatever the number of processes:
            # a ticket is reserved for one agent at a time. The dispatcher decides it with row
            # locks first (tickets.dispatch); this is the guard behind them.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(outcome="pending"),
                name="offer_one_pending_per_ticket",
            ),
            # An agent weighs one offer at a time, as a driver does one ride. Stronger than "one
            # pending offer per agent and ticket", which follows from it. Also the index of
            # "does this agent have an offer out", which every dispatch round asks.
            models.UniqueConstraint(
                fields=["agent"],
                condition=Q(outcome="pending"),
                name="offer_one_pending_per_agent",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("sent_at")), name="offer_expires_after_sent"
            ),
            # Decided exactly when no longer pending.
            models.CheckConstraint(
                condition=Q(outcome="pending", decided_at__isnull=True)
                | (~Q(outcome="pending") & Q(decided_at__isnull=False)),
                name="offer_decided_unless_pending",
            ),
            # A reason exactly for a decline.
            models.CheckConstraint(
                condition=(Q(outcome="declined") & ~Q(decline_reason=""))
                | (~Q(outcome="declined") & Q(decline_reason="", decline_note="")),
                name="offer_decline_has_a_reason",
            ),
            # A quote is an amount with its currency, or neither.
            models.CheckConstraint(
                condition=Q(pay_amount_minor__isnull=True, pay_currency="")
                | (Q(pay_amount_minor__isnull=False) & ~Q(pay_currency="")),
                name="offer_pay_has_a_currency",
            ),
        ]
        indexes = [
            # The expiry sweep: pending offers with expires_at <= now, soonest first. Partial,
            # so it holds only the handful of offers out at any moment.
            models.Index(
                fields=["expires_at"],
                condition=Q(outcome="pending"),
                name="offer_pending_expiry_idx",
            ),
            # An agent's recent offers, newest first: its acceptance rate for the ranking's
            # tie-break, and its history in the admin.
            models.Index(fields=["agent", "-sent_at"], name="offer_agent_recent_idx"),
            # /metrics: the offers sent in the last hour, by outcome (marketplace/metrics.py).
            models.Index(fields=["sent_at"], name="offer_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"Offer of {self.ticket_id} to {self.agent_id} ({self.outcome})"


class Message(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        BOT = "bot", "Assistant"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=16, choices=Sender.choices)
    agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    # The sending client's id for the message: a resend with the same id is stored once.
    # NULL, not "", for messages without one (bot, system), so the partial unique
    # constraint below ignores them.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    article = models.ForeignKey(
        "tickets.KnowledgeArticle", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ticket", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "seq"], name="message_seq_unique_per_ticket"),
            models.UniqueConstraint(
                fields=["ticket", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_client_id_unique_per_ticket",
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_positive"),
        ]
        indexes = [
            # /metrics: the messages of the last minute and hour (marketplace/metrics.py). On
            # a timestamp that only grows, so inserts add at the index's right edge.
            models.Index(fields=["created_at"], name="message_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}#{self.seq} {self.sender}"


# A note is a line or two for the record, not a second transcript.
NOTE_MAX_BODY_CHARS = 2000


class TicketNote(models.Model):
    """An agent's private note on a ticket, for the record: never shown to the customer.

    Written only by the ticket's holder (tickets.messages.ticket_note_add); any later holder
    of the same ticket sees the notes of those before it, which is what a handover needs.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=NOTE_MAX_BODY_CHARS)
    # As on Message: a resend with the same id is stored once; NULL never collides.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # A ticket's notes in the order written; the ticket FK's index finds them.
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "client_id"],
                condition=Q(client_id__isnull=False),
                name="ticket_note_client_id_unique_per_ticket",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), NOTE_MAX_BODY_CHARS)
                & GreaterThan(Length(Trim("body")), 0),
                name="ticket_note_body_not_blank_nor_too_long",
            ),
        ]

    def __str__(self) -> str:
        return f"Note on {self.ticket_id} by {self.agent_id}"


class KnowledgeArticle(models.Model):
    """What the assistant answers from; edited by admins."""

    title = models.CharField(max_length=200)
    body = models.TextField()
    topic = models.CharField(max_length=64)
    language = models.CharField(max_length=8, default="en")
    keywords = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    example_questions = models.TextField(
        blank=True,
        help_text=(
            "One per line: questions customers ask that this article answers, in their words."
        ),
    )
    is_published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic", "title"]
        constraints = [
            models.UniqueConstraint(fields=["title", "language"], name="article_title_per_language")
        ]

    def __str__(self) -> str:
        return self.title


class TextEmbedding(models.Model):
    """A sentence embedding the assistant computed for a help-centre text, kept so that a new
    process or machine reads it instead of computing it again (tickets.assistant.embeddings).

    digest is the SHA-256 of the model's name and the text; the text itself is not kept.
    """

    model = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.model} {self.digest[:12]}"


class AnswerFeedback(models.Model):
    """A customer's verdict on one of the assistant's answers, given once per answer.

    question is the customer's message the answer replied to, masked, so operators can see
    what led customers to want a person after reading an article.
    """

    class Verdict(models.TextChoices):
        HELPED = "helped", "That helped"
        PERSON = "person", "Talk to a person"

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="feedback")
    article = models.ForeignKey(
        KnowledgeArticle, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    question = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["article", "verdict"], name="feedback_article_verdict_idx"),
            # /metrics: the verdicts of the last hour (marketplace/metrics.py).
            models.Index(fields=["created_at"], name="feedback_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} on message {self.message_id}"


# --- Bring your own AI -----------------------------------------------------------------------


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Integration(models.Model):
    """A company's own assistant, which hands conversations to our agents through
    ``POST /api/v1/escalations/`` and hears back by webhook when they are resolved.

    Only a SHA-256 of the API key is kept; the key itself is shown once, on creation
    (tickets.integrations.integration_create). The webhook secret is kept as is, because
    every delivery is signed with it.
    """

    name = models.CharField(max_length=120)
    # The key's public start ("hl_1a2b3c4d"), so people can tell keys apart without the key.
    key_prefix = models.CharField(max_length=16, unique=True)
    # Every API call looks its integration up by this hash (the unique index serves it).
    key_hash = models.CharField(max_length=64, unique=True)
    webhook_url = models.URLField(
        max_length=500,
        blank=True,
        # HTTP only: the default validator would also let ftp:// through to the sender.
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Told when a handed-over ticket is resolved.",
    )
    webhook_secret = models.CharField(max_length=80, default=new_webhook_secret)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class EscalationIdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a company sent with ``POST /api/v1/escalations/``: a retry with
    the same key gets the ticket the first call made, never a second one.

    Keys are scoped per integration (two companies may pick the same key) and kept with a
    SHA-256 of the request's body, so reusing a key for a different request is caught.
    """

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=255)
    body_sha256 = models.CharField(max_length=64)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Also the index of the lookup every keyed call starts with.
            models.UniqueConstraint(
                fields=["integration", "key"], name="escalation_idempotency_key_per_integration"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} → ticket {self.ticket_id}"


class WebhookDelivery(models.Model):
    """One notification to a company, stored before it is sent and retried until it lands.

    Unique per (integration, ticket, event), so however many times a resolve is announced,
    the company is notified of it once.
    """

    class Event(models.TextChoices):
        TICKET_RESOLVED = "ticket.resolved", "Ticket resolved"

    class Status(models.TextChoices):
        PENDING = "pending", "To be delivered"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="webhook_deliveries"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event = models.CharField(max_length=32, choices=Event.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; pushed forward while an attempt is in flight, so two
    # senders never post the same delivery at once. NULL once delivered or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "ticket", "event"], name="webhook_once_per_ticket_event"
            ),
        ]
        indexes = [
            # The retry drain: status=pending and next_attempt_at <= now, oldest due first.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} of ticket {self.ticket_id} to {self.integration_id} ({self.status})"


class CannedReply(models.Model):
    """A reply agents insert with one click; admins edit them."""

    title = models.CharField(max_length=120)
    body = models.TextField(max_length=4000)
    language = models.CharField(max_length=8, default="en")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "canned replies"
        ordering = ["language", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["title", "language"], name="canned_reply_title_per_language"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Complaint(models.Model):
    """A customer's report of a conversation, from its page: it goes straight to quality
    review, and is never shown to the agent with the customer's identity."""

    class Category(models.TextChoices):
        RUDE = "rude", "The agent was rude"
        WRONG_INFORMATION = "wrong_information", "I was given wrong information"
        PRIVATE_DATA = "private_data", "I was asked for private data"
        OTHER = "other", "Something else"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="complaints")
    # The agent who held the conversation when it was reported (or had last resolved it).
    agent = models.ForeignKey(
        "agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(max_length=24, choices=Category.choices)
    details = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One report per conversation: a second press is the first one again.
            models.UniqueConstraint(fields=["ticket"], name="complaint_one_per_ticket"),
        ]

    def __str__(self) -> str:
        return f"Complaint about #{self.ticket_id} ({self.category})"
