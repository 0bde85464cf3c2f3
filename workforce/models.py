"""Workforce planning's data: shift slots, the demand forecast, assignments, surges.

These models were born in the agents app; their tables keep the names they had there
(``db_table``), so moving the code moved no data and needed no table rename at deploy.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agents.models import Agent


class ShiftSlot(models.Model):
    """A half-hour-aligned block of work for agents of one language and skill."""

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    language = models.CharField(max_length=8)
    skill = models.CharField(max_length=16)
    headcount_required = models.PositiveSmallIntegerField(default=1)
    headcount_override = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Set by an admin to replace the computed headcount."
    )

    class Meta:
        db_table = "agents_shiftslot"
        ordering = ["starts_at", "language", "skill"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["starts_at", "language", "skill"],
                name="slot_unique_per_start_language_skill",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%a %d %b %H:%M} {self.language}/{self.skill}"

    @property
    def headcount(self) -> int:
        if self.headcount_override is not None:
            return self.headcount_override
        return self.headcount_required


class HalfHourDemand(models.Model):
    """The forecast for one half hour of one language and skill, and the agents it needs.

    Written by workforce.forecast.week_demand_plan; shift slots take the peak of their half
    hours, and the admin's week view compares these with the staffed headcount.
    """

    starts_at = models.DateTimeField()
    language = models.CharField(max_length=8)
    skill = models.CharField(max_length=16)
    # Mean escalations expected in the half hour: a forecast, not money, so a float is fine.
    arrivals = models.FloatField()
    handle_time_seconds = models.PositiveIntegerField()
    concurrency = models.PositiveSmallIntegerField()
    agents_required = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "agents_halfhourdemand"
        ordering = ["starts_at", "language", "skill"]
        constraints = [
            models.UniqueConstraint(
                fields=["starts_at", "language", "skill"], name="demand_unique_per_half_hour"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%a %H:%M} {self.language}/{self.skill}: {self.agents_required}"


class ShiftAssignment(models.Model):
    """One agent on one shift slot. Every state change goes through workforce.shifts."""

    class State(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Offer expired")
        BOOKED = "booked", _("Booked")
        NO_SHOW = "no_show", _("No-show")
        COMPLETED = "completed", _("Completed")

    class Source(models.TextChoices):
        MATCHED = "matched", _("Offered by matching")
        REPLACEMENT = "replacement", _("Offered as a replacement")
        BOOKED = "booked", _("Booked by the agent")

    slot = models.ForeignKey(ShiftSlot, on_delete=models.PROTECT, related_name="assignments")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="shift_assignments")
    state = models.CharField(max_length=12, choices=State.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    # First time the no-show sweep saw the agent online during the shift.
    checked_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "agents_shiftassignment"
        ordering = ["slot__starts_at", "id"]
        constraints = [
            # One row per agent and slot: a declined or expired offer is not made again, and
            # the agent books the same row rather than a twin.
            models.UniqueConstraint(
                fields=["slot", "agent"], name="shift_one_assignment_per_agent"
            ),
            models.CheckConstraint(
                condition=~Q(state="offered") | Q(offer_expires_at__isnull=False),
                name="shift_offer_has_deadline",
            ),
        ]
        indexes = [
            # The expiry sweep: offered rows past their deadline.
            models.Index(fields=["state", "offer_expires_at"], name="shift_offer_deadline_idx"),
            # Headcount counts per slot and an agent's upcoming shifts.
            models.Index(fields=["slot", "state"], name="shift_slot_state_idx"),
            models.Index(fields=["agent", "state"], name="shift_agent_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} on {self.slot} ({self.state})"


class ShiftAssignmentEvent(models.Model):
    """Audit trail of a shift assignment: who moved it, when and why."""

    assignment = models.ForeignKey(ShiftAssignment, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, choices=ShiftAssignment.State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "agents_shiftassignmentevent"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.from_state or '∅'} → {self.to_state}"


class SurgePeriod(models.Model):
    """A stretch of time when the live queue's wait exceeded its target for a language.

    Tickets claimed while a period is open (``ended_at`` null) or within it are paid with the
    rate card's surge multiplier. Periods are recorded, never edited after they end.
    """

    language = models.CharField(max_length=8)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    trigger_wait_seconds = models.PositiveIntegerField(
        default=0, help_text="The oldest queued ticket's wait when the surge began."
    )

    class Meta:
        db_table = "agents_surgeperiod"
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="surge_ends_after_start",
            ),
            # At most one open surge per language; a second "start" is a no-op, not a twin.
            models.UniqueConstraint(
                fields=["language"],
                condition=Q(ended_at__isnull=True),
                name="surge_one_open_per_language",
            ),
        ]

    def __str__(self) -> str:
        return f"surge {self.language} from {self.started_at:%Y-%m-%d %H:%M}"
