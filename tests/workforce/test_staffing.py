"""Erlang C staffing against published call-centre examples and an exact reference."""

import math
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from workforce.staffing import (
    DEFAULT_HANDLE_TIME_SECONDS,
    agents_required,
    average_handle_time,
    average_speed_of_answer,
    erlang_c,
    forecast_arrivals,
    service_level,
)


def textbook_erlang_c(traffic: Fraction, servers: int) -> float:
    """The factorial formula in exact rational arithmetic: slow, but an independent check."""
    below = sum(traffic**k / math.factorial(k) for k in range(servers))
    top = traffic**servers / math.factorial(servers) * servers / (servers - traffic)
    return float(top / (below + top))


# Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example": 100 calls
# in 30 minutes, 180 s handle time (A = 10 erlangs), target 80 % answered in 20 s. The article
# tabulates the probability of waiting for 11…14 agents; the same figures are reproduced by
# textbook_erlang_c above (rounded to 4 places).
CALL_CENTRE_HELPER_WAIT = [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741)]


@pytest.mark.parametrize(("servers", "published"), CALL_CENTRE_HELPER_WAIT)
def test_probability_of_waiting_matches_the_published_table(servers, published):
    assert erlang_c(traffic_erlangs=10, servers=servers) == pytest.approx(published, abs=5e-5)


@pytest.mark.parametrize("servers", [11, 12, 13, 14])
def test_probability_of_waiting_matches_the_exact_formula_for_the_published_case(servers):
    assert erlang_c(traffic_erlangs=10, servers=servers) == pytest.approx(
        textbook_erlang_c(Fraction(10), servers), rel=1e-12
    )


@pytest.mark.parametrize(
    ("traffic", "servers"),
    [(Fraction(1, 2), 1), (Fraction(3, 2), 2), (Fraction(48), 55), (Fraction(229, 10), 28)]
    + [(Fraction(97, 4), n) for n in (25, 30, 40)]
    + [(Fraction(150), n) for n in (151, 160, 175)],
)
def test_the_recurrence_agrees_with_the_factorial_formula(traffic, servers):
    assert erlang_c(traffic_erlangs=float(traffic), servers=servers) == pytest.approx(
        textbook_erlang_c(traffic, servers), rel=1e-9
    )


def test_a_single_server_waits_with_probability_equal_to_its_load():
    # M/M/1: the probability of waiting is the utilisation ρ = A.
    assert erlang_c(traffic_erlangs=0.7, servers=1) == pytest.approx(0.7)


def test_it_stays_finite_where_factorials_overflow():
    # 1000 erlangs: 1000**1040 / 1040! overflows a float; the recurrence does not.
    waiting = erlang_c(traffic_erlangs=1000, servers=1040)
    assert 0 < waiting < 1
    assert math.isfinite(waiting)


def test_everyone_waits_when_servers_cannot_keep_up():
    assert erlang_c(traffic_erlangs=10, servers=10) == 1.0
    assert erlang_c(traffic_erlangs=10, servers=3) == 1.0
    assert service_level(
        arrival_rate_per_hour=200, handle_time_seconds=180, servers=10, target_seconds=20
    ) == pytest.approx(0.0)
    assert (
        average_speed_of_answer(arrival_rate_per_hour=200, handle_time_seconds=180, servers=10)
        == math.inf
    )


def test_nobody_waits_without_traffic():
    assert erlang_c(traffic_erlangs=0, servers=0) == 0.0
    assert service_level(
        arrival_rate_per_hour=0, handle_time_seconds=180, servers=0, target_seconds=20
    ) == pytest.approx(1.0)


def test_service_level_follows_the_published_worked_example():
    # Same Call Centre Helper case: 200 calls/hour, 180 s, 13 agents, 20 s target.
    # 1 - 0.2853 · exp(-(13 - 10) · 20 / 180) = 0.7956 (so 13 agents just miss 80/20).
    level = service_level(
        arrival_rate_per_hour=200, handle_time_seconds=180, servers=13, target_seconds=20
    )
    assert level == pytest.approx(1 - 0.28526 * math.exp(-3 * 20 / 180), abs=1e-4)
    assert level == pytest.approx(0.7956, abs=1e-4)


def test_average_speed_of_answer_follows_the_published_worked_example():
    # ASA = C · AHT / (N - A) = 0.2853 · 180 / 3 ≈ 17.1 s for 13 agents.
    asa = average_speed_of_answer(arrival_rate_per_hour=200, handle_time_seconds=180, servers=13)
    assert asa == pytest.approx(17.12, abs=0.01)


def test_it_needs_fourteen_agents_for_the_call_centre_helper_example():
    # 13 agents give 79.6 %, 14 give 88.8 %: the article's raw requirement is 14 agents.
    assert (
        agents_required(
            arrivals_per_interval=100,
            interval_seconds=1800,
            handle_time_seconds=180,
            target_share=0.8,
            target_seconds=20,
        )
        == 14
    )


def test_it_needs_twenty_eight_agents_for_the_average_hour_example():
    # jonesthenet.com, "Erlang uplift": 250 calls in the average hour, AHT 330 s, 80 % in 30 s;
    # "Erlang … thinks we need 28 advisors" against the accountant's 22.9 erlangs.
    needed = agents_required(
        arrivals_per_interval=250,
        interval_seconds=3600,
        handle_time_seconds=330,
        target_share=0.8,
        target_seconds=30,
    )
    assert needed == 28


