"""Chat concurrency: agents worth fewer servers per chat as they juggle more."""

from datetime import UTC, datetime, timedelta

import pytest

from workforce.concurrency import agents_for_servers, efficiency_at, measured_efficiency

DEFAULT = {1: 1.0, 2: 0.85, 3: 0.7}
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("servers", "level", "efficiency", "agents"),
    [(10, 1, 1.0, 10), (10, 3, 1.0, 4), (10, 3, 0.7, 5), (6, 3, 2 / 3, 3), (0, 3, 0.7, 0)],
)
def test_agents_are_servers_over_concurrency_times_efficiency_rounded_up(
    servers, level, efficiency, agents
):
    assert agents_for_servers(servers=servers, concurrency=level, efficiency=efficiency) == agents


def test_above_the_tables_highest_level_its_efficiency_holds():
    assert efficiency_at(concurrency=5, table=DEFAULT) == 0.7
    assert efficiency_at(concurrency=2, table=DEFAULT) == 0.85


def chats(agent, start_minutes, minutes, count):
    return [
        (
            agent,
            T0 + timedelta(minutes=start_minutes + k * 60),
            T0 + timedelta(minutes=start_minutes + k * 60 + minutes),
        )
        for k in range(count)
    ]


def test_chats_held_side_by_side_measure_the_second_level():
    # Alone, a chat takes 10 minutes; two held together take 12.5 each: 0.8 as fast.
    alone = chats(1, 0, 10, 30)
    pairs = chats(2, 0, 12.5, 30) + chats(2, 0, 12.5, 30)
    measured = measured_efficiency(handled=alone + pairs, default=DEFAULT, min_tickets=30)
    assert measured[2] == pytest.approx(0.8)
    assert measured[3] == 0.7  # never seen: the default


def test_a_chat_overlapping_another_for_a_moment_counts_as_one_chat():
    # 0–40 and 38–50: each had company for 2 minutes only.
    handled = [
        (1, T0, T0 + timedelta(minutes=40)),
        (1, T0 + timedelta(minutes=38), T0 + timedelta(minutes=50)),
    ]
    measured = measured_efficiency(handled=handled, default=DEFAULT, min_tickets=2)
    assert measured == {**DEFAULT, 1: 1.0}


def test_too_few_tickets_keep_the_default():
    measured = measured_efficiency(
        handled=chats(1, 0, 10, 5) + chats(2, 0, 20, 5) + chats(2, 0, 20, 5),
        default=DEFAULT,
        min_tickets=30,
    )
    assert measured == DEFAULT


def test_a_level_measured_faster_than_one_chat_is_capped_at_one():
    measured = measured_efficiency(
        handled=chats(1, 0, 10, 30) + chats(2, 0, 5, 30) + chats(2, 0, 5, 30),
        default=DEFAULT,
        min_tickets=30,
    )
    assert measured[2] == 1.0
