from django.db import models
from django.db.models import Q


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

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(surge_multiplier_pct__gte=100), name="ratecard_surge_at_least_1x"
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
        ordering = ["rate_card", "priority", "skill"]
        constraints = [
            models.UniqueConstraint(
                fields=["rate_card", "priority", "skill"], name="ratecard_entry_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"P{self.priority} {self.skill or 'any'}: {self.amount_cents}"


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
