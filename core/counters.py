"""Counters in a time window for the throttles, in the shared cache, and in this process
when the shared cache cannot be reached.

The login throttle and the conversation limit count in the default cache (Redis in
production), so every process of the site shares one count. Django's Redis cache raises
when Redis is down, which used to turn a login into a 500. Failing open instead (no limit
while Redis is down) would hand a brute force a window it can provoke; failing closed
would lock every honest agent out. A counter in this process is the middle way: while
Redis is down each process still limits what it sees, so a burst of guesses is held to
the limit times the number of processes, and honest people keep logging in. A warning is
logged, at most once a minute per process, so an operator learns of it. After a failure the
shared cache is tried again only after a few seconds, so a Redis that hangs rather than
refuses does not add its timeout to every login.

The window starts with the first count (``add`` with a timeout) and is not extended by
later ones. ``add`` then ``incr`` is atomic enough on both stores: ``add`` creates the key
only if it is absent and ``incr`` is one atomic step, so concurrent callers each get a
different count. The process-local store is a ``LocMemCache`` (thread-safe) sized well
beyond the default 300 keys so that a flood of new keys does not evict live counts.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache

from core.outages import CACHE_OUTAGES

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What a cache raises when it cannot be reached: Django's Redis cache lets redis-py's
# errors through; other backends raise the builtins.
CACHE_UNREACHABLE = (*CACHE_OUTAGES, ConnectionError, TimeoutError)

local = LocMemCache("core.counters.local", {"OPTIONS": {"MAX_ENTRIES": 100_000}})

# A Redis that does not answer costs socket_connect_timeout (1 s) per call, and a login
# makes four: after a failure the shared cache is left alone this long, then tried again.
RETRY_SHARED_AFTER_SECONDS = 5
WARN_EVERY_SECONDS = 60

_shared_down_until = float("-inf")
_last_warned = float("-inf")


def _shared_failed(error: Exception) -> None:
    global _shared_down_until, _last_warned
    now = time.monotonic()
    _shared_down_until = now + RETRY_SHARED_AFTER_SECONDS
    if now - _last_warned >= WARN_EVERY_SECONDS:
        _last_warned = now
        logger.warning(
            "The shared cache is unreachable (%s); throttles count in this process only.",
            error,
        )


def _in_shared_or_local(operation: Callable[[BaseCache], T]) -> T:
    if time.monotonic() >= _shared_down_until:
        try:
            return operation(cache)
        except CACHE_UNREACHABLE as error:
            _shared_failed(error)
    return operation(local)


def _increment_in(store: BaseCache, key: str, window_seconds: int) -> int:
    store.add(key, 0, timeout=window_seconds)
    try:
        count = store.incr(key)
    except ValueError:  # expired between add and incr
        store.add(key, 1, timeout=window_seconds)
        return 1
    if count == 1:
        # The first count opens the window. Redis's INCR recreates a key that expired
        # between Django's existence check and the increment, without a timeout; this puts
        # one back so a counter never outlives its window.
        store.touch(key, timeout=window_seconds)
    return count


def _decrement_in(store: BaseCache, key: str) -> None:
    with contextlib.suppress(ValueError):  # the window has ended: nothing to take back
        store.decr(key)


def increment(key: str, *, window_seconds: int) -> int:
    """Add one to ``key`` and return the count, the window starting with the first count."""
    return _in_shared_or_local(lambda store: _increment_in(store, key, window_seconds))


def decrement(key: str) -> None:
    """Take back one count (a reservation released); nothing if the window has ended."""
    _in_shared_or_local(lambda store: _decrement_in(store, key))


def reset(key: str) -> None:
    """Forget ``key``'s count, wherever it was kept."""
    local.delete(key)
    _in_shared_or_local(lambda store: store.delete(key))


def forget() -> None:
    """Drop the local counts and the memory of an outage (tests start from nothing)."""
    global _shared_down_until, _last_warned
    local.clear()
    _shared_down_until = _last_warned = float("-inf")
