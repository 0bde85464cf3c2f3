"""The always-a-human report's SVG charts and durations, drawn on the server."""

from datetime import UTC, date, datetime, timedelta

import pytest

from ops.models import DailyHumanAccess
from ops.report import HumanAccessReport
from ops.report_charts import human_access_charts
from ops.templatetags.ops_report import duration

START = date(2026, 11, 1)


def whole_day(day: date, *, asked: int, got_person: int, p90: int | None) -> DailyHumanAccess:
    return DailyHumanAccess(
        day=day,
        language=DailyHumanAccess.ALL_LANGUAGES,
        asked=asked,
        got_person=got_person,
        wait_p90_seconds=p90,
        gave_up=0,
        waiting=asked - got_person,
        offered_other_way=0,
        email_replied=0,
        computed_at=datetime(2026, 11, 4, 12, 0, tzinfo=UTC),
    )


def report(rows) -> HumanAccessReport:
    return HumanAccessReport(
        start=START, end=START + timedelta(days=3), rows=rows, totals=[], today_computed_at=None
    )


def test_a_day_without_a_row_leaves_a_gap_not_a_zero():
    counts, _ = human_access_charts(
        report(
            [
                whole_day(START, asked=4, got_person=3, p90=60),
                whole_day(START + timedelta(days=1), asked=8, got_person=8, p90=120),
                whole_day(START + timedelta(days=3), asked=2, got_person=1, p90=30),
            ]
        )
    )

    asked = counts["lines"][0]
    assert len(asked["polylines"]) == 1
    assert len(asked["polylines"][0].split()) == 2
    assert len(asked["dots"]) == 1  # the fourth day, alone after the gap


def test_the_axis_tops_at_a_round_number_above_the_most():
    counts, wait = human_access_charts(
        report([whole_day(START, asked=13, got_person=9, p90=7 * 60)])
    )

    assert [g["label"] for g in counts["gridlines"]] == ["0", "10", "20"]
    assert [g["label"] for g in wait["gridlines"]] == ["0", "5", "10"]


def test_the_wait_chart_skips_days_nobody_got_a_person():
    _, wait = human_access_charts(report([whole_day(START, asked=3, got_person=0, p90=None)]))

    assert wait["lines"][0]["polylines"] == []
    assert wait["lines"][0]["dots"] == []


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "—"), (0, "0 s"), (59, "59 s"), (65, "1 min 05 s"), (3600 + 12 * 60, "1 h 12 min")],
)
def test_durations_read_as_people_say_them(seconds, shown):
    assert duration(seconds) == shown
