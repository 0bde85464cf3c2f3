"""The always-a-human report's charts, drawn as SVG on the server (no script, no build
step): customers who asked for a person and those who got one, and the p90 wait, by day."""

from __future__ import annotations

import math
from datetime import date

from core.charts import line_chart
from core.dates import DAY, format_date
from ops.report import HumanAccessReport

ASKED_COLOUR = "#36c"
GOT_PERSON_COLOUR = "#393"
WAIT_COLOUR = "#b33"


def _nice_top(value: float) -> int:
    """A round top for the y axis at or above ``value``: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(int(m * power) for m in (1, 2, 5, 10) if m * power >= value)


def _line_chart(
    *,
    title: str,
    unit: str,
    days: list[date],
    lines: list[tuple[str, str, list[float | None]]],
) -> dict:
    """Lines of values by day (x), about eight days labelled; a day without a value leaves a
    gap."""
    top = _nice_top(max((v for _, _, vs in lines for v in vs if v is not None), default=0))
    return {
        "title": title,
        "unit": unit,
        **line_chart(
            columns=[format_date(day, DAY) for day in days],
            lines=lines,
            top=top,
            y_label=lambda value: f"{value:g}",
            label_every=max(1, math.ceil(len(days) / 8)),
            width=640,
        ),
    }


def human_access_charts(report: HumanAccessReport) -> list[dict]:
    days = report.days
    by_day = report.day_rows()

    def per_day(name: str, scale: float = 1) -> list[float | None]:
        values = []
        for day in days:
            row = by_day.get(day)
            value = getattr(row, name) if row else None
            values.append(None if value is None else round(value / scale, 1))
        return values

    return [
        _line_chart(
            title="Asked for a person, and got one",
            unit="customers",
            days=days,
            lines=[
                ("Asked", ASKED_COLOUR, per_day("asked")),
                ("Got a person", GOT_PERSON_COLOUR, per_day("got_person")),
            ],
        ),
        _line_chart(
            title="Wait for a person, 90th percentile",
            unit="minutes",
            days=days,
            lines=[("p90 wait", WAIT_COLOUR, per_day("wait_p90_seconds", scale=60))],
        ),
    ]