def test_the_answer_is_the_smallest_that_meets_the_target():
    for arrivals in (1, 7, 33, 120, 480):
        needed = agents_required(
            arrivals_per_interval=arrivals, handle_time_seconds=420, target_seconds=60
        )

        def level(servers, arrivals=arrivals):
            return service_level(
                arrival_rate_per_hour=arrivals * 2,
                handle_time_seconds=420,
                servers=servers,
                target_seconds=60,
            )

        assert level(needed) >= 0.8
        assert level(needed - 1) < 0.8


def test_zero_arrivals_need_zero_agents():
    assert agents_required(arrivals_per_interval=0, handle_time_seconds=600) == 0


def test_a_trickle_still_needs_one_agent():
    assert agents_required(arrivals_per_interval=0.2, handle_time_seconds=600) == 1


def test_concurrency_divides_chat_slots_between_agents():
    one_at_a_time = agents_required(
        arrivals_per_interval=100, handle_time_seconds=180, target_seconds=20
    )
    three_at_a_time = agents_required(
        arrivals_per_interval=100, handle_time_seconds=180, target_seconds=20, concurrency=3
    )
    assert one_at_a_time == 14
    assert three_at_a_time == math.ceil(14 / 3)


def test_max_occupancy_can_add_agents_beyond_the_service_level():
    # A = 10 erlangs: 80/20 needs 14 agents (71 % busy); a 65 % occupancy cap needs 16.
    assert (
        agents_required(
            arrivals_per_interval=100,
            handle_time_seconds=180,
            target_seconds=20,
            max_occupancy=0.65,
        )
        == 16
    )
    # A cap that the service level already satisfies changes nothing.
    assert (
        agents_required(
            arrivals_per_interval=100,
            handle_time_seconds=180,
            target_seconds=20,
            max_occupancy=0.85,
        )
        == 14
    )


def test_it_rejects_nonsense_inputs():
    with pytest.raises(ValueError, match="target_share"):
        agents_required(arrivals_per_interval=10, handle_time_seconds=180, target_share=1)
    with pytest.raises(ValueError, match="handle_time_seconds"):
        agents_required(arrivals_per_interval=10, handle_time_seconds=0)
    with pytest.raises(ValueError, match="concurrency"):
        agents_required(arrivals_per_interval=10, handle_time_seconds=180, concurrency=0)


NOW = datetime(2025, 3, 17, 9, 0, tzinfo=UTC)  # a Monday


def test_forecast_averages_each_half_hour_over_the_weeks():
    # Monday 10:00-10:30 had 3 escalations last week and 1 the week before: mean 2 per week.
    monday_10am = datetime(2025, 3, 10, 10, 10, tzinfo=UTC)
    times = [monday_10am, monday_10am + timedelta(minutes=5), monday_10am + timedelta(minutes=19)]
    times.append(monday_10am - timedelta(weeks=1))
    # Wednesday 23:45 last week, a single one.
    times.append(datetime(2025, 3, 12, 23, 45, tzinfo=UTC))

    forecast = forecast_arrivals(escalation_times=times, weeks=2, now=NOW)

    assert len(forecast) == 7 * 48
    assert forecast[(0, 20)] == pytest.approx(2.0)
    assert forecast[(2, 47)] == pytest.approx(0.5)
    assert sum(forecast.values()) == pytest.approx(2.5)


def test_forecast_ignores_escalations_outside_the_window():
    times = [
        NOW,  # the window is half-open: "now" belongs to the next forecast
        NOW + timedelta(hours=1),
        NOW - timedelta(weeks=2, seconds=1),
        NOW - timedelta(weeks=2),  # the oldest instant inside the window
    ]
    forecast = forecast_arrivals(escalation_times=times, weeks=2, now=NOW)
    assert sum(forecast.values()) == pytest.approx(0.5)
    assert forecast[(0, 18)] == pytest.approx(0.5)


def test_forecast_buckets_in_utc():
    # 03:00 on Friday at UTC+2 is 01:00 UTC.
    moment = datetime(2025, 3, 14, 3, 0, tzinfo=timezone(timedelta(hours=2)))
    forecast = forecast_arrivals(escalation_times=[moment], weeks=1, now=NOW)
    assert forecast[(4, 2)] == pytest.approx(1.0)  # Friday 01:00-01:30 UTC


def test_forecast_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        forecast_arrivals(
            escalation_times=[datetime(2025, 3, 14, 1, 0)],  # noqa: DTZ001 - the point of the test
            weeks=1,
            now=NOW,
        )


def test_average_handle_time_is_the_mean_of_real_durations():
    assert average_handle_time(durations_seconds=[300, 600, 900]) == pytest.approx(600)
    assert average_handle_time(durations_seconds=[300, 0, -5, 500]) == pytest.approx(400)


def test_average_handle_time_falls_back_to_a_default_without_data():
    assert average_handle_time(durations_seconds=[]) == DEFAULT_HANDLE_TIME_SECONDS
    assert average_handle_time(durations_seconds=[], default_seconds=240) == 240
