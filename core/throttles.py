"""A DRF throttle per client address that a forged header cannot dodge and a Redis outage
cannot turn into a 500.

DRF's own ``AnonRateThrottle`` keys on ``X-Forwarded-For`` whenever it is present (its
``get_ident`` believes the client), keeps a list of timestamps that concurrent requests
read and write over each other, and lets the cache's errors through. This one keys on
``core.client_address`` (``X-Forwarded-For`` only from ``TRUSTED_PROXIES``) and counts with
``core.counters`` (one atomic increment, a process-local count while the cache is down).
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from core import counters
from core.client_address import address_block, client_address

_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate notation, ``"30/minute"``: (requests, seconds)."""
    number, period = rate.split("/")
    return int(number), _PERIOD_SECONDS[period[0]]


class AddressRateThrottle(BaseThrottle):
    """At most the scope's rate (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]``) per
    client address, in a window that starts with the address's first request."""

    scope: str = ""

    def allow_request(self, request, view) -> bool:
        # Read per request, not at import, so an operator's or a test's setting applies.
        limit, self.window_seconds = parse_rate(api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        key = f"throttle:{self.scope}:{address_block(client_address(request))}"
        return counters.increment(key, window_seconds=self.window_seconds) <= limit

    def wait(self) -> float:
        # The window's start is not stored, so its whole length: never too early a retry.
        return float(self.window_seconds)
