"""Benchmark: match 2,000 agents to a week of shift slots, optimiser against greedy.

Run from the project root:

    .venv/bin/python tests/perf/bench_matching.py [--agents 2000] [--seed 7] [--time-limit 60]
        [--block-hours 4] [--min-rest-hours 8]

The defaults are production's (agents/shifts.py): four-hour blocks on a UTC grid, each
staffed for its busiest half hour, and 8 hours' rest between shifts, enforced lazily.
`--block-hours 0.5 --min-rest-hours -1` gives the old half-hour model without the rest rule.

Not collected by pytest (the file name does not start with test_, and tests/perf is ignored
in pyproject's addopts). The generated week is deliberately lopsided, as real supply is: most
agents speak English and offer daytime hours in their own time zone, a few speak Spanish,
German or French, few offer nights, so the rare languages at night are scarce and greedy's
"first free agent" choices show.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

from workforce.matching import AgentSupply, Slot, greedy_baseline, match_agents_to_slots

WEEK_START = datetime(2025, 3, 17, tzinfo=UTC)  # a Monday
HALF_HOUR = timedelta(minutes=30)

# (language, skill) → peak headcount; the daily curve scales it down at night.
DEMAND = {
    ("en", "general"): 4,
    ("en", "billing"): 3,
    ("es", "general"): 3,
    ("de", "technical"): 2,
    ("fr", "refunds"): 2,
}
LANGUAGE_SHARE = {"en": 0.85, "es": 0.25, "de": 0.10, "fr": 0.08}
SKILL_SHARE = {"general": 0.8, "billing": 0.4, "technical": 0.2, "refunds": 0.2}
# Home UTC offsets in hours, weighted: Americas, Europe, India, Philippines.
HOME_OFFSETS = [(-5, 0.3), (0, 0.2), (1, 0.2), (5.5, 0.15), (8, 0.15)]


def daily_curve(hour_utc: float) -> float:
    """Share of peak demand at a UTC hour: busy 13:00-22:00, quiet overnight."""
    if 13 <= hour_utc < 22:
        return 1.0
    if 8 <= hour_utc < 13 or 22 <= hour_utc < 24:
        return 0.7
    return 0.35


def generate_slots(*, block_hours: float = 0.5) -> list[Slot]:
    """Blocks of `block_hours` over the week, each staffed for its busiest half hour."""
    slots = []
    slot_id = 1
    per_block = max(1, round(block_hours * 2))
    for k in range(0, 7 * 48, per_block):
        starts_at = WEEK_START + k * HALF_HOUR
        ends_at = starts_at + per_block * HALF_HOUR
        curve = max(
            daily_curve((starts_at + j * HALF_HOUR).hour + (starts_at + j * HALF_HOUR).minute / 60)
            for j in range(per_block)
        )
        for (language, skill), peak in DEMAND.items():
            slots.append(
                Slot(
                    id=slot_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    language=language,
                    skill=skill,
                    headcount=max(1, round(peak * curve)),
                )
            )
            slot_id += 1
    return slots


def generate_agents(*, count: int, rng: random.Random) -> list[AgentSupply]:
    offsets, weights = zip(*HOME_OFFSETS, strict=True)
    agents = []
    for agent_id in range(1, count + 1):
        languages = frozenset(lang for lang, p in LANGUAGE_SHARE.items() if rng.random() < p)
        languages = languages or frozenset({"en"})
        skills = frozenset(skill for skill, p in SKILL_SHARE.items() if rng.random() < p)
        skills = skills or frozenset({"general"})
        offset = rng.choices(offsets, weights)[0]
        night_owl = rng.random() < 0.1
        windows = []
        for day in rng.sample(range(7), k=rng.randint(2, 5)):
            local_start = rng.randint(20, 30) if night_owl else rng.randint(14, 38)  # half hours
            length = rng.randint(4, 16)  # 2 to 8 hours
            start = WEEK_START + timedelta(days=day, hours=local_start / 2 - offset)
            start = max(start, WEEK_START)
            windows.append((start, start + length * HALF_HOUR))
        busy = ()
        if rng.random() < 0.2:
            start, end = rng.choice(windows)
            busy = ((start + HALF_HOUR, start + 2 * HALF_HOUR),)
        cap = rng.choice([10.0, 20.0, 30.0, 40.0])
        agents.append(
            AgentSupply(
                id=agent_id,
                languages=languages,
                skills=skills,
                available=tuple(sorted(windows)),
                weekly_hour_cap=cap,
                reliability=round(rng.uniform(0.6, 1.0), 2),
                already_assigned_hours=rng.choice([0.0, 0.0, 0.0, 4.0, 8.0]),
                busy=busy,
            )
        )
    return agents


def describe(result, slots) -> str:
    """Hours per agent who got work, and shifts (runs of back-to-back slots) per agent."""
    slot_by_id = {slot.id: slot for slot in slots}
    held: dict[int, list[Slot]] = {}
    for assignment in result.assignments:
        held.setdefault(assignment.agent_id, []).append(slot_by_id[assignment.slot_id])
    if not held:
        return "nobody assigned"
    hours = [sum(slot.hours for slot in mine) for mine in held.values()]
    shifts = 0
    for mine in held.values():
        mine.sort(key=lambda slot: slot.starts_at)
        shifts += 1 + sum(
            later.starts_at != earlier.ends_at
            for earlier, later in zip(mine, mine[1:], strict=False)
        )
    return (
        f"agents used {len(held)}, hours max {max(hours):.1f} mean {sum(hours) / len(hours):.1f},"
        f" {shifts} shifts of {sum(hours) / shifts:.1f} h on average"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--fairness-step-hours", type=float, default=4.0)
    parser.add_argument("--block-hours", type=float, default=4.0, help="shift length")
    parser.add_argument(
        "--min-rest-hours", type=float, default=8.0, help="rest between shifts (< 0: none)"
    )
    args = parser.parse_args()

    rng = random.Random(args.seed)
    slots = generate_slots(block_hours=args.block_hours)
    agents = generate_agents(count=args.agents, rng=rng)
    required = sum(slot.headcount for slot in slots)
    rest = None if args.min_rest_hours < 0 else timedelta(hours=args.min_rest_hours)
    print(f"{len(agents)} agents, {len(slots)} slots, {required} headcount required")

    started = time.perf_counter()
    greedy = greedy_baseline(slots=slots, agents=agents, min_rest_between_shifts=rest)
    greedy_seconds = time.perf_counter() - started

    started = time.perf_counter()
    optimal = match_agents_to_slots(
        slots=slots,
        agents=agents,
        min_rest_between_shifts=rest,
        fairness_step_hours=args.fairness_step_hours,
        time_limit_seconds=args.time_limit,
    )
    optimal_seconds = time.perf_counter() - started

    for name, result, seconds in (
        ("optimiser", optimal, optimal_seconds),
        ("greedy", greedy, greedy_seconds),
    ):
        print(
            f"{name:9}  {seconds:7.2f} s  filled {result.filled}/{result.required}"
            f" ({100 * result.filled / result.required:.2f} %)  {describe(result, slots)}"
        )
    print(
        f"optimiser: proven optimal {optimal.proven_optimal}, HiGHS {optimal.solver_seconds:.2f} s,"
        f" model build {optimal_seconds - optimal.solver_seconds:.2f} s {list(optimal.notes)}"
    )
    print(f"gain over greedy: {optimal.filled - greedy.filled} headcount")


if __name__ == "__main__":
    main()
