"""HTTP answers while PostgreSQL or Redis is unreachable: 503 with Retry-After, not a 500.

A 503 tells clients, load balancers and Stripe that the request may be tried again, and
keeps outages apart from bugs in the logs. DRF views re-raise exceptions that are not API
errors, so they reach ``process_exception`` here like any Django view.
"""

from __future__ import annotations

import logging
import sys

from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from core.outages import CACHE_OUTAGES, DATABASE_OUTAGES

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

DETAIL = "The service is briefly unavailable. Try again in a few seconds."

# Plain HTML, not a template: base.html reads the user, which needs the database that may
# be what just failed.
PAGE = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Briefly unavailable · Humanline</title></head>
<body>
<h1>Briefly unavailable</h1>
<p>{DETAIL}</p>
</body>
</html>
"""


def _wants_json(request: HttpRequest) -> bool:
    return (
        request.path.startswith("/api/")
        or request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
    )


class OutageMiddleware:
    """Turns a lost database or cache into 503 + Retry-After; listed last in MIDDLEWARE so
    it sees the view's exception first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return outage_response(request, exception)


def outage_response(request: HttpRequest, exception: BaseException | None) -> HttpResponse | None:
    """The 503 for an outage of the database or the cache; None for any other exception."""
    if isinstance(exception, DATABASE_OUTAGES):
        # A connection the server dropped stays broken; closing it now (a pooled one goes
        # back to the pool, which discards it) gives the next request a fresh one.
        for connection in connections.all(initialized_only=True):
            connection.close_if_unusable_or_obsolete()
    elif not isinstance(exception, CACHE_OUTAGES):
        return None
    logger.warning("answered 503 to %s %s", request.method, request.path, exc_info=exception)
    if _wants_json(request):
        response = JsonResponse({"detail": DETAIL, "code": "unavailable"}, status=503)
    else:
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage raised where the middleware cannot see it (a session saved on
    the way out, another middleware) is still a 503; anything else is the usual 500."""
    return outage_response(request, sys.exc_info()[1]) or defaults.server_error(request)
