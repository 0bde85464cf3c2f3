"""The cockpit's pages (docs/ops.md): thin, staff only (ops.access.staff_required)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops.access import staff_required
from ops.alerts import alerts_from
from ops.charts import day_staffing_chart
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
