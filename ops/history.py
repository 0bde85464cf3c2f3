"""The history behind the "always a human" report (docs/ops.md): one row per day (in
OPS_REPORT_TIME_ZONE, UTC by default) and language in ops.DailyHumanAccess, computed from
the tickets escalated that day.

A day's rows are recomputed, not added to: ``human_access_compute`` reads that day's
tickets (one query, bounded by the day's escalations, whatever the number of agents),
measures them in Python and upserts the rows, so running it twice, or two workers at once,
leaves the same rows. ``human_access_record`` (every 10 minutes, by beat) recomputes today
and yesterday, since a ticket escalated before midnight is often served or given up after
it, and the older days whose tickets moved since its last run.

Percentiles are nearest-rank: the p-th percentile of n sorted values is the value of rank
ceil(p/100 · n). Always a value that was measured, the same on every database.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from ops.models import DailyHumanAccess
from tickets.models import Ticket, TicketEvent

# The report's window, and what the backfill fills by default.
HISTORY_DAYS = 90
# The task's period (CELERY_BEAT_SCHEDULE's record-human-access), looked back over again.
RECORD_OVERLAP = timedelta(minutes=10)


def nearest_rank(sorted_values: list[float], percent: int) -> float:
    """The nearest-rank percentile of values sorted ascending (at least one)."""
    rank = math.ceil(percent / 100 * len(sorted_values))
    return sorted_values[max(rank, 1) - 1]


def report_zone() -> ZoneInfo:
    """The time zone whose days the report counts in (OPS_REPORT_TIME_ZONE, UTC by default)."""
    return ZoneInfo(settings.OPS_REPORT_TIME_ZONE)


def report_today(now: datetime) -> date:
    return now.astimezone(report_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants a report day starts and ends (end excluded): midnight to midnight in the
    report's time zone, 23 or 25 hours on the days clocks change."""
    zone = report_zone()
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


@dataclass
class _Tally:
    asked: int = 0
    waits: list[float] = field(default_factory=list)
    gave_up_after: list[float] = field(default_factory=list)
    offered_other_way: int = 0
    email_replied: int = 0

    def row(self, *, day: date, language: str, now: datetime) -> DailyHumanAccess:
        waits, gave_up_after = sorted(self.waits), sorted(self.gave_up_after)

        def seconds(values: list[float], percent: int) -> int | None:
            return int(nearest_rank(values, percent)) if values else None

        return DailyHumanAccess(
            day=day,
            language=language,
            asked=self.asked,
            got_person=len(waits),
            wait_median_seconds=seconds(waits, 50),
            wait_p90_seconds=seconds(waits, 90),
            wait_max_seconds=seconds(waits, 100),
            gave_up=len(gave_up_after),
            gave_up_after_median_seconds=seconds(gave_up_after, 50),
            gave_up_after_max_seconds=seconds(gave_up_after, 100),
            waiting=self.asked - len(waits) - len(gave_up_after),
            offered_other_way=self.offered_other_way,
            email_replied=self.email_replied,
            computed_at=now,
        )


_FIGURES = [
    f.name
    for f in DailyHumanAccess._meta.concrete_fields
    if f.name not in ("id", "day", "language")
]


