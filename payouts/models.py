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
