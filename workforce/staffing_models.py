"""Erlang C and Erlang A side by side, in agents at a chat concurrency. Pure, no Django.

Both models size one-chat servers; the same conversion (workforce.concurrency) turns servers
into agents for both, so the difference shown is the abandonment alone.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from workforce import concurrency, erlang_a, staffing


@dataclass(frozen=True)
class ModelStaffing:
    model: str  # "Erlang C" or "Erlang A"
    servers: int  # one-chat servers the model asks for
    agents: int  # agents at the concurrency and its efficiency
    service_level: float  # share answered within the target, with those agents
    abandon_probability: float | None  # None: Erlang C assumes nobody gives up
    average_speed_of_answer: float  # seconds, over all arrivals


def staffing_both_models(
    *,
    arrivals_per_hour: float,
    handle_time_seconds: float,
    target_share: float,
    target_seconds: float,
    patience_seconds: float,
    chats_per_agent: int,
    efficiency: float,
    max_abandon_share: float | None = None,
) -> list[ModelStaffing]:
    """What each model asks for, and what customers get with the agents it asks for (their
    servers, c × efficiency each, rounded down to whole servers). ``max_abandon_share``
    binds Erlang A only: Erlang C has nobody give up."""

    def servers_given(agents: int) -> int:
        return math.floor(agents * chats_per_agent * efficiency + 1e-9)

    c_servers = staffing.agents_required(
        arrivals_per_interval=arrivals_per_hour,
        interval_seconds=3600,
        handle_time_seconds=handle_time_seconds,
        target_share=target_share,
        target_seconds=target_seconds,
    )
    c_agents = concurrency.agents_for_servers(
        servers=c_servers, concurrency=chats_per_agent, efficiency=efficiency
    )
    c_given = servers_given(c_agents)
    erlang_c = ModelStaffing(
        model="Erlang C",
        servers=c_servers,
        agents=c_agents,
        service_level=staffing.service_level(
            arrival_rate_per_hour=arrivals_per_hour,
            handle_time_seconds=handle_time_seconds,
            servers=c_given,
            target_seconds=target_seconds,
        ),
        abandon_probability=None,
        average_speed_of_answer=staffing.average_speed_of_answer(
            arrival_rate_per_hour=arrivals_per_hour,
            handle_time_seconds=handle_time_seconds,
            servers=c_given,
        ),
    )

    a_servers = erlang_a.agents_required(
        arrival_rate_per_hour=arrivals_per_hour,
        handle_time_seconds=handle_time_seconds,
        patience_seconds=patience_seconds,
        target_share=target_share,
        target_seconds=target_seconds,
        max_abandon_share=max_abandon_share,
    )
    a_agents = concurrency.agents_for_servers(
        servers=a_servers, concurrency=chats_per_agent, efficiency=efficiency
    )
    a_result = erlang_a.erlang_a(
        arrival_rate_per_hour=arrivals_per_hour,
        handle_time_seconds=handle_time_seconds,
        patience_seconds=patience_seconds,
        servers=servers_given(a_agents),
        target_seconds=target_seconds,
    )
    return [
        erlang_c,
        ModelStaffing(
            model="Erlang A",
            servers=a_servers,
            agents=a_agents,
            service_level=a_result.service_level,
            abandon_probability=a_result.abandon_probability,
            average_speed_of_answer=a_result.average_speed_of_answer,
        ),
    ]


# A week's half hours repeat the same few forecasts (means over whole weeks of history), so
# the week view computes each distinct case once.
@functools.lru_cache(maxsize=4096)
def erlang_a_agents(
    *,
    arrivals_per_interval: float,
    interval_seconds: int,
    handle_time_seconds: float,
    target_share: float,
    target_seconds: float,
    patience_seconds: float,
    chats_per_agent: int,
    efficiency: float,
) -> int:
    """Agents Erlang A asks for in one interval, at a concurrency and its efficiency."""
    servers = erlang_a.agents_required(
        arrival_rate_per_hour=arrivals_per_interval * 3600 / interval_seconds,
        handle_time_seconds=handle_time_seconds,
        patience_seconds=patience_seconds,
        target_share=target_share,
        target_seconds=target_seconds,
    )
    return concurrency.agents_for_servers(
        servers=servers, concurrency=chats_per_agent, efficiency=efficiency
    )
