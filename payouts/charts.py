"""Charts drawn on the server as SVG: no JavaScript, no library, readable without styles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext

from core.dates import DAY, format_date
from payouts.money import format_money


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: str
    label_x: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: int
    bars: list[Bar]
    peak: str
    description: str


def weekly_bar_chart(
    weeks: list[tuple[date, int]], currency: str, *, width: int = 640, height: int = 200
) -> BarChart:
    """Bars of weekly earnings in minor units; negative weeks are drawn as empty bars."""
    top, bottom = 18, 26
    plot_height = height - top - bottom
    slot = width // max(len(weeks), 1)
    bar_width = max(slot - 12, 4)
    peak = max((amount for _, amount in weeks), default=0)
    bars = []
    for index, (monday, amount) in enumerate(weeks):
        bar_height = (max(amount, 0) * plot_height // peak) if peak > 0 else 0
        x = index * slot + (slot - bar_width) // 2
        bars.append(
            Bar(
                x=x,
                y=top + plot_height - bar_height,
                width=bar_width,
                height=bar_height,
                label=format_date(monday, DAY),
                value=format_money(amount, currency),
                label_x=x + bar_width // 2,
            )
        )
    summary = ", ".join(
        gettext("week of %(day)s: %(amount)s") % {"day": bar.label, "amount": bar.value}
        for bar in bars
    )
    return BarChart(
        width=width,
        height=height,
        baseline=top + plot_height,
        bars=bars,
        peak=format_money(peak, currency),
        description=gettext("Earnings per week, oldest first: %(weeks)s.") % {"weeks": summary},
    )
