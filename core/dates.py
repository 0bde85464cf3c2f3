"""Dates and times as the viewer reads them: the active language's locale (babel, CLDR) and
the current time zone (Django's), for the pages and emails that used to spell a format out
("j M Y H:i" is English order, and 24-hour time is not what an American reader expects).

The patterns come from CLDR skeletons, so "yMMMd" is "Dec 5, 2026" in American English,
"5. Dez. 2026" in German and "2026年12月5日" in Japanese.
"""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_skeleton, format_time
from django.utils import timezone

from core.money import viewer_locale

DATE = "yMMMd"  # Dec 5, 2026
DAY = "MMMd"  # Dec 5
WEEKDAY = "MMMEd"  # Sat, Dec 5


def format_date(value: date | datetime | None, skeleton: str = DATE, *, locale=None) -> str:
    """A date (or a datetime's date in the current time zone) for the viewer; "" for None."""
    if value is None:
        return ""
    babel_locale = viewer_locale(locale)
    return format_skeleton(skeleton, _local(value), locale=babel_locale)


def format_clock(value: datetime | None, *, locale=None) -> str:
    """A time of day in the current time zone, in the locale's short form: "2:30 PM", "14:30"."""
    if value is None:
        return ""
    local = _local(value)
    return format_time(local.timetz(), "short", locale=viewer_locale(locale))


def format_when(value: datetime | None, skeleton: str = DATE, *, locale=None) -> str:
    """A date and time joined the locale's way: "Dec 5, 2026, 2:30 PM", "5. Dez. 2026, 14:30"."""
    if value is None:
        return ""
    babel_locale: Locale = viewer_locale(locale)
    pattern = str(babel_locale.datetime_formats["medium"])
    return pattern.replace("{1}", format_date(value, skeleton, locale=babel_locale)).replace(
        "{0}", format_clock(value, locale=babel_locale)
    )


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value
