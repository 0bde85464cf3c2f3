"""The operators' aggregates (docs/ops.md)."""

from django.db import models
from django.db.models import F, Q


class DailyHumanAccess(models.Model):
    """How the customers who asked for a person on one day (in OPS_REPORT_TIME_ZONE) fared, by
    language: the "always a human" report reads these rows, never the tickets (ops.history
    fills them).

    ``language`` is a ticket's language, or ALL_LANGUAGES for the day as a whole: medians
    and percentiles do not add up across languages, so the day's own are stored.
    Durations are whole seconds; a percentile is None when nobody it measures was seen.
    """

    ALL_LANGUAGES = ""

    day = models.DateField()
    language = models.CharField(max_length=8, blank=True)
    asked = models.PositiveIntegerField()
    got_person = models.PositiveIntegerField()
    wait_median_seconds = models.PositiveIntegerField(null=True, blank=True)
    wait_p90_seconds = models.PositiveIntegerField(null=True, blank=True)
    wait_max_seconds = models.PositiveIntegerField(null=True, blank=True)
    gave_up = models.PositiveIntegerField()
    gave_up_after_median_seconds = models.PositiveIntegerField(null=True, blank=True)
    gave_up_after_max_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Neither served nor gone when computed: still in the queue (a message left included).
    waiting = models.PositiveIntegerField()
    offered_other_way = models.PositiveIntegerField()
    email_replied = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["day", "language"]
        constraints = [
            # Also the index of the report's range read (day between start and end).
            models.UniqueConstraint(fields=["day", "language"], name="human_access_day_language"),
            models.CheckConstraint(
                condition=Q(got_person__lte=F("asked"))
                & Q(gave_up__lte=F("asked"))
                & Q(offered_other_way__lte=F("asked"))
                & Q(email_replied__lte=F("offered_other_way")),
                name="human_access_counts_within_asked",
            ),
            models.CheckConstraint(
                condition=Q(asked=F("got_person") + F("gave_up") + F("waiting")),
                name="human_access_every_ask_accounted",
            ),
            # Waits exactly when someone got a person, ordered median ≤ p90 ≤ max.
            models.CheckConstraint(
                condition=Q(
                    got_person=0,
                    wait_median_seconds__isnull=True,
                    wait_p90_seconds__isnull=True,
                    wait_max_seconds__isnull=True,
                )
                | Q(
                    got_person__gt=0,
                    wait_median_seconds__lte=F("wait_p90_seconds"),
                    wait_p90_seconds__lte=F("wait_max_seconds"),
                ),
                name="human_access_waits_when_served",
            ),
            models.CheckConstraint(
                condition=Q(
                    gave_up=0,
                    gave_up_after_median_seconds__isnull=True,
                    gave_up_after_max_seconds__isnull=True,
                )
                | Q(
                    gave_up__gt=0,
                    gave_up_after_median_seconds__lte=F("gave_up_after_max_seconds"),
                ),
                name="human_access_gave_up_times_when_gave_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.language or 'all languages'}: {self.got_person}/{self.asked}"
