"""``{% load local_dates %}``: dates and times in the viewer's locale (core/dates.py).

Here in the lowest app so every app's templates (emails included) can load it.
"""

from django import template

from core.dates import DATE, DAY, WEEKDAY, format_clock, format_date, format_when

register = template.Library()

_SKELETONS = {"": DATE, "day": DAY, "weekday": WEEKDAY}


@register.filter
def local_date(value, form: str = "") -> str:
    """``{{ payout.created_at|local_date }}`` → "Dec 5, 2026"; ``|local_date:"day"`` → "Dec 5"."""
    return format_date(value, _SKELETONS[form])


@register.filter
def local_datetime(value, form: str = "") -> str:
    """``|local_datetime`` → "Dec 5, 2026, 2:30 PM"; ``:"day"`` and ``:"weekday"`` drop the year."""
    return format_when(value, _SKELETONS[form])


@register.filter
def local_time(value) -> str:
    """``{{ slot.ends_at|local_time }}`` → "4:30 PM" in American English, "16:30" in German."""
    return format_clock(value)
