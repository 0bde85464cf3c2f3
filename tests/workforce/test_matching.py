"""Shift matching: the rules on hand-made cases, optimality against brute force, greedy beaten."""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from workforce.matching import (
    AgentSupply,
    Assignment,
    MatchResult,
    Slot,
    greedy_baseline,
    match_agents_to_slots,
    rest_is_respected,
)

MONDAY_9AM = datetime(2025, 3, 17, 9, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def at(half_hours: int) -> datetime:
    return MONDAY_9AM + half_hours * HALF_HOUR


def make_slot(slot_id, start, *, language="en", skill="general", headcount=1, length=1):
    return Slot(
        id=slot_id,
        starts_at=at(start),
        ends_at=at(start + length),
        language=language,
        skill=skill,
        headcount=headcount,
    )


def make_agent(
    agent_id,
    *,
    languages=("en",),
    skills=("general",),
    available=((0, 48),),
    cap=40.0,
    reliability=0.9,
    already=0.0,
    busy=(),
):
    return AgentSupply(
        id=agent_id,
        languages=frozenset(languages),
        skills=frozenset(skills),
        available=tuple((at(start), at(end)) for start, end in available),
        weekly_hour_cap=cap,
        reliability=reliability,
        already_assigned_hours=already,
        busy=tuple((at(start), at(end)) for start, end in busy),
    )


def is_eligible(agent: AgentSupply, slot: Slot) -> bool:
    """Written apart from the module's own check, so the tests do not trust it."""
    return (
        slot.language in agent.languages
        and slot.skill in agent.skills
        and any(s <= slot.starts_at and slot.ends_at <= e for s, e in agent.available)
        and not any(s < slot.ends_at and slot.starts_at < e for s, e in agent.busy)
    )


def hours(slot: Slot) -> float:
    return (slot.ends_at - slot.starts_at).total_seconds() / 3600


def fits(held: list[Slot], new: Slot, agent: AgentSupply, max_hours_per_day, min_rest) -> bool:
    """Can `agent`, already holding `held`, also take `new`?"""
    if any(h.starts_at < new.ends_at and new.starts_at < h.ends_at for h in held):
        return False
    day = new.starts_at.date()
    same_day = sum(hours(h) for h in held if h.starts_at.date() == day)
    if same_day + hours(new) > max_hours_per_day + 1e-9:
        return False
    total = sum(hours(h) for h in held) + hours(new)
    if total > agent.weekly_hour_cap - agent.already_assigned_hours + 1e-9:
        return False
    if min_rest is not None:
        windows = sorted((h.starts_at, h.ends_at) for h in [*held, new])
        for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
            if timedelta(0) < start - end < min_rest:
                return False
    return True


def assert_valid(result: MatchResult, slots, agents, *, max_hours_per_day=8.0, min_rest=None):
    slot_by_id = {slot.id: slot for slot in slots}
    agent_by_id = {agent.id: agent for agent in agents}
    assert len(set(result.assignments)) == len(result.assignments)
    held: dict[int, list[Slot]] = defaultdict(list)
    for assignment in result.assignments:
        slot = slot_by_id[assignment.slot_id]
        agent = agent_by_id[assignment.agent_id]
        assert is_eligible(agent, slot), assignment
        assert fits(held[agent.id], slot, agent, max_hours_per_day, min_rest), assignment
        held[agent.id].append(slot)
    coverage = {slot.id: 0 for slot in slots}
    for assignment in result.assignments:
        coverage[assignment.slot_id] += 1
    assert result.coverage == coverage
    assert all(coverage[slot.id] <= slot.headcount for slot in slots)
    assert result.filled == sum(coverage.values())
    assert result.required == sum(slot.headcount for slot in slots)


def brute_force_max_fill(slots, agents, *, max_hours_per_day=8.0, min_rest=None) -> int:
    """Exact optimum by depth-first enumeration of who takes each slot, with a simple bound."""
    ordered = sorted(slots, key=lambda s: (s.starts_at, s.id))
    eligible = [[a for a in agents if is_eligible(a, slot)] for slot in ordered]
    remaining_need = [0] * (len(ordered) + 1)
    for k in range(len(ordered) - 1, -1, -1):
        remaining_need[k] = remaining_need[k + 1] + min(ordered[k].headcount, len(eligible[k]))
    held: dict[int, list[Slot]] = defaultdict(list)
    best = 0

    def visit(k: int, filled: int) -> None:
        nonlocal best
        best = max(best, filled)
        if k == len(ordered) or filled + remaining_need[k] <= best:
            return
        slot = ordered[k]

        def choose(start: int, taken: int) -> None:
            # Every subset of eligible agents up to the headcount, then the next slot.
            visit(k + 1, filled + taken)
            if taken == slot.headcount:
                return
            for i in range(start, len(eligible[k])):
                agent = eligible[k][i]
                if fits(held[agent.id], slot, agent, max_hours_per_day, min_rest):
                    held[agent.id].append(slot)
                    choose(i + 1, taken + 1)
                    held[agent.id].pop()

        choose(0, 0)

    visit(0, 0)
    return best


def small_instance(rng: random.Random, *, horizon: int):
    """3-6 agents and 4-8 slots fighting over a few half hours: bilingual agents, tight caps,
    most agents available throughout, so choices interact and greedy sometimes loses."""
    slots = [
        make_slot(
            slot_id,
            rng.randrange(horizon),
            language=rng.choice(["en", "es"]),
            skill=rng.choice(["general", "general", "billing"]),
            headcount=rng.choice([1, 1, 2]),
        )
        for slot_id in range(1, rng.randint(4, 8) + 1)
    ]
    agents = []
    for agent_id in range(1, rng.randint(3, 6) + 1):
        if rng.random() < 0.6:
            windows = ((0, horizon),)
        else:
            start = rng.randrange(horizon)
            windows = ((start, min(horizon, start + rng.randint(1, 3))),)
        busy = ()
        if rng.random() < 0.2:
            start = rng.randrange(horizon)
            busy = ((start, start + 1),)
        agents.append(
            make_agent(
                agent_id,
                languages=rng.choice([("en",), ("es",), ("en", "es")]),
                skills=rng.choice([("general",), ("general", "billing")]),
                available=windows,
                cap=rng.choice([0.5, 1.0, 1.5]),
                reliability=rng.random(),
                already=rng.choice([0.0, 0.0, 0.5]),
                busy=busy,
            )
        )
    return slots, agents


def random_instance(rng: random.Random, *, n_agents: int, n_slots: int, horizon: int):
    """Looser instances for size: scattered windows, one or two languages and skills each."""
    slots = [
        make_slot(
            slot_id,
            rng.randrange(horizon),
            language=rng.choice(["en", "en", "es"]),
            skill=rng.choice(["general", "billing"]),
            headcount=rng.choice([1, 1, 2]),
        )
        for slot_id in range(1, n_slots + 1)
    ]
    agents = []
    for agent_id in range(1, n_agents + 1):
        windows = []
        for _ in range(rng.randint(1, 2)):
            start = rng.randrange(horizon)
            windows.append((start, start + rng.randint(2, horizon)))
        busy = ()
        if rng.random() < 0.3:
            start = rng.randrange(horizon)
            busy = ((start, start + 1),)
        agents.append(
            make_agent(
                agent_id,
                languages=rng.choice([("en",), ("es",), ("en", "es")]),
                skills=rng.choice([("general",), ("billing",), ("general", "billing")]),
                available=tuple(windows),
                cap=rng.choice([0.5, 1.0, 1.5, 2.0, 3.0]),
                reliability=rng.random(),
                already=rng.choice([0.0, 0.0, 0.5]),
                busy=busy,
            )
        )
    return slots, agents


# --- the rules ----------------------------------------------------------------------------------


def test_it_matches_on_language_and_skill():
    slots = [
        make_slot(1, 0, language="en", skill="general"),
        make_slot(2, 0, language="es", skill="billing"),
        make_slot(3, 0, language="es", skill="general"),
    ]
    agents = [
        make_agent(10, languages=("es",), skills=("billing",)),
        make_agent(11, languages=("en",), skills=("general",)),
    ]
    result = match_agents_to_slots(slots=slots, agents=agents)
    assert_valid(result, slots, agents)
    assert set(result.assignments) == {
        Assignment(slot_id=1, agent_id=11),
        Assignment(slot_id=2, agent_id=10),
    }
    assert result.coverage == {1: 1, 2: 1, 3: 0}
    assert (result.filled, result.required) == (2, 3)
    assert result.proven_optimal


def test_it_only_uses_slots_entirely_inside_an_availability_window():
    # Available 09:00-10:15: the 10:00-10:30 slot sticks out, the 08:30 one starts too early.
    agent = AgentSupply(
        id=1,
        languages=frozenset({"en"}),
        skills=frozenset({"general"}),
        available=((at(0), at(2) + timedelta(minutes=15)),),
        weekly_hour_cap=40,
        reliability=1,
    )
    slots = [make_slot(1, -1), make_slot(2, 0), make_slot(3, 1), make_slot(4, 2)]
    result = match_agents_to_slots(slots=slots, agents=[agent])
    assert_valid(result, slots, [agent])
    assert {a.slot_id for a in result.assignments} == {2, 3}


def test_it_keeps_agents_away_from_their_busy_periods():
    agent = make_agent(1, busy=((1, 2),))
    slots = [make_slot(1, 0), make_slot(2, 1), make_slot(3, 2)]
    result = match_agents_to_slots(slots=slots, agents=[agent])
    assert_valid(result, slots, [agent])
    assert {a.slot_id for a in result.assignments} == {1, 3}


def test_it_respects_the_weekly_cap_counting_hours_already_assigned():
    agent = make_agent(1, cap=10, already=8.5)  # 1.5 h left: three half hours
    slots = [make_slot(k + 1, k) for k in range(6)]
    result = match_agents_to_slots(slots=slots, agents=[agent])
    assert_valid(result, slots, [agent])
    assert result.filled == 3


def test_an_agent_at_their_cap_gets_nothing():
    agent = make_agent(1, cap=10, already=10)
    slots = [make_slot(1, 0)]
    assert match_agents_to_slots(slots=slots, agents=[agent]).filled == 0


def test_it_respects_the_daily_cap():
    agent = make_agent(1, available=((0, 96),))
    # Monday 09:00-15:00 (12 half hours), then Tuesday 09:00-10:00 (2 half hours).
    slots = [make_slot(k + 1, k) for k in range(12)] + [make_slot(100, 48), make_slot(101, 49)]
    result = match_agents_to_slots(slots=slots, agents=[agent], max_hours_per_day=2)
    assert_valid(result, slots, [agent], max_hours_per_day=2)
    monday = [a for a in result.assignments if a.slot_id < 100]
    assert len(monday) == 4
    assert result.filled == 6


def test_an_agent_never_holds_two_slots_at_the_same_time():
    bilingual = make_agent(1, languages=("en", "es"))
    slots = [make_slot(1, 0, language="en"), make_slot(2, 0, language="es")]
    result = match_agents_to_slots(slots=slots, agents=[bilingual])
    assert_valid(result, slots, [bilingual])
    assert result.filled == 1


def test_back_to_back_half_hours_form_one_longer_shift():
    agent = make_agent(1)
    slots = [make_slot(k + 1, k) for k in range(4)]
    result = match_agents_to_slots(slots=slots, agents=[agent])
    assert result.filled == 4


def test_a_slot_never_gets_more_than_its_headcount():
    agents = [make_agent(k) for k in range(1, 6)]
    slots = [make_slot(1, 0, headcount=2)]
    result = match_agents_to_slots(slots=slots, agents=agents)
    assert_valid(result, slots, agents)
    assert result.coverage == {1: 2}


def half_hours_per_agent(result: MatchResult) -> dict[int, int]:
    per_agent: dict[int, int] = defaultdict(int)
    for assignment in result.assignments:
        per_agent[assignment.agent_id] += 1
    return dict(per_agent)


def test_it_spreads_hours_between_agents():
    agents = [make_agent(1), make_agent(2)]
    slots = [make_slot(k + 1, k) for k in range(4)]
    result = match_agents_to_slots(slots=slots, agents=agents, fairness_step_hours=1)
    assert half_hours_per_agent(result) == {1: 2, 2: 2}


def test_hours_are_spread_in_steps_and_reliability_decides_within_a_step():
    # 6 h of work, 4 h fairness steps: the more reliable agent takes a full step (4 h),
    # then the other agent's first step is cheaper than the reliable one's second.
    agents = [make_agent(1, reliability=0.95), make_agent(2, reliability=0.6)]
    slots = [make_slot(k + 1, k) for k in range(12)]
    result = match_agents_to_slots(slots=slots, agents=agents, fairness_step_hours=4)
    assert result.filled == 12
    assert half_hours_per_agent(result) == {1: 8, 2: 4}


def test_it_gives_more_to_whoever_has_worked_less_this_week():
    agents = [make_agent(1, already=6), make_agent(2, already=0)]
    slots = [make_slot(k + 1, k) for k in range(4)]
    result = match_agents_to_slots(slots=slots, agents=agents)
    assert {a.agent_id for a in result.assignments} == {2}


def test_reliability_breaks_ties():
    agents = [make_agent(1, reliability=0.5), make_agent(2, reliability=0.95)]
    result = match_agents_to_slots(slots=[make_slot(1, 0)], agents=agents)
    assert result.assignments == [Assignment(slot_id=1, agent_id=2)]


def test_filling_comes_before_fairness():
    # Agent 1 has already worked a lot, but only they speak Spanish.
    agents = [make_agent(1, languages=("en", "es"), already=30), make_agent(2)]
    slots = [make_slot(1, 0, language="es"), make_slot(2, 0, language="en")]
    result = match_agents_to_slots(slots=slots, agents=agents)
    assert result.filled == 2


def test_every_slot_appears_in_coverage_even_when_nobody_can_take_it():
    result = match_agents_to_slots(slots=[make_slot(1, 0), make_slot(2, 1)], agents=[])
    assert result.coverage == {1: 0, 2: 0}
    assert (result.filled, result.required) == (0, 2)
    assert match_agents_to_slots(slots=[], agents=[make_agent(1)]).coverage == {}


def test_it_rejects_duplicate_ids():
    with pytest.raises(ValueError, match="slot ids"):
        match_agents_to_slots(slots=[make_slot(1, 0), make_slot(1, 1)], agents=[])
    with pytest.raises(ValueError, match="agent ids"):
        match_agents_to_slots(slots=[], agents=[make_agent(1), make_agent(1)])


def test_a_cap_off_the_half_hour_grid_still_gives_whole_assignments():
    # 0.75 h left admits one half hour, not "one and a half": the LP optimum is fractional
    # here and the solver falls back to the exact MILP.
    agent = make_agent(1, cap=10, already=9.25)
    slots = [make_slot(1, 0), make_slot(2, 1)]
    result = match_agents_to_slots(slots=slots, agents=[agent])
    assert_valid(result, slots, [agent])
    assert result.filled == 1
    assert result.proven_optimal


def test_rest_between_shifts_when_asked():
    agent = make_agent(1, available=((0, 48),))
    # 09:00-10:00, then 12:00-12:30: a 2 h gap, too short for 8 h of rest.
    slots = [make_slot(1, 0), make_slot(2, 1), make_slot(3, 6)]
    rest = timedelta(hours=8)
    rested = match_agents_to_slots(slots=slots, agents=[agent], min_rest_between_shifts=rest)
    assert_valid(rested, slots, [agent], min_rest=rest)
    assert {a.slot_id for a in rested.assignments} == {1, 2}
    # Without the rule (the default) the split shift is allowed.
    assert match_agents_to_slots(slots=slots, agents=[agent]).filled == 3


def test_rest_is_measured_between_separate_shifts_only():
    rest = timedelta(hours=8)
    assert rest_is_respected(windows=[(at(0), at(1)), (at(1), at(2))], min_rest=rest)
    assert not rest_is_respected(windows=[(at(0), at(1)), (at(2), at(3))], min_rest=rest)
    assert rest_is_respected(windows=[(at(0), at(1)), (at(17), at(18))], min_rest=rest)


# --- optimality -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_it_fills_as_much_as_brute_force_on_small_instances(seed):
    rng = random.Random(seed)
    slots, agents = small_instance(rng, horizon=4)
    max_hours_per_day = rng.choice([1.0, 8.0])
    result = match_agents_to_slots(slots=slots, agents=agents, max_hours_per_day=max_hours_per_day)
    assert_valid(result, slots, agents, max_hours_per_day=max_hours_per_day)
    assert result.proven_optimal
    assert result.filled == brute_force_max_fill(slots, agents, max_hours_per_day=max_hours_per_day)


def test_the_small_instances_include_some_that_greedy_gets_wrong():
    # Guards the test above against instances so easy that any matching would pass.
    greedy_short = 0
    for seed in range(20):
        rng = random.Random(seed)
        slots, agents = small_instance(rng, horizon=4)
        max_hours_per_day = rng.choice([1.0, 8.0])
        greedy = greedy_baseline(slots=slots, agents=agents, max_hours_per_day=max_hours_per_day)
        best = brute_force_max_fill(slots, agents, max_hours_per_day=max_hours_per_day)
        greedy_short += greedy.filled < best
    assert greedy_short >= 2


@pytest.mark.parametrize("seed", range(8))
def test_the_rest_rule_is_exact_on_small_instances(seed):
    rng = random.Random(1000 + seed)
    slots, agents = small_instance(rng, horizon=10)
    rest = timedelta(hours=2)
    result = match_agents_to_slots(slots=slots, agents=agents, min_rest_between_shifts=rest)
    assert_valid(result, slots, agents, min_rest=rest)
    assert result.proven_optimal
    assert result.filled == brute_force_max_fill(slots, agents, min_rest=rest)


@pytest.mark.parametrize("seed", range(5))
def test_it_fills_at_least_as_much_as_greedy_on_medium_instances(seed):
    rng = random.Random(500 + seed)
    slots, agents = random_instance(rng, n_agents=40, n_slots=150, horizon=96)
    optimal = match_agents_to_slots(slots=slots, agents=agents)
    greedy = greedy_baseline(slots=slots, agents=agents)
    assert_valid(optimal, slots, agents)
    assert_valid(greedy, slots, agents)
    assert optimal.proven_optimal
    assert optimal.filled >= greedy.filled


def test_greedy_is_strictly_worse_when_a_bilingual_agent_comes_first():
    # Greedy hands the 09:00 English slot to the first free agent, the bilingual one, and
    # then has nobody for the Spanish slot at the same time. The optimum uses the
    # English-only agent for English.
    agents = [make_agent(1, languages=("en", "es")), make_agent(2, languages=("en",))]
    slots = [make_slot(1, 0, language="en"), make_slot(2, 0, language="es")]
    greedy = greedy_baseline(slots=slots, agents=agents)
    optimal = match_agents_to_slots(slots=slots, agents=agents)
    assert_valid(greedy, slots, agents)
    assert_valid(optimal, slots, agents)
    assert greedy.filled == 1
    assert optimal.filled == 2
    assert set(optimal.assignments) == {
        Assignment(slot_id=1, agent_id=2),
        Assignment(slot_id=2, agent_id=1),
    }


def test_greedy_is_strictly_worse_when_it_spends_a_cap_early():
    # The only German speaker has 1 h left. Greedy spends it on Monday's English slots, which
    # anyone could take; the optimum keeps it for the German slots.
    agents = [
        make_agent(1, languages=("en", "de"), cap=1, available=((0, 96),)),
        make_agent(2, languages=("en",), available=((0, 96),)),
    ]
    slots = [
        make_slot(1, 0, language="en"),
        make_slot(2, 1, language="en"),
        make_slot(3, 48, language="de"),
        make_slot(4, 49, language="de"),
    ]
    greedy = greedy_baseline(slots=slots, agents=agents)
    optimal = match_agents_to_slots(slots=slots, agents=agents)
    assert_valid(greedy, slots, agents)
    assert greedy.filled == 2
    assert optimal.filled == 4
