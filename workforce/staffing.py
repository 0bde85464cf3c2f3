"""How many agents each half hour needs: Erlang C staffing and the demand forecast behind it.

Pure functions on numbers and datetimes, no Django, so the shift planner, its tests and the
benchmarks can call them alone. The model is Erlang C (M/M/N with an infinite queue and no
abandonment): it over-staffs a little compared with reality, where some customers give up,
which is the safe side for a service-level promise.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
DAYS_PER_WEEK = 7

# Used until we have handled tickets to measure: a typical chat support conversation with an
# escalated customer lasts about ten minutes including wrap-up.
DEFAULT_HANDLE_TIME_SECONDS = 600.0


def erlang_c(*, traffic_erlangs: float, servers: int) -> float:
    """Probability that an arriving customer has to wait (Erlang C), for N servers and A erlangs.

    Computed from the Erlang B recurrence B(k) = A·B(k-1) / (k + A·B(k-1)), which stays in
    [0, 1] at every step, instead of A^N / N!, which overflows a float past N ≈ 170 and loses
    precision well before that. Then C = N·B / (N - A·(1 - B)).

    With N ≤ A the queue grows without bound and every customer waits, so the answer is 1.
    """
    if traffic_erlangs < 0:
        raise ValueError("traffic_erlangs must be ≥ 0")
    if servers < 0:
        raise ValueError("servers must be ≥ 0")
    if traffic_erlangs == 0:
        return 0.0
    if servers <= traffic_erlangs:
        return 1.0
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = traffic_erlangs * blocking / (k + traffic_erlangs * blocking)
    return servers * blocking / (servers - traffic_erlangs * (1 - blocking))


def _traffic_erlangs(*, arrival_rate_per_hour: float, handle_time_seconds: float) -> float:
    if arrival_rate_per_hour < 0:
        raise ValueError("arrival_rate_per_hour must be ≥ 0")
    if handle_time_seconds <= 0:
        raise ValueError("handle_time_seconds must be > 0")
    return arrival_rate_per_hour * handle_time_seconds / 3600


def service_level(
    *,
    arrival_rate_per_hour: float,
    handle_time_seconds: float,
    servers: int,
    target_seconds: float,
) -> float:
    """Share of customers answered within target_seconds: 1 - C·exp(-(N - A)·t / AHT).

    0 when the servers cannot keep up (N ≤ A); 1 when nobody arrives.
    """
    traffic = _traffic_erlangs(
        arrival_rate_per_hour=arrival_rate_per_hour, handle_time_seconds=handle_time_seconds
    )
    if traffic == 0:
        return 1.0
    if servers <= traffic:
        return 0.0
    waiting = erlang_c(traffic_erlangs=traffic, servers=servers)
    share = 1 - waiting * math.exp(-(servers - traffic) * target_seconds / handle_time_seconds)
    return min(max(share, 0.0), 1.0)


def average_speed_of_answer(
    *,
    arrival_rate_per_hour: float,
    handle_time_seconds: float,
    servers: int,
) -> float:
    """Mean wait in seconds over all customers, C·AHT / (N - A); infinite when N ≤ A."""
    traffic = _traffic_erlangs(
        arrival_rate_per_hour=arrival_rate_per_hour, handle_time_seconds=handle_time_seconds
    )
    if traffic == 0:
        return 0.0
    if servers <= traffic:
        return math.inf
    waiting = erlang_c(traffic_erlangs=traffic, servers=servers)
    return waiting * handle_time_seconds / (servers - traffic)


def agents_required(
    *,
    arrivals_per_interval: float,
    interval_seconds: int = 1800,
    handle_time_seconds: float,
    target_share: float = 0.8,
    target_seconds: float = 60,
    concurrency: int = 1,
    max_occupancy: float | None = None,
) -> int:
    """Fewest agents for `target_share` of customers answered within `target_seconds`.

    Concurrency is approximated by treating each chat slot as an Erlang C server: an agent who
    holds up to `concurrency` chats counts as `concurrency` servers, so we size servers and
    return ceil(servers / concurrency). This is optimistic (real agents slow down when they
    juggle chats), so `handle_time_seconds` should be the handle time measured at that
    concurrency, not the one-chat-at-a-time figure.

    `max_occupancy` (e.g. 0.85) additionally keeps A / servers at or below that share, because
    agents kept busier than that for long burn out even when the service level is met.
    """
    if arrivals_per_interval < 0:
        raise ValueError("arrivals_per_interval must be ≥ 0")
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be > 0")
    if not 0 < target_share < 1:
        raise ValueError("target_share must be between 0 and 1 (exclusive)")
    if target_seconds < 0:
        raise ValueError("target_seconds must be ≥ 0")
    if concurrency < 1:
        raise ValueError("concurrency must be ≥ 1")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be in (0, 1]")
    if arrivals_per_interval == 0:
        return 0

    arrival_rate_per_hour = arrivals_per_interval * 3600 / interval_seconds
    traffic = _traffic_erlangs(
        arrival_rate_per_hour=arrival_rate_per_hour, handle_time_seconds=handle_time_seconds
    )
    servers = math.floor(traffic) + 1  # the first N with N > A
    if max_occupancy is not None:
        servers = max(servers, math.ceil(traffic / max_occupancy))
    # Service level rises with N and reaches any target below 1 within a few √A of A, so a
    # linear walk is short (tens of steps even for thousands of erlangs).
    while (
        service_level(
            arrival_rate_per_hour=arrival_rate_per_hour,
            handle_time_seconds=handle_time_seconds,
            servers=servers,
            target_seconds=target_seconds,
        )
        < target_share
    ):
        servers += 1
    return math.ceil(servers / concurrency)


def forecast_arrivals(
    *,
    escalation_times: Sequence[datetime],
    weeks: int,
    now: datetime,
) -> dict[tuple[int, int], float]:
    """Mean escalations per half hour, keyed by (weekday 0=Monday…6, half-hour index 0…47).

    Counts the escalations in [now - weeks·7 days, now), in UTC, and divides each bucket by
    `weeks`: that window holds every (weekday, half hour) exactly `weeks` times. All 336 keys
    are present, quiet ones with 0.0, so callers can staff every slot without a lookup miss.
    """
    if weeks < 1:
        raise ValueError("weeks must be ≥ 1")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now_utc = now.astimezone(UTC)
    since = now_utc - timedelta(weeks=weeks)
    counts: Counter[tuple[int, int]] = Counter()
    for moment in escalation_times:
        if moment.tzinfo is None:
            raise ValueError("escalation times must be timezone-aware")
        moment_utc = moment.astimezone(UTC)
        if since <= moment_utc < now_utc:
            half_hour = (moment_utc.hour * 60 + moment_utc.minute) // SLOT_MINUTES
            counts[(moment_utc.weekday(), half_hour)] += 1
    return {
        (weekday, half_hour): counts[(weekday, half_hour)] / weeks
        for weekday in range(DAYS_PER_WEEK)
        for half_hour in range(SLOTS_PER_DAY)
    }


def average_handle_time(
    *,
    durations_seconds: Iterable[float],
    default_seconds: float = DEFAULT_HANDLE_TIME_SECONDS,
) -> float:
    """Mean handle time in seconds; `default_seconds` when there is nothing to measure yet.

    Non-positive durations (clock skew, tickets closed unhandled) are ignored rather than
    dragging the mean towards zero, which would under-staff.
    """
    valid = [float(seconds) for seconds in durations_seconds if seconds > 0]
    if not valid:
        return default_seconds
    return math.fsum(valid) / len(valid)
