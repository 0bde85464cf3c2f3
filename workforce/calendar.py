"""The shift calendar: weeks on a UTC grid, and agents' weekly availability as UTC windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

from agents.models import Agent

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def week_start_of(moment: datetime | date) -> datetime:
    """Monday 00:00 UTC of the week holding ``moment``."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(0), tzinfo=UTC)


def next_week_start(now: datetime) -> datetime:
    return week_start_of(now) + timedelta(days=7)


def parse_week(value: str) -> datetime:
    """``YYYY-MM-DD`` of a Monday → that Monday 00:00 UTC; anything else is refused."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a date like 2025-03-17.") from None
    if day.weekday() != 0:
        raise ValidationError(f"{value} is a {day:%A}; weeks start on a Monday.")
    return week_start_of(day)


def availability_windows(
    *, agent: Agent, week_start: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    """The agent's weekly availability (local times in its time zone) as UTC windows that
    fall in the week, touching windows merged so a shift across midnight fits in one."""
    try:
        zone = ZoneInfo(agent.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    week_end = week_start + timedelta(days=7)
    windows: list[tuple[datetime, datetime]] = []
    # Local days from the day before to the day after, for zones on either side of UTC.
    first_day = week_start.date() - timedelta(days=1)
    for offset in range(9):
        day = first_day + timedelta(days=offset)
        for start_text, end_text in (agent.weekly_availability or {}).get(
            WEEKDAY_KEYS[day.weekday()], []
        ):
            start = _local(day, start_text, zone)
            end = _local(day, end_text, zone)
            start, end = max(start, week_start), min(end, week_end)
            if start < end:
                windows.append((start, end))
    windows.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _local(day: date, text: str, zone: ZoneInfo) -> datetime:
    if text == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    hour, minute = (int(part) for part in text.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
