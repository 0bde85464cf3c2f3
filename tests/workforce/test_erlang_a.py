"""Erlang A against Erlang C, an exact published identity and an independent exact solution."""

import math

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.stats import poisson

from workforce import staffing
from workforce.erlang_a import agents_required, erlang_a


def exact_truncated_chain(*, lam, mu, theta, servers, target, capacity=400):
    """Wait, abandonment and service level by plain linear algebra on the truncated chain.

    Independent of the module's method: the stationary distribution solves πQ = 0 with a
    dense solver, and a tagged customer's progress through the queue is a small absorbing
    chain whose transient probabilities come from a matrix exponential.
    """
    size = capacity + 1
    generator = np.zeros((size, size))
    for k in range(size):
        if k < capacity:
            generator[k, k + 1] = lam
        if k > 0:
            generator[k, k - 1] = min(k, servers) * mu + max(k - servers, 0) * theta
        generator[k, k] = -generator[k].sum()
    equations = np.vstack([generator.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1
    pi = np.linalg.lstsq(equations, rhs, rcond=None)[0]
    wait = pi[servers:].sum()
    abandon = theta * sum((k - servers) * pi[k] for k in range(servers, size)) / lam

    stages = capacity - servers + 1  # j customers ahead, then served, then gone
    served, gone = stages, stages + 1
    tagged = np.zeros((stages + 2, stages + 2))
    for ahead in range(stages):
        forward = servers * mu + ahead * theta
        tagged[ahead, ahead - 1 if ahead else served] += forward
        tagged[ahead, gone] += theta
        tagged[ahead, ahead] = -(forward + theta)
    by_target = expm(tagged * target)
    level = pi[:servers].sum() + sum(pi[servers + j] * by_target[j, served] for j in range(stages))
    return wait, abandon, level


@pytest.mark.parametrize("servers", [11, 12, 13, 14])
def test_with_patience_near_infinite_it_reproduces_erlang_c(servers):
    # The Call Centre Helper case of test_staffing: 200 an hour, 180 s, so 10 erlangs.
    result = erlang_a(
        arrival_rate_per_hour=200,
        handle_time_seconds=180,
        patience_seconds=1e12,
        servers=servers,
        target_seconds=20,
    )
    assert result.wait_probability == pytest.approx(
        staffing.erlang_c(traffic_erlangs=10, servers=servers), abs=1e-6
    )
    assert result.service_level == pytest.approx(
        staffing.service_level(
            arrival_rate_per_hour=200, handle_time_seconds=180, servers=servers, target_seconds=20
        ),
        abs=1e-6,
    )
    assert result.average_speed_of_answer == pytest.approx(
        staffing.average_speed_of_answer(
            arrival_rate_per_hour=200, handle_time_seconds=180, servers=servers
        ),
        rel=1e-6,
    )
    assert result.abandon_probability < 1e-6


def test_without_patience_it_is_erlang_c_exactly():
    result = erlang_a(
        arrival_rate_per_hour=200,
        handle_time_seconds=180,
        patience_seconds=None,
        servers=12,
        target_seconds=20,
    )
    assert result.wait_probability == pytest.approx(0.4494, abs=5e-5)  # the published table
    assert result.abandon_probability == 0


@pytest.mark.parametrize(("offered", "servers"), [(4.0, 3), (10.0, 8), (10.0, 12), (50.0, 45)])
def test_when_patience_equals_handle_time_the_wait_is_a_poisson_tail(offered, servers):
    # With θ = μ every customer leaves at rate μ whether served or waiting: the number in
    # the system is that of M/M/∞, Poisson(λ/μ), so P(wait) = P(N ≥ n) exactly.
    result = erlang_a(
        arrival_rate_per_hour=offered * 3600 / 600,
        handle_time_seconds=600,
        patience_seconds=600,
        servers=servers,
        target_seconds=30,
    )
    assert result.wait_probability == pytest.approx(poisson.sf(servers - 1, offered), rel=1e-9)


# Erlang B, from the standard blocking tables (e.g. 10 erlangs on 10 lines: 0.2146).
ERLANG_B_TABLE = [(10, 10, 0.2146), (2, 5, 0.0367), (20, 25, 0.0502)]


@pytest.mark.parametrize(("offered", "servers", "blocking"), ERLANG_B_TABLE)
def test_when_nobody_waits_at_all_abandonment_is_the_erlang_b_blocking(offered, servers, blocking):
    # θ → ∞: a customer who finds every agent busy leaves at once, as on a lost call.
    result = erlang_a(
        arrival_rate_per_hour=offered * 3600 / 600,
        handle_time_seconds=600,
        patience_seconds=1e-6,
        servers=servers,
        target_seconds=20,
    )
    assert result.abandon_probability == pytest.approx(blocking, abs=5e-5)
    assert result.service_level == pytest.approx(1 - blocking, abs=5e-5)


CASES = [
    # arrivals per hour, handle time s, mean patience s, agents, target s
    (200, 180, 120, 10, 20),
    (100, 600, 180, 15, 60),
    (50, 300, 30, 4, 30),
    (360, 600, 300, 55, 60),
    (30, 600, 180, 2, 60),
]


@pytest.mark.parametrize(("per_hour", "handle", "patience", "servers", "target"), CASES)
def test_it_matches_an_exact_solution_of_the_truncated_chain(
    per_hour, handle, patience, servers, target
):
    result = erlang_a(
        arrival_rate_per_hour=per_hour,
        handle_time_seconds=handle,
        patience_seconds=patience,
        servers=servers,
        target_seconds=target,
    )
    wait, abandon, level = exact_truncated_chain(
        lam=per_hour / 3600, mu=1 / handle, theta=1 / patience, servers=servers, target=target
    )
    assert result.wait_probability == pytest.approx(wait, rel=0.01)
    assert result.abandon_probability == pytest.approx(abandon, rel=0.01)
    assert result.service_level == pytest.approx(level, rel=0.01)


def test_abandonment_is_the_patience_rate_times_the_mean_wait():
    result = erlang_a(
        arrival_rate_per_hour=100,
        handle_time_seconds=600,
        patience_seconds=180,
        servers=14,
        target_seconds=60,
    )
    assert result.abandon_probability == pytest.approx(result.average_speed_of_answer / 180)


def test_fewer_agents_than_erlangs_is_stable_when_customers_give_up():
    result = erlang_a(
        arrival_rate_per_hour=200,
        handle_time_seconds=180,
        patience_seconds=60,
        servers=8,
        target_seconds=20,
    )
    assert 0 < result.abandon_probability < 1
    assert math.isfinite(result.average_speed_of_answer)


def test_hundreds_of_agents_do_not_overflow():
    result = erlang_a(
        arrival_rate_per_hour=6000,
        handle_time_seconds=600,
        patience_seconds=180,
        servers=1000,
        target_seconds=60,
    )
    # 1,000 erlangs on 1,000 agents: large pools answer nearly everyone quickly.
    assert 0.95 < result.service_level < 1
    assert 0 < result.abandon_probability < 0.05


def test_nobody_arriving_needs_nobody_and_everyone_is_answered():
    result = erlang_a(
        arrival_rate_per_hour=0,
        handle_time_seconds=600,
        patience_seconds=180,
        servers=0,
        target_seconds=60,
    )
    assert result.service_level == 1.0
    kwargs = {"handle_time_seconds": 600, "patience_seconds": 180, "target_seconds": 60}
    assert agents_required(arrival_rate_per_hour=0, target_share=0.8, **kwargs) == 0


def test_required_agents_are_the_fewest_meeting_the_target():
    kwargs = {
        "arrival_rate_per_hour": 100,
        "handle_time_seconds": 600,
        "patience_seconds": 180,
        "target_seconds": 60,
    }
    needed = agents_required(target_share=0.8, **kwargs)
    assert erlang_a(servers=needed, **kwargs).service_level >= 0.8
    assert erlang_a(servers=needed - 1, **kwargs).service_level < 0.8


def test_with_near_infinite_patience_required_agents_are_erlang_cs():
    assert agents_required(
        arrival_rate_per_hour=200,
        handle_time_seconds=180,
        patience_seconds=1e12,
        target_share=0.8,
        target_seconds=20,
    ) == staffing.agents_required(
        arrivals_per_interval=100, handle_time_seconds=180, target_share=0.8, target_seconds=20
    )


def test_a_cap_on_abandonment_can_only_add_agents():
    kwargs = {
        "arrival_rate_per_hour": 300,
        "handle_time_seconds": 600,
        "patience_seconds": 120,
        "target_share": 0.5,
        "target_seconds": 60,
    }
    plain = agents_required(**kwargs)
    capped = agents_required(max_abandon_share=0.01, **kwargs)
    assert capped > plain
    result = erlang_a(
        arrival_rate_per_hour=300,
        handle_time_seconds=600,
        patience_seconds=120,
        servers=capped,
        target_seconds=60,
    )
    assert result.abandon_probability <= 0.01


@pytest.mark.parametrize(
    ("field", "value"),
    [("handle_time_seconds", 0), ("patience_seconds", 0), ("arrival_rate_per_hour", -1)],
)
def test_it_refuses_impossible_inputs(field, value):
    kwargs = {
        "arrival_rate_per_hour": 100,
        "handle_time_seconds": 600,
        "patience_seconds": 180,
        "servers": 10,
        "target_seconds": 60,
        field: value,
    }
    with pytest.raises(ValueError, match=field):
        erlang_a(**kwargs)
