"""Views that log, for tests/foundation/test_logging.py: one sync, one async."""

import logging

from django.http import HttpResponse
from django.urls import path

logger = logging.getLogger("tests.foundation.logging_views")


def sync_view(request):
    logger.info("sync view ran")
    return HttpResponse("ok")


async def async_view(request):
    logger.info("async view ran")
    return HttpResponse("ok")


urlpatterns = [
    path("sync/", sync_view),
    path("async/", async_view),
]
