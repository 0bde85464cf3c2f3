"""Reads of the always-a-human report (docs/ops.md): the aggregate table only, never the tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ops.models import DailyHumanAccess

COUNTS = ["asked", "got_person", "gave_up", "waiting", "offered_other_way", "email_replied"]
MAXIMA = ["wait_max_seconds", "gave_up_after_max_seconds"]


@dataclass(frozen=True)
class RangeTotal:
    """A language's (or all languages') figures summed over the range. Medians and
    percentiles do not add up across days, so only the counts and the maxima are given."""

    language: str
    asked: int
    got_person: int
    gave_up: int
    waiting: int
    offered_other_way: int
    email_replied: int
    wait_max_seconds: int | None
    gave_up_after_max_seconds: int | None


@dataclass(frozen=True)
class HumanAccessReport:
    start: date
    end: date
    # Every stored row of the range, by day then language; a day's ALL_LANGUAGES row first.
    rows: list[DailyHumanAccess]
    totals: list[RangeTotal]  # each language, then all languages
    # When today's rows were computed, if today is in the range and has any.
    today_computed_at: datetime | None

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=k) for k in range((self.end - self.start).days + 1)]

    def day_rows(self) -> dict[date, DailyHumanAccess]:
        return {r.day: r for r in self.rows if r.language == DailyHumanAccess.ALL_LANGUAGES}


def _total(language: str, rows: list[DailyHumanAccess]) -> RangeTotal:
    def most(name: str) -> int | None:
        return max((v for r in rows if (v := getattr(r, name)) is not None), default=None)

    return RangeTotal(
        language=language,
        **{name: sum(getattr(r, name) for r in rows) for name in COUNTS},
        **{name: most(name) for name in MAXIMA},
    )


def human_access_report(*, start: date, end: date, today: date) -> HumanAccessReport:
    """The report's days from ``start`` to ``end`` (report days, both included): one query on the
    aggregate table, never the tickets."""
    rows = list(
        DailyHumanAccess.objects.filter(day__gte=start, day__lte=end).order_by("day", "language")
    )
    by_language: dict[str, list[DailyHumanAccess]] = {}
    for row in rows:
        by_language.setdefault(row.language, []).append(row)
    everyone = by_language.pop(DailyHumanAccess.ALL_LANGUAGES, [])
    totals = [_total(language, kept) for language, kept in sorted(by_language.items())]
    totals.append(_total(DailyHumanAccess.ALL_LANGUAGES, everyone))
    today_computed_at = max((r.computed_at for r in rows if r.day == today), default=None)
    return HumanAccessReport(
        start=start, end=end, rows=rows, totals=totals, today_computed_at=today_computed_at
    )
