"""The cockpit's pages (docs/ops.md): thin, staff only (ops.access.staff_required): the live
view, and the always-a-human report as a page or CSV."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops import history, report_charts
from ops import report as report_selectors
from ops.access import staff_required
from ops.alerts import alerts_from
from ops.charts import day_staffing_chart
from ops.forms import ReportRangeForm, default_range
from ops.models import DailyHumanAccess
from ops.selectors import HOUR, live_snapshot

# How often the page asks for fresh figures, in milliseconds (static/ops/live.js reads it).
POLL_MILLISECONDS = 2000


def _context() -> dict:
    snapshot = live_snapshot()
    return {
        "snapshot": snapshot,
        "alerts": alerts_from(snapshot),
        "chart": day_staffing_chart(
            half_hours=snapshot.staffing, online_now=snapshot.agents.online, now=snapshot.now
        ),
        # For the admin links' date filters: the day's start and the hour's.
        "day_start": snapshot.day_start.isoformat(),
        "hour_ago": (snapshot.now - HOUR).isoformat(),
    }


@require_GET
@never_cache
@staff_required
def live(request: HttpRequest) -> HttpResponse:
    return render(request, "ops/live.html", {**_context(), "poll_ms": POLL_MILLISECONDS})


@require_GET
@never_cache
@staff_required
def live_fragment(request: HttpRequest) -> HttpResponse:
    """The figures alone, which the page's script swaps in every POLL_MILLISECONDS."""
    return render(request, "ops/_live.html", _context())


CSV_COLUMNS = [
    "day",
    "language",
    "asked",
    "got_person",
    "wait_median_seconds",
    "wait_p90_seconds",
    "wait_max_seconds",
    "gave_up",
    "gave_up_after_median_seconds",
    "gave_up_after_max_seconds",
    "waiting",
    "offered_other_way",
    "email_replied",
    "computed_at",
]
# How the whole day's row is named in the CSV and on the page.
ALL_LANGUAGES_LABEL = "all"


def _csv_cell(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    # A spreadsheet runs a cell starting so as a formula; the language comes from customers.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _csv_response(report: report_selectors.HumanAccessReport) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="always-a-human_{report.start:%Y-%m-%d}_{report.end:%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        values = {name: getattr(row, name) for name in CSV_COLUMNS}
        values["language"] = row.language or ALL_LANGUAGES_LABEL
        writer.writerow([_csv_cell(values[name]) for name in CSV_COLUMNS])
    return response


@require_GET
@never_cache
@staff_required
def always_a_human(request: HttpRequest) -> HttpResponse:
    """The always-a-human report (docs/ops.md): a range of days, as a page or CSV."""
    today = history.report_today(timezone.now())
    if "start" in request.GET or "end" in request.GET:
        form = ReportRangeForm(request.GET, today=today)
    else:
        start, end = default_range(today)
        form = ReportRangeForm({"start": start, "end": end}, today=today)
    if not form.is_valid():
        return render(request, "ops/always_a_human.html", {"form": form}, status=400)
    report = report_selectors.human_access_report(
        start=form.cleaned_data["start"], end=form.cleaned_data["end"], today=today
    )
    if request.GET.get("format") == "csv":
        return _csv_response(report)
    csv_query = urlencode(
        {"start": report.start.isoformat(), "end": report.end.isoformat(), "format": "csv"}
    )
    return render(
        request,
        "ops/always_a_human.html",
        {
            "form": form,
            "report": report,
            "charts": report_charts.human_access_charts(report),
            "today": today,
            "today_in_range": report.start <= today <= report.end,
            "csv_query": csv_query,
            "all_languages": DailyHumanAccess.ALL_LANGUAGES,
            "time_zone": settings.OPS_REPORT_TIME_ZONE,
        },
    )
