import re

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _


class RateCard(models.Model):
    """What a resolved ticket pays, from the day it takes effect. All amounts in minor units."""

    name = models.CharField(max_length=100)
    effective_from = models.DateTimeField(unique=True)
    currency = models.CharField(max_length=3, default="usd")
    # Minor units (cents) of `currency`.
    top_rating_bonus_cents = models.PositiveIntegerField(default=0)
    shift_completion_bonus_cents = models.PositiveIntegerField(default=0)
    # Surge pay as a percentage of the base: 150 means 1.5×, kept integral so no float
    # ever touches an amount.
    surge_multiplier_pct = models.PositiveSmallIntegerField(default=150)
    # Instant cash-out: a fee in basis points of the amount (150 = 1.5 %), at least the minimum.
    instant_payout_fee_bps = models.PositiveSmallIntegerField(default=150)
    instant_payout_fee_min_cents = models.PositiveIntegerField(default=50)
    # Pay by quality tier (docs/quality.md), percent of the base like the surge: 100 is 1×.
    probation_multiplier_pct = models.PositiveSmallIntegerField(default=100)
    standard_multiplier_pct = models.PositiveSmallIntegerField(default=100)
    expert_multiplier_pct = models.PositiveSmallIntegerField(default=110)

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(surge_multiplier_pct__gte=100), name="ratecard_surge_at_least_1x"
            ),
            models.CheckConstraint(
                condition=Q(probation_multiplier_pct__gte=50)
                & Q(standard_multiplier_pct__gte=50)
                & Q(expert_multiplier_pct__gte=50),
                name="ratecard_tier_multipliers_at_least_half",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (from {self.effective_from:%Y-%m-%d})"


class RateCardEntry(models.Model):
    """Base pay for a resolved ticket of a priority, optionally for one skill."""

    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="entries")
    priority = models.PositiveSmallIntegerField()
    skill = models.CharField(max_length=16, blank=True, help_text="Blank: any skill.")
    amount_cents = models.PositiveIntegerField(help_text="Minor units of the card's currency.")

    class Meta:
        verbose_name_plural = "rate card entries"
        ordering = ["rate_card", "priority", "skill"]
        constraints = [
            models.UniqueConstraint(
                fields=["rate_card", "priority", "skill"], name="ratecard_entry_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"P{self.priority} {self.skill or 'any'}: {self.amount_cents}"


class Payout(models.Model):
    """One transfer of money to an agent's connected account, and the lines it pays.

    A pending payout is the intent to pay, written in the same transaction that takes its
    lines off the payable balance: it is the outbox row that ``payouts_drain`` sends. Its
    idempotency key and transfer group are derived from its id, so every attempt, by any
    worker, asks Stripe for the same transfer.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        INSTANT = "instant", _("Instant cash-out")

    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="payouts")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SCHEDULED)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    amount_cents = models.BigIntegerField(help_text="What is transferred, after any fee.")
    currency = models.CharField(max_length=3)
    destination = models.CharField(max_length=64, help_text="The connected account paid.")
    requested_on = models.DateField(
        help_text="The UTC day it was created; instant cash-outs are limited to one a day."
    )

    attempts = models.PositiveSmallIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker sending it holds it until then; a worker lost mid-send lets it go by itself.
    lease_until = models.DateTimeField(null=True, blank=True)

    stripe_transfer_id = models.CharField(max_length=64, blank=True)
    amount_reversed_cents = models.BigIntegerField(default=0)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True, help_text="What to do about it, in words.")
    retried_as = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retry_of"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_reversed_cents__gte=0)
                & Q(amount_reversed_cents__lte=F("amount_cents")),
                name="payout_reversal_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | ~Q(stripe_transfer_id=""),
                name="payout_paid_has_transfer",
            ),
            models.UniqueConstraint(
                fields=["stripe_transfer_id"],
                condition=~Q(stripe_transfer_id=""),
                name="payout_transfer_unique",
            ),
            # At most one instant cash-out a day; a failed one does not use the day up.
            models.UniqueConstraint(
                fields=["agent", "requested_on"],
                condition=Q(kind="instant") & ~Q(status="failed"),
                name="payout_one_instant_per_day",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="payout_outbox_idx"),
        ]

    def __str__(self) -> str:
        return f"Payout #{self.pk} to {self.agent_id}: {self.amount_cents} {self.currency}"

    @property
    def idempotency_key(self) -> str:
        return f"humanline-payout-{self.pk}"

    @property
    def transfer_group(self) -> str:
        return f"payout-{self.pk}"


class EarningLine(models.Model):
    """One entry of an agent's earnings ledger, in minor units of ``currency``.

    A line is pending during the hold, then payable, then in a payout, then paid. A paid
    line is never edited: a correction is a new line. ``source_key`` names what earned it,
    so a retried job that creates a line creates it once.
    """

    class Kind(models.TextChoices):
        TICKET = "ticket", _("Resolved ticket")
        TOP_RATING_BONUS = "top_rating_bonus", _("Top rating bonus")
        SHIFT_BONUS = "shift_bonus", _("Completed shift bonus")
        ADJUSTMENT = "adjustment", _("Adjustment")
        INSTANT_FEE = "instant_fee", _("Instant cash-out fee")
        REVERSAL = "reversal", _("Transfer reversed")
        TICKET_REVERSAL = "ticket_reversal", _("Reopened ticket reversed")

    class Status(models.TextChoices):
        # A ticket's pay line until the customer confirms the resolution or the reopen
        # window passes (docs/quality.md); then it waits out the hold like any line.
        UNCONFIRMED = "unconfirmed", _("Awaiting the customer's confirmation")
        PENDING = "pending", _("Pending")
        PAYABLE = "payable", _("Payable")
        IN_PAYOUT = "in_payout", _("Being paid")
        PAID = "paid", _("Paid")

    # No index of its own: (agent, status) below leads with it.
    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.PROTECT, related_name="earning_lines", db_index=False
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    amount_cents = models.BigIntegerField(help_text="Minor units; negative for deductions.")
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=200)
    source_key = models.CharField(max_length=100)

    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="earning_lines",
    )
    rate_card = models.ForeignKey(RateCard, null=True, blank=True, on_delete=models.PROTECT)
    surge_applied = models.BooleanField(default=False)
    # A ticket's pay lines are numbered by resolution: a reopened ticket's next resolve pays
    # again, whoever resolves it. 0 for lines that are not ticket pay.
    resolution = models.PositiveSmallIntegerField(default=0)
    # A TICKET_REVERSAL line names the pay line it cancels (never edited: reversed).
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    payout = models.ForeignKey(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    earned_at = models.DateTimeField()
    available_at = models.DateTimeField(help_text="When the hold ends and it becomes payable.")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-earned_at", "-id"]
        constraints = [
            # A constraint rather than unique=True, which on PostgreSQL adds a second,
            # pattern-matching index that every write of a line would pay for.
            models.UniqueConstraint(fields=["source_key"], name="earning_source_key_unique"),
            # One pay line per resolution of a ticket, whatever retries or races happen above.
            models.UniqueConstraint(
                fields=["ticket", "resolution"],
                condition=Q(kind="ticket"),
                name="earning_one_line_per_resolution",
            ),
            models.CheckConstraint(
                condition=~Q(kind="ticket_reversal") | Q(reverses__isnull=False),
                name="earning_ticket_reversal_names_its_line",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["in_payout", "paid"], payout__isnull=False)
                | Q(status__in=["unconfirmed", "pending", "payable"], payout__isnull=True),
                name="earning_payout_matches_status",
            ),
            models.CheckConstraint(
                condition=~Q(kind="ticket") | Q(ticket__isnull=False),
                name="earning_ticket_line_has_ticket",
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "status"], name="earning_agent_status_idx"),
            models.Index(fields=["status", "available_at"], name="earning_hold_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents} {self.currency} ({self.status})"

    @property
    def description_for_viewer(self) -> str:
        """The stored ``description`` in the viewer's language. What is stored stays the
        English text written once (payouts.ledger and payouts.services write it; the admin
        and exports read it); the portal reads this, which recognises those fixed phrasings
        and says them again in the active language. An admin's free-text adjustment, or a
        phrasing it does not know, is shown as stored."""
        return describe_for_viewer(self.description)


# The phrasings payouts.ledger and payouts.services store, read back into their parts: a
# change to one of those f-strings changes its pattern here too
# (tests/portal/test_portal_labels_i18n.py reads each of them in German).
_TICKET_LINE = re.compile(
    r"Ticket #(?P<ticket>\d+) \((?P<priority>low|normal|high|urgent) priority\)"
    r"(?:, surge ×(?P<surge>[\d.]+))?(?:, (?P<tier>probation|standard|expert) ×(?P<tier_x>[\d.]+))?"
)
_NO_RATE_LINE = re.compile(
    r"Ticket #(?P<ticket>\d+): no rate set for this priority, an admin will review"
)
_REOPENED_LINE = re.compile(
    r"Ticket #(?P<ticket>\d+) reopened: (?:(?P<not_solved>the customer said it was not solved)"
    r"|the customer wrote again within (?P<hours>\d+) h|(?P<other>it was reopened))"
)
_SIMPLE_LINES = [
    (re.compile(r"Top rating on ticket #(?P<n>\d+)"), _("Top rating on ticket #%(n)s")),
    (re.compile(r"Completed shift #(?P<n>\d+)"), _("Completed shift #%(n)s")),
    (
        re.compile(r"Instant cash-out fee \(payout #(?P<n>\d+)\)"),
        _("Instant cash-out fee (payout #%(n)s)"),
    ),
    (
        re.compile(r"Fee refunded: cash-out #(?P<n>\d+) failed"),
        _("Fee refunded: cash-out #%(n)s failed"),
    ),
    (
        re.compile(r"Transfer for payout #(?P<n>\d+) reversed by Humanline"),
        _("Transfer for payout #%(n)s reversed by Humanline"),
    ),
]
_PRIORITY = {
    "low": _("low priority"),
    "normal": _("normal priority"),
    "high": _("high priority"),
    "urgent": _("urgent priority"),
}
_TIER = {"probation": _("probation"), "standard": _("standard"), "expert": _("expert")}


def describe_for_viewer(description: str) -> str:
    """A stored line description in the active language (see description_for_viewer)."""
    if (get_language() or "en").split("-")[0] == "en":
        return description  # what was stored is already English
    if match := _TICKET_LINE.fullmatch(description):
        text = gettext("Ticket #%(ticket)s (%(priority)s)") % {
            "ticket": match["ticket"],
            "priority": _PRIORITY[match["priority"]],
        }
        if match["surge"]:
            text += gettext(", surge ×%(multiplier)s") % {"multiplier": match["surge"]}
        if match["tier"]:
            text += gettext(", %(tier)s ×%(multiplier)s") % {
                "tier": _TIER[match["tier"]],
                "multiplier": match["tier_x"],
            }
        return text
    if match := _NO_RATE_LINE.fullmatch(description):
        return gettext(
            "Ticket #%(ticket)s: no rate set for this priority, an admin will review"
        ) % {"ticket": match["ticket"]}
    if match := _REOPENED_LINE.fullmatch(description):
        if match["not_solved"]:
            why = gettext("the customer said it was not solved")
        elif match["hours"]:
            why = gettext("the customer wrote again within %(hours)s h") % {"hours": match["hours"]}
        else:
            why = gettext("it was reopened")
        return gettext("Ticket #%(ticket)s reopened: %(why)s") % {
            "ticket": match["ticket"],
            "why": why,
        }
    for pattern, phrase in _SIMPLE_LINES:
        if match := pattern.fullmatch(description):
            return str(phrase) % {"n": match["n"]}
    return description


class BankPayout(models.Model):
    """A payout from an agent's Stripe balance to their bank, as Stripe last told us.

    Stripe makes these on the connected account; we only mirror them, so an agent can see
    when money reached (or bounced from) their bank.
    """

    stripe_payout_id = models.CharField(max_length=64, unique=True)
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="bank_payouts")
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16)
    arrival_date = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-arrival_date", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_payout_id} {self.status}"

    @property
    def status_for_viewer(self) -> str:
        """Stripe's status word in the viewer's language ("in_transit" → "in transit"); a
        status Stripe adds later is shown as Stripe spells it."""
        return str(BANK_PAYOUT_STATUSES.get(self.status, self.status))


# The statuses Stripe gives a payout to a bank (its Payout object's ``status``).
BANK_PAYOUT_STATUSES = {
    "paid": _("paid"),
    "pending": _("pending"),
    "in_transit": _("in transit"),
    "canceled": _("canceled"),
    "failed": _("failed"),
}


class StripeEvent(models.Model):
    """A webhook event from Stripe, stored once by its id so a redelivery has no second effect.

    Handling acts on Stripe's current state rather than on the event's copy of it, so events
    arriving late or out of order cannot leave a stale value behind.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed (Stripe will redeliver)"

    id = models.CharField(primary_key=True, max_length=255, help_text="Stripe's evt_… id.")
    type = models.CharField(max_length=100)
    account = models.CharField(
        max_length=64, blank=True, help_text="The connected account it concerns, if any."
    )
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    detail = models.TextField(blank=True, help_text="Why it was ignored, or the last error.")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The admin's "what failed / what is pending" view.
            models.Index(fields=["status", "received_at"], name="stripe_event_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.type} ({self.status})"