def human_access_compute(*, day: date, now: datetime | None = None) -> list[DailyHumanAccess]:
    """Compute and store ``day``'s rows (each language, and ALL_LANGUAGES) from the tickets
    escalated on it; returns them. A day without escalations has no rows.

    Got a person: claimed at least once (a TicketEvent into ``assigned``), whatever came
    after (released, requeued, reopened); its wait runs from ``escalated_at`` to that first
    claim, since ``claimed_at`` is cleared and set again by a release and a reclaim. A
    ticket with no claim in its audit trail but a ``claimed_at`` counts from that. Gave
    up: abandoned without ever being claimed, after ``abandoned_at - escalated_at``.
    Offered another way: left a message to be answered by email; email replied: that email
    went out. Three queries: the tickets, the upsert, the removal of languages gone.
    """
    now = now or timezone.now()
    start, end = day_bounds(day)
    tickets = (
        Ticket.objects.filter(escalated_at__gte=start, escalated_at__lt=end)
        .order_by()
        .annotate(
            first_claim_at=Min(
                "events__created_at", filter=Q(events__to_status=Ticket.Status.ASSIGNED)
            )
        )
        .values_list(
            "language",
            "escalated_at",
            "first_claim_at",
            "claimed_at",
            "abandoned_at",
            "reply_email_requested_at",
            "reply_emailed_at",
        )
    )
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for (
        language,
        escalated_at,
        first_claim_at,
        claimed_at,
        abandoned_at,
        asked_email_at,
        emailed_at,
    ) in tickets:
        # A ticket with no claim in its audit trail (written before the trail, or imported)
        # but a claim time got a person then.
        got_person_at = first_claim_at or claimed_at
        for tally in (tallies[language], tallies[DailyHumanAccess.ALL_LANGUAGES]):
            tally.asked += 1
            if got_person_at is not None:
                tally.waits.append(max(0.0, (got_person_at - escalated_at).total_seconds()))
            elif abandoned_at is not None:
                tally.gave_up_after.append(max(0.0, (abandoned_at - escalated_at).total_seconds()))
            tally.offered_other_way += asked_email_at is not None
            tally.email_replied += emailed_at is not None
    rows = [
        tally.row(day=day, language=language, now=now)
        for language, tally in sorted(tallies.items())
    ]
    with transaction.atomic():
        if rows:
            DailyHumanAccess.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["day", "language"],
                update_fields=_FIGURES,
            )
        DailyHumanAccess.objects.filter(day=day).exclude(
            language__in=[row.language for row in rows]
        ).delete()
    return rows


def human_access_record(*, now: datetime | None = None) -> int:
    """Recompute today and yesterday, and any older day of the window whose tickets
    were claimed, abandoned or resolved since the last run (a customer who left a message
    may be answered days later); returns the number of rows written."""
    now = now or timezone.now()
    today = report_today(now)
    days = {today - timedelta(days=1), today} | _older_days_touched(today=today)
    return sum(len(human_access_compute(day=day, now=now)) for day in sorted(days))


def _older_days_touched(*, today: date) -> set[date]:
    """The days before yesterday, within the window, of tickets whose figures may have moved
    since the last run: a claim, an abandonment or a resolve (the email reply follows it).
    Reads the recent events only (their created_at index), not the days' tickets."""
    last_run = DailyHumanAccess.objects.aggregate(last=Max("computed_at"))["last"]
    if last_run is None:
        return set()  # nothing recorded yet: the backfill fills the past
    # One period back from the last run, for what committed while it ran and the email
    # sent just after a resolve.
    since = last_run - RECORD_OVERLAP
    yesterday_start, _ = day_bounds(today - timedelta(days=1))
    window_start, _ = day_bounds(today - timedelta(days=HISTORY_DAYS))
    return set(
        TicketEvent.objects.filter(
            created_at__gte=since,
            to_status__in=[
                Ticket.Status.ASSIGNED,
                Ticket.Status.ABANDONED,
                Ticket.Status.RESOLVED,
            ],
            ticket__escalated_at__gte=window_start,
            ticket__escalated_at__lt=yesterday_start,
        )
        .order_by()
        .values_list(TruncDate("ticket__escalated_at", tzinfo=report_zone()), flat=True)
        .distinct()
    )


def human_access_backfill(*, days: int, now: datetime | None = None) -> int:
    """Recompute the last ``days`` days up to today, oldest first; returns the rows
    written. Each day is its own short transaction."""
    now = now or timezone.now()
    today = report_today(now)
    return sum(
        len(human_access_compute(day=today - timedelta(days=back), now=now))
        for back in range(days - 1, -1, -1)
    )
