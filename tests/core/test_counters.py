"""The throttles' counters (core.counters): in the shared cache, and in this process while
the shared cache cannot be reached."""

import logging
import threading
import time

import pytest
from django.core.cache import cache

from core import counters


def test_each_increment_returns_the_next_count():
    counts = [counters.increment("k", window_seconds=60) for _ in range(3)]

    assert counts == [1, 2, 3]


def test_the_count_lives_in_the_shared_cache():
    counters.increment("k", window_seconds=60)

    assert cache.get("k") == 1


def test_a_decrement_takes_one_count_back():
    counters.increment("k", window_seconds=60)
    counters.increment("k", window_seconds=60)

    counters.decrement("k")

    assert counters.increment("k", window_seconds=60) == 2


def test_a_decrement_of_an_ended_window_does_nothing():
    counters.decrement("never-counted")

    assert counters.increment("never-counted", window_seconds=60) == 1


def test_a_reset_starts_the_count_again():
    counters.increment("k", window_seconds=60)
    counters.increment("k", window_seconds=60)

    counters.reset("k")

    assert counters.increment("k", window_seconds=60) == 1


def test_the_window_ends_and_the_count_starts_again():
    counters.increment("k", window_seconds=60)
    cache.delete("k")  # what the window's timeout does

    assert counters.increment("k", window_seconds=60) == 1


def test_with_the_shared_cache_unreachable_the_count_goes_on_in_this_process(cache_unreachable):
    counts = [counters.increment("k", window_seconds=60) for _ in range(3)]
    counters.decrement("k")
    after_decrement = counters.increment("k", window_seconds=60)
    counters.reset("k")

    assert counts == [1, 2, 3]
    assert after_decrement == 3
    assert counters.increment("k", window_seconds=60) == 1


def test_the_fallback_is_logged_as_a_warning(cache_unreachable, caplog, monkeypatch):
    monkeypatch.setattr(counters, "RETRY_SHARED_AFTER_SECONDS", 0)  # every call tries Redis

    with caplog.at_level(logging.WARNING, logger="core.counters"):
        counters.increment("k", window_seconds=60)
        counters.increment("k", window_seconds=60)

    warnings = [r for r in caplog.records if r.name == "core.counters"]
    assert len(warnings) == 1  # at most one a minute, not one per request
    assert "throttles count in this process only" in warnings[0].getMessage()


class NoCache:
    def __getattr__(self, name):
        raise AssertionError(f"the shared cache was asked ({name})")


def test_after_a_failure_the_shared_cache_is_left_alone_for_a_few_seconds(
    cache_unreachable, monkeypatch
):
    counters.increment("k", window_seconds=60)
    monkeypatch.setattr(counters, "cache", NoCache())

    count = counters.increment("k", window_seconds=60)

    assert count == 2


def test_after_the_pause_the_shared_cache_is_tried_again(cache_unreachable, monkeypatch):
    counters.increment("k", window_seconds=60)
    assert counters._shared_down_until > time.monotonic()
    monkeypatch.setattr(counters, "_shared_down_until", time.monotonic())  # the pause is over
    asked = []
    monkeypatch.setattr(counters, "_increment_in", lambda store, *_: asked.append(store) or 1)

    counters.increment("k", window_seconds=60)

    assert asked == [cache]


@pytest.mark.parametrize("shared_cache", ["reachable", "unreachable"])
def test_concurrent_increments_each_get_a_different_count(request, shared_cache):
    if shared_cache == "unreachable":
        request.getfixturevalue("cache_unreachable")
    threads_count = 40
    start = threading.Barrier(threads_count)
    counts: list[int] = []

    def count() -> None:
        start.wait(timeout=10)
        counts.append(counters.increment("k", window_seconds=60))

    threads = [threading.Thread(target=count) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(counts) == list(range(1, threads_count + 1))
