"""Charts of quality rates by week, drawn as SVG on the server (no script, no build step), for
the admin's metrics page and the portal's trend."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext

from core.charts import line_chart
from core.dates import DAY, format_date
from quality.metrics import RATES, QualityReport, Series, agent_quality_trend, week_starts

# One colour per line, in order; the overall line is drawn in black.
COLOURS = ["#b33", "#36c", "#393", "#c80", "#739"]
OVERALL_COLOUR = "#222"


def rate_chart(
    *,
    title: str,
    week_starts: list[date],
    lines: list[tuple[str, list[int | None]]],
    colours: list[str] | None = None,
    width: int = 480,
    height: int = 160,
) -> dict:
    """A chart of percentages (0–100, y) by week (x), every other week labelled, ending with
    this one. A week without data leaves a gap rather than a fall to zero."""
    colours = colours or COLOURS
    return {
        "title": title,
        **line_chart(
            columns=[format_date(start, DAY) for start in week_starts],
            lines=[
                (label, colours[n % len(colours)], values)
                for n, (label, values) in enumerate(lines)
            ],
            top=100,
            y_label=lambda pct: f"{pct:g}%",
            label_every=2,
            width=width,
            height=height,
        ),
    }


def metric_charts(report: QualityReport) -> list[dict]:
    """One chart per rate: all agents, and each tier."""
    charts = []
    for name, title in RATES:
        lines = [(report.overall.label, report.overall.rate(name))]
        lines += [(series.label, series.rate(name)) for series in report.by_tier]
        charts.append(
            rate_chart(
                title=title,
                week_starts=report.week_starts,
                lines=lines,
                colours=[OVERALL_COLOUR, *COLOURS],
            )
        )
    return charts


def series_chart(series: Series, *, week_starts: list[date]) -> dict:
    """One group's four rates in one chart (a topic or an agent picked on the metrics page)."""
    return rate_chart(
        title=gettext("%(group)s: the four rates by week") % {"group": series.label},
        week_starts=week_starts,
        lines=[(title, series.rate(name)) for name, title in RATES],
    )


def agent_trend_chart(trend: Series) -> dict:
    """The agent's four rates in one small chart (templates/portal/_quality_trend.html)."""
    return rate_chart(
        title=gettext("Your quality by week"),
        week_starts=week_starts(weeks=len(trend.weeks)),
        lines=[(title, trend.rate(name)) for name, title in RATES],
        width=360,
        height=120,
    )


def agent_quality_trend_context(*, agent_id: int) -> dict:
    """What templates/portal/_quality_trend.html needs, as ``quality_trend``: the agent's
    weekly rates (quality.metrics.agent_quality_trend) and their chart."""
    trend = agent_quality_trend(agent_id=agent_id)
    return {
        "series": trend,
        "chart": agent_trend_chart(trend),
        "has_data": trend.total.resolves or trend.total.rated or trend.total.reviews,
    }
