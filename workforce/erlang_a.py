"""Erlang A (M/M/n+M): staffing when waiting customers give up, as chat customers do.

Pure functions on numbers, no Django, like ``workforce.staffing`` (Erlang C), which this
module reduces to when nobody gives up (patience infinite, θ = 0).

The model: escalations arrive at rate λ, each agent slot serves at rate μ = 1 / handle time,
and each waiting customer leaves at rate θ = 1 / mean patience (exponential patience). The
number of customers in the system is a birth–death chain with birth rate λ and death rate
k·μ for k ≤ n, n·μ + (k − n)·θ above n. Its stationary distribution is summed directly, in
log space (no k! or λ^k overflow for hundreds of agents), up to where the terms vanish
(below e^-60 of the largest); with θ > 0 the chain is stable for every n, so, unlike
Erlang C, fewer agents than erlangs is a valid (if poor) answer.

A customer who arrives to find j others queued is answered when j + 1 departures from the
front of the queue have happened before its own patience runs out. Its stage times are
exponential with rates θ(a + i + 1), i = 0…j, with a = n·μ/θ; it is answered with
probability a / (a + j + 1), and by Rényi's representation of exponential order statistics
the time to answer satisfies e^(−θ·S) ~ Beta(a + 1, j + 1), so
P(S ≤ t) = 1 − I(e^(−θt); a + 1, j + 1), the regularized incomplete beta function. With
θ = 0 the stages are all at rate n·μ and S is Erlang(j + 1, n·μ).

References: Garnett, Mandelbaum & Reiman, "Designing a call center with impatient
customers" (M&SOM 4(3), 2002) for the model and its quantities; tests check it against
Erlang C (θ → 0), the exact identity at θ = μ (the number in system is then Poisson(λ/μ)),
and an independent linear-algebra solution of the truncated chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import betaincc, gammainc, gammaln

# Terms of the stationary distribution this far (in natural log) below the largest are
# dropped: e^-60 ≈ 1e-26, far under a float's resolution of the sums they join.
_LOG_NEGLIGIBLE = 60.0
# Beyond this many customers queued (at the distribution's peak plus its spread, √(λ/θ)),
# which happens only when patience is days long and agents are no more than erlangs, the
# chain is not summed: nobody is answered within any target, and the fluid limit (with its
# diffusion spread at critical load) gives the abandonment and the wait.
_MAX_QUEUE = 200_000


@dataclass(frozen=True)
class ErlangAResult:
    """What customers experience with ``servers`` agent slots."""

    wait_probability: float  # share of arrivals who queue at all
    abandon_probability: float  # share of arrivals who give up before being answered
    service_level: float  # share of arrivals answered within target_seconds
    average_speed_of_answer: float  # mean seconds in queue over all arrivals, leavers included


def _rates(
    *, arrival_rate_per_hour: float, handle_time_seconds: float, patience_seconds: float | None
) -> tuple[float, float, float]:
    """λ, μ and θ per second; θ = 0 for patience None or infinite (nobody leaves)."""
    if arrival_rate_per_hour < 0:
        raise ValueError("arrival_rate_per_hour must be ≥ 0")
    if handle_time_seconds <= 0:
        raise ValueError("handle_time_seconds must be > 0")
    if patience_seconds is not None and patience_seconds <= 0:
        raise ValueError("patience_seconds must be > 0")
    theta = 0.0 if patience_seconds is None else 1 / patience_seconds
    return arrival_rate_per_hour / 3600, 1 / handle_time_seconds, theta


def _queue_lengths(*, lam: float, mu: float, theta: float, servers: int) -> np.ndarray | None:
    """P(an arrival finds j customers queued) for j = 0, 1, … with all n servers busy.

    The stationary probabilities π(n + j); the rest of the mass (fewer than n busy) is the
    probability of being answered at once. None when the queue grows without bound
    (θ = 0 and λ ≥ n·μ).
    """
    n = servers
    if theta == 0 and lam >= n * mu:
        return None
    ks = np.arange(n + 1)
    log_below = ks * math.log(lam / mu) - gammaln(ks + 1)  # k ≤ n: (λ/μ)^k / k!
    # Above n the ratio π(k)/π(k−1) = λ / (nμ + (k−n)θ) drops below 1 after the peak at
    # (λ − nμ)/θ queued; grow the window until its last terms are negligible.
    peak = max(0.0, (lam - n * mu) / theta) if theta > 0 else 0.0
    length = int(2 * peak) + 64
    while True:
        j = np.arange(1, length + 1)
        log_above = log_below[-1] + np.cumsum(np.log(lam / (n * mu + j * theta)))
        top = max(log_below.max(), log_above.max())
        if log_above[-1] < top - _LOG_NEGLIGIBLE:
            break
        length *= 2
    log_all = np.concatenate([log_below, log_above])
    top = log_all.max()
    log_total = top + math.log(np.exp(log_all - top).sum())
    queued = np.exp(log_all[n:] - log_total)
    # Only the terms that count go on to the (costly) incomplete beta function.
    last = np.flatnonzero(queued > 1e-18)
    return queued[: last[-1] + 1] if len(last) else queued[:1]


def erlang_a(
    *,
    arrival_rate_per_hour: float,
    handle_time_seconds: float,
    patience_seconds: float | None,
    servers: int,
    target_seconds: float,
) -> ErlangAResult:
    """Wait, abandonment, service level and average speed of answer with ``servers`` slots.

    ``patience_seconds`` is customers' mean patience (None: infinitely patient, Erlang C).
    The service level counts a customer who gives up as not answered, so it is the share
    of all arrivals answered within ``target_seconds``.
    """
    if servers < 0:
        raise ValueError("servers must be ≥ 0")
    if target_seconds < 0:
        raise ValueError("target_seconds must be ≥ 0")
    lam, mu, theta = _rates(
        arrival_rate_per_hour=arrival_rate_per_hour,
        handle_time_seconds=handle_time_seconds,
        patience_seconds=patience_seconds,
    )
    if lam == 0:
        return ErlangAResult(0.0, 0.0, 1.0, 0.0)
    if theta > 0 and (lam - servers * mu) / theta + 10 * math.sqrt(lam / theta) > _MAX_QUEUE:
        # The excess λ − nμ gives up; the queue holds (λ − nμ)/θ, or √(2λ/πθ) near nμ = λ.
        excess = max(lam - servers * mu, 0.0)
        queue = max(excess / theta, math.sqrt(2 * lam / (math.pi * theta)))
        return ErlangAResult(1.0, excess / lam, 0.0, queue / lam)
    queued = _queue_lengths(lam=lam, mu=mu, theta=theta, servers=servers)
    if queued is None:
        return ErlangAResult(1.0, 0.0, 0.0, math.inf)
    ahead = np.arange(len(queued))  # j customers already queued on arrival
    wait = float(queued.sum())
    mean_queue = float((ahead * queued).sum())
    if theta == 0:
        answered = np.ones_like(queued)
        in_time = gammainc(ahead + 1, servers * mu * target_seconds)
    else:
        a = servers * mu / theta
        answered = a / (a + ahead + 1)
        in_time = betaincc(a + 1, ahead + 1, math.exp(-theta * target_seconds))
    level = (1 - wait) + float((queued * answered * in_time).sum())
    return ErlangAResult(
        wait_probability=min(wait, 1.0),
        abandon_probability=float((queued * (1 - answered)).sum()),
        service_level=min(max(level, 0.0), 1.0),
        # Little's law on the queue: mean queued / λ is the mean wait over all arrivals.
        average_speed_of_answer=mean_queue / lam,
    )


def agents_required(
    *,
    arrival_rate_per_hour: float,
    handle_time_seconds: float,
    patience_seconds: float | None,
    target_share: float,
    target_seconds: float,
    max_abandon_share: float | None = None,
) -> int:
    """Fewest agent slots (servers) for ``target_share`` answered within ``target_seconds``,
    and, if given, at most ``max_abandon_share`` of arrivals giving up.

    Both the service level and abandonment improve with every slot added, so the answer is
    found by bracketing then bisecting.
    """
    if not 0 < target_share < 1:
        raise ValueError("target_share must be between 0 and 1 (exclusive)")
    if max_abandon_share is not None and not 0 < max_abandon_share < 1:
        raise ValueError("max_abandon_share must be between 0 and 1 (exclusive)")
    if arrival_rate_per_hour == 0:
        return 0

    def enough(servers: int) -> bool:
        result = erlang_a(
            arrival_rate_per_hour=arrival_rate_per_hour,
            handle_time_seconds=handle_time_seconds,
            patience_seconds=patience_seconds,
            servers=servers,
            target_seconds=target_seconds,
        )
        if result.service_level < target_share:
            return False
        return max_abandon_share is None or result.abandon_probability <= max_abandon_share

    # Gallop from the offered load A = λ/μ, near which the answer lies (typically within a
    # few √A), to bracket it, then bisect: a handful of evaluations even for large pools.
    guess = max(1, math.ceil(arrival_rate_per_hour * handle_time_seconds / 3600))
    step = 1
    if enough(guess):
        low, high = guess - step, guess
        while low > 0 and enough(low):
            high, step = low, step * 2
            low = max(0, high - step)
    else:
        low, high = guess, guess + step
        while not enough(high):
            low, step = high, step * 2
            high = low + step
    # Now not enough(low) (or low = 0, where nobody is answered) and enough(high).
    while high - low > 1:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle
    return high
