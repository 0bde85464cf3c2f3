"""Which agent works which half-hour slot: an optimal matching and a greedy baseline.

Pure functions on dataclasses, no Django: the shift planner service loads rows into these
types, calls `match_agents_to_slots` and writes the assignments back.

The model
---------
A 0/1 variable x[a, s] for every eligible (agent, slot) pair; an agent is eligible for a slot
when the slot's language and skill are among the agent's, the slot lies entirely inside one
of the agent's availability windows and touches none of the agent's busy periods. Constraints:

* a slot never gets more agents than its headcount;
* an agent never holds two slots that overlap in time (back-to-back half hours are fine:
  that is simply a longer shift);
* at most `max_hours_per_day` per agent per UTC calendar day (a slot counts in the day it
  starts), and at most `weekly_hour_cap - already_assigned_hours` over the slots given, which
  callers pass one week at a time.

Objective, lexicographic through weights: (1) fill as much required headcount as possible,
(2) then spread hours fairly: a convex piecewise-linear penalty on each agent's total hours
for the week (the marginal cost of an hour grows by one every `fairness_step_hours` already
worked, counting `already_assigned_hours`), so work goes to whoever has worked least,
(3) then prefer reliable agents. The fill reward is set above the largest possible change in
the other terms along one augmenting path, so filling always wins (see `_fill_reward`).

Why these constraints and not "8 hours' rest between shifts" by default
-----------------------------------------------------------------------
With the constraints above the problem is a min-cost flow (source → agent → agent-day →
agent-time → slot → sink, the fairness segments as parallel source → agent arcs), so the
constraint matrix is totally unimodular: a basic optimal solution of the LP relaxation is
integral. HiGHS's dual simplex solves the 2,000-agent week that way in about 3 s, where its
MIP search over the same 100k binaries did not finish in a minute (numbers in
tests/perf/bench_matching.py). When slot lengths or caps are off the half-hour grid the LP
optimum can be fractional; then the exact MILP runs instead.

A minimum rest between shifts links every pair of nearby time points of an agent ("if you
stop at t you may not restart before t + rest"); that breaks the flow structure, and with
rows for every agent HiGHS found no solution for 2,000 agents in a minute. So the rule is
added lazily (`min_rest_between_shifts`): solve the flow, add rest rows for just the agents
whose schedule breaks the rule, solve again (now a MILP), repeat. Every round is an exact
relaxation of the full problem, so the first schedule that respects the rule everywhere is
optimal for the full problem; few agents ever need rows because the fairness steps already
spread shifts out.

Shift length is the caller's choice: nothing in a flow can reward contiguity, so with
half-hour slots the optimum scatters an agent's week into lone half hours. The shift planner
(agents/shifts.py) therefore passes blocks of several hours on a fixed grid
(`SHIFT_BLOCK_HOURS`), which makes every shift at least one block long.

`greedy_baseline` is kept for comparison, and as the fallback when the solver stops on its
time limit with nothing better.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy.optimize import LinearConstraint, linprog, milp
from scipy.sparse import coo_array

Window = tuple[datetime, datetime]

# Fairness in steps: an hour worked when the agent's week already holds h hours costs
# FAIRNESS_COST_PER_HOUR * (floor(h / step) + 1). Convex, so nobody gets hours in step k + 1
# while an eligible agent is still in step k. The step is the grain of "fair": with 1 h steps
# and plenty of supply the week was spread over 1,109 of 2,000 agents at 1.4 h each (mostly
# lone half hours); 4 h steps gave 354 agents 4.4 h each, for the same coverage.
DEFAULT_FAIRNESS_STEP_HOURS = 4.0
FAIRNESS_COST_PER_HOUR = 1.0
# Cost of an assignment per unit of unreliability (1 - reliability). Kept below the cost gap
# between two fairness steps for a half-hour slot (0.5) so that, assignment for assignment,
# spreading hours wins over reliability, as the objective's order says.
RELIABILITY_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class Slot:
    id: int
    starts_at: datetime
    ends_at: datetime
    language: str
    skill: str
    headcount: int

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class AgentSupply:
    id: int
    languages: frozenset[str]
    skills: frozenset[str]
    available: tuple[Window, ...]  # absolute UTC windows
    weekly_hour_cap: float
    reliability: float  # 0-1, share of past shifts worked as planned
    already_assigned_hours: float = 0
    busy: tuple[Window, ...] = ()


@dataclass(frozen=True, slots=True)
class Assignment:
    slot_id: int
    agent_id: int


@dataclass(frozen=True, slots=True)
class MatchResult:
    assignments: list[Assignment]
    coverage: dict[int, int]  # slot id → agents assigned (every slot present, 0 if none)
    filled: int
    required: int
    # True when the solver proved the fill/fairness/reliability objective optimal; False for
    # the greedy baseline and for a solver stopped by its time limit.
    proven_optimal: bool = False
    solver_seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())


def match_agents_to_slots(
    *,
    slots: Sequence[Slot],
    agents: Sequence[AgentSupply],
    max_hours_per_day: float = 8.0,
    min_rest_between_shifts: timedelta | None = None,
    fairness_step_hours: float = DEFAULT_FAIRNESS_STEP_HOURS,
    time_limit_seconds: float | None = 60.0,
) -> MatchResult:
    """Optimal assignment of agents to slots (see the module docstring for the model).

    Preconditions: datetimes are timezone-aware and in UTC (or at least all in one zone), slot
    and agent ids are unique, every slot ends after it starts.

    `fairness_step_hours`: the grain of the fairness penalty (see DEFAULT_FAIRNESS_STEP_HOURS).
    `min_rest_between_shifts`: when set, two separate shifts of an agent (maximal runs of
    back-to-back slots) must be at least that far apart. Exact but NP-hard: use it for
    small instances, with a time limit.
    `time_limit_seconds`: HiGHS stops there (roughly: its presolve does not always check the
    clock) and its best solution so far is returned with `proven_optimal=False`, or the greedy
    baseline's answer if that fills more or the solver has none.
    """
    _validate(slots=slots, agents=agents)
    if fairness_step_hours <= 0:
        raise ValueError("fairness_step_hours must be > 0")
    pairs = _eligible_pairs(slots=slots, agents=agents, max_hours_per_day=max_hours_per_day)
    if not pairs.agent_index.size:
        return _result(slots=slots, chosen=[], proven_optimal=True)

    # The rest rule is added lazily: solve without it (a min-cost flow, fast), then add rest
    # rows only for the agents whose schedule breaks it, and solve again, until no schedule
    # does. Each round solves a relaxation of the full problem exactly, so a solution that
    # respects the rule everywhere is optimal for the full problem. In practice few agents
    # need rows (the fairness steps already spread shifts), which is what lets the rule hold
    # at 2,000 agents where the all-rows MILP found nothing in a minute.
    started = time.perf_counter()
    rest_agents: set[int] = set()
    notes: tuple[str, ...] = ()
    while True:
        model = _build_model(
            slots=slots,
            agents=agents,
            pairs=pairs,
            max_hours_per_day=max_hours_per_day,
            min_rest=min_rest_between_shifts,
            rest_agents=rest_agents,
            fairness_step_hours=fairness_step_hours,
        )
        remaining = None
        if time_limit_seconds is not None:
            remaining = max(time_limit_seconds - (time.perf_counter() - started), 1.0)
        solution, proven_optimal, round_notes = _solve(
            model=model,
            n_pairs=pairs.agent_index.size,
            flow_structure=not rest_agents,
            time_limit_seconds=remaining,
        )
        notes = (*notes, *round_notes)
        chosen: list[tuple[int, int]] = []
        if solution is not None:
            taken = np.flatnonzero(solution[: pairs.agent_index.size] > 0.5)
            chosen = [
                (slots[pairs.slot_index[i]].id, agents[pairs.agent_index[i]].id)
                for i in taken.tolist()
            ]
        if min_rest_between_shifts is None or solution is None or not proven_optimal:
            break
        breaking = _agents_breaking_rest(
            slots=slots, agents=agents, chosen=chosen, min_rest=min_rest_between_shifts
        )
        if not breaking - rest_agents:
            break
        rest_agents |= breaking
        notes = (*notes, f"rest rows added for {len(breaking)} agents")
    solver_seconds = time.perf_counter() - started
    # Guard against a solver tolerance surprise: never return a schedule breaking the rule
    # (the greedy baseline below, which checks it slot by slot, replaces it).
    if (
        min_rest_between_shifts is not None
        and solution is not None
        and proven_optimal
        and _agents_breaking_rest(
            slots=slots, agents=agents, chosen=chosen, min_rest=min_rest_between_shifts
        )
    ):
        solution, chosen, proven_optimal = None, [], False
        notes = (*notes, "solver schedule broke the rest rule; discarded")
    if not proven_optimal:
        # Stopped early: the incumbent (if any) may be worse than first come, first served,
        # which costs a fraction of a second to check.
        fallback = greedy_baseline(
            slots=slots,
            agents=agents,
            max_hours_per_day=max_hours_per_day,
            min_rest_between_shifts=min_rest_between_shifts,
        )
        if solution is None or fallback.filled > len(chosen):
            chosen = [(a.slot_id, a.agent_id) for a in fallback.assignments]
            notes = (*notes, "greedy baseline used: it filled more than the solver's incumbent")
    return _result(
        slots=slots,
        chosen=chosen,
        proven_optimal=proven_optimal,
        solver_seconds=solver_seconds,
        notes=notes,
    )


def greedy_baseline(
    *,
    slots: Sequence[Slot],
    agents: Sequence[AgentSupply],
    max_hours_per_day: float = 8.0,
    min_rest_between_shifts: timedelta | None = None,
    fairness_step_hours: float = DEFAULT_FAIRNESS_STEP_HOURS,  # accepted, unused: no objective
    time_limit_seconds: float | None = None,  # accepted for a like-for-like call; unused
) -> MatchResult:
    """First come, first served: slots in start order, each filled by the first free agents.

    Same rules as `match_agents_to_slots` (eligibility, no overlap, daily and weekly caps,
    optional rest) but no look-ahead: a bilingual agent taken for an English slot is gone for
    the Spanish slot at the same time that only they could have covered.
    """
    del fairness_step_hours, time_limit_seconds
    _validate(slots=slots, agents=agents)
    held: dict[int, list[Window]] = defaultdict(list)
    hours_by_day: dict[tuple[int, object], float] = defaultdict(float)
    hours_total: dict[int, float] = defaultdict(float)
    chosen: list[tuple[int, int]] = []
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.ends_at, s.id)):
        taken = 0
        day = slot.starts_at.date()
        for agent in agents:
            if taken >= slot.headcount:
                break
            if not _is_eligible(agent=agent, slot=slot):
                continue
            if hours_by_day[(agent.id, day)] + slot.hours > max_hours_per_day + 1e-9:
                continue
            remaining = agent.weekly_hour_cap - agent.already_assigned_hours
            if hours_total[agent.id] + slot.hours > remaining + 1e-9:
                continue
            window = (slot.starts_at, slot.ends_at)
            if any(_overlaps(window, other) for other in held[agent.id]):
                continue
            if min_rest_between_shifts is not None and not rest_is_respected(
                windows=[*held[agent.id], window], min_rest=min_rest_between_shifts
            ):
                continue
            held[agent.id].append(window)
            hours_by_day[(agent.id, day)] += slot.hours
            hours_total[agent.id] += slot.hours
            chosen.append((slot.id, agent.id))
            taken += 1
    return _result(slots=slots, chosen=chosen, proven_optimal=False)


def _agents_breaking_rest(
    *,
    slots: Sequence[Slot],
    agents: Sequence[AgentSupply],
    chosen: Sequence[tuple[int, int]],
    min_rest: timedelta,
) -> set[int]:
    """Indexes (into `agents`) of the agents whose chosen slots break the rest rule."""
    slot_by_id = {slot.id: slot for slot in slots}
    index_of = {agent.id: a for a, agent in enumerate(agents)}
    windows: dict[int, list[Window]] = defaultdict(list)
    for slot_id, agent_id in chosen:
        slot = slot_by_id[slot_id]
        windows[agent_id].append((slot.starts_at, slot.ends_at))
    return {
        index_of[agent_id]
        for agent_id, held in windows.items()
        if not rest_is_respected(windows=held, min_rest=min_rest)
    }


def rest_is_respected(*, windows: Sequence[Window], min_rest: timedelta) -> bool:
    """Whether the gaps between separate shifts made of these (non-overlapping) windows are at
    least `min_rest`; windows that touch end to start form one shift."""
    ordered = sorted(windows)
    for previous, following in zip(ordered, ordered[1:], strict=False):
        gap = following[0] - previous[1]
        if timedelta(0) < gap < min_rest:
            return False
    return True


# --- internals -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pairs:
    agent_index: np.ndarray  # int, index into agents
    slot_index: np.ndarray  # int, index into slots


@dataclass(frozen=True, slots=True)
class _Model:
    costs: np.ndarray
    integrality: np.ndarray
    bounds: tuple[np.ndarray, np.ndarray]
    constraints: LinearConstraint


def _validate(*, slots: Sequence[Slot], agents: Sequence[AgentSupply]) -> None:
    if len({slot.id for slot in slots}) != len(slots):
        raise ValueError("slot ids must be unique")
    if len({agent.id for agent in agents}) != len(agents):
        raise ValueError("agent ids must be unique")
    for slot in slots:
        if slot.ends_at <= slot.starts_at:
            raise ValueError(f"slot {slot.id} must end after it starts")
        if slot.headcount < 0:
            raise ValueError(f"slot {slot.id} has a negative headcount")


def _overlaps(first: Window, second: Window) -> bool:
    return first[0] < second[1] and second[0] < first[1]


def _is_eligible(*, agent: AgentSupply, slot: Slot) -> bool:
    if slot.headcount <= 0:
        return False
    if slot.language not in agent.languages or slot.skill not in agent.skills:
        return False
    if not any(start <= slot.starts_at and slot.ends_at <= end for start, end in agent.available):
        return False
    window = (slot.starts_at, slot.ends_at)
    return not any(_overlaps(window, busy) for busy in agent.busy)


def _eligible_pairs(
    *, slots: Sequence[Slot], agents: Sequence[AgentSupply], max_hours_per_day: float
) -> _Pairs:
    # Index slots by (language, skill) and start time so that each availability window looks
    # up its candidate slots by bisection instead of scanning the whole week: O(pairs + agents
    # × windows × log slots) rather than O(agents × slots).
    by_kind: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, slot in enumerate(slots):
        if slot.headcount > 0 and slot.hours <= max_hours_per_day + 1e-9:
            by_kind[(slot.language, slot.skill)].append(index)
    starts_by_kind: dict[tuple[str, str], list[datetime]] = {}
    for kind, indexes in by_kind.items():
        indexes.sort(key=lambda i: slots[i].starts_at)
        starts_by_kind[kind] = [slots[i].starts_at for i in indexes]

    agent_index: list[int] = []
    slot_index: list[int] = []
    for a, agent in enumerate(agents):
        remaining = agent.weekly_hour_cap - agent.already_assigned_hours
        if remaining <= 0:
            continue
        seen: set[int] = set()
        for language in agent.languages:
            for skill in agent.skills:
                indexes = by_kind.get((language, skill))
                if not indexes:
                    continue
                starts = starts_by_kind[(language, skill)]
                for window_start, window_end in agent.available:
                    lo = bisect_left(starts, window_start)
                    hi = bisect_right(starts, window_end)
                    for s in indexes[lo:hi]:
                        slot = slots[s]
                        if s in seen or slot.ends_at > window_end or slot.hours > remaining:
                            continue
                        window = (slot.starts_at, slot.ends_at)
                        if any(_overlaps(window, busy) for busy in agent.busy):
                            continue
                        seen.add(s)
                        agent_index.append(a)
                        slot_index.append(s)
    return _Pairs(
        agent_index=np.asarray(agent_index, dtype=np.int64),
        slot_index=np.asarray(slot_index, dtype=np.int64),
    )


class _Rows:
    """Sparse constraint rows collected as COO triplets, with their bounds."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, *, cols: Sequence[int], vals: Sequence[float], lower: float, upper: float):
        row = len(self.lower)
        self.rows.append(np.full(len(cols), row, dtype=np.int64))
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.asarray(vals, dtype=np.float64))
        self.lower.append(lower)
        self.upper.append(upper)

    def constraint(self, *, n_vars: int) -> LinearConstraint:
        matrix = coo_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(len(self.lower), n_vars),
        ).tocsr()
        return LinearConstraint(matrix, np.asarray(self.lower), np.asarray(self.upper))


def _fairness_segments(
    *, already: float, top: float, step_hours: float
) -> list[tuple[float, float]]:
    """(width in hours, cost per hour) of each fairness step between `already` and `top`."""
    segments = []
    low = already
    while low < top - 1e-9:
        step = math.floor(low / step_hours + 1e-9)
        high = min((step + 1) * step_hours, top)
        segments.append((high - low, FAIRNESS_COST_PER_HOUR * (step + 1)))
        low = high
    return segments


def _fill_reward(*, max_assignment_penalty: float, n_slots: int) -> float:
    # Lexicographic order through weights. Without the rest rule the model is a min-cost flow;
    # if an optimum left a fillable unit empty, there would be an augmenting path adding one
    # unit. That path adds fill reward W, one fairness step (≤ max_assignment_penalty) and at
    # most one reliability term per slot it visits (≤ RELIABILITY_WEIGHT each); with W above
    # their sum the path would improve the objective, a contradiction. So every optimum has
    # the maximum fill.
    return 1.0 + max_assignment_penalty + RELIABILITY_WEIGHT * (n_slots + 1)


def _build_model(
    *,
    slots: Sequence[Slot],
    agents: Sequence[AgentSupply],
    pairs: _Pairs,
    max_hours_per_day: float,
    min_rest: timedelta | None,
    rest_agents: set[int],
    fairness_step_hours: float,
) -> _Model:
    n_pairs = pairs.agent_index.size
    slot_hours = np.asarray([slot.hours for slot in slots])
    pair_hours = slot_hours[pairs.slot_index]
    rows = _Rows()

    # (1) headcount per slot
    order = np.argsort(pairs.slot_index, kind="stable")
    slot_sorted = pairs.slot_index[order]
    boundaries = np.flatnonzero(np.diff(slot_sorted)) + 1
    for group in np.split(order, boundaries):
        slot = slots[pairs.slot_index[group[0]]]
        if group.size > slot.headcount:
            rows.add(cols=group, vals=np.ones(group.size), lower=-np.inf, upper=slot.headcount)

    # Per agent: its pair indexes, in slot start order.
    order = np.lexsort((pairs.slot_index, pairs.agent_index))
    agent_sorted = pairs.agent_index[order]
    boundaries = np.flatnonzero(np.diff(agent_sorted)) + 1
    segment_widths: list[float] = []
    segment_costs: list[float] = []
    for group in np.split(order, boundaries):
        a = int(pairs.agent_index[group[0]])
        agent = agents[a]
        mine = sorted(group.tolist(), key=lambda i: (slots[pairs.slot_index[i]].starts_at, i))
        windows = [
            (slots[pairs.slot_index[i]].starts_at, slots[pairs.slot_index[i]].ends_at) for i in mine
        ]

        # (2) no two overlapping slots: one row per maximal clique of the interval graph,
        # i.e. per distinct start time, over the slots running at that instant. On a
        # half-hour grid that is "one slot per agent per half hour".
        for clique in _overlap_cliques(windows):
            if len(clique) > 1:
                cols = [mine[k] for k in clique]
                rows.add(cols=cols, vals=np.ones(len(cols)), lower=-np.inf, upper=1.0)

        # (3) daily cap, only where the agent could exceed it
        by_day: dict[object, list[int]] = defaultdict(list)
        for k, i in enumerate(mine):
            by_day[windows[k][0].date()].append(i)
        daily_top = 0.0
        for day_pairs in by_day.values():
            offered = _max_hours_without_overlap(
                [
                    (slots[pairs.slot_index[i]].starts_at, slots[pairs.slot_index[i]].ends_at)
                    for i in day_pairs
                ]
            )
            if offered > max_hours_per_day + 1e-9:
                rows.add(
                    cols=day_pairs,
                    vals=pair_hours[day_pairs],
                    lower=-np.inf,
                    upper=max_hours_per_day,
                )
            daily_top += min(offered, max_hours_per_day)

        # (4) weekly cap and fairness: the agent's hours are split into convex steps whose
        # widths add up to the hours they may still take.
        remaining = agent.weekly_hour_cap - agent.already_assigned_hours
        top = agent.already_assigned_hours + min(remaining, daily_top)
        first_segment = n_pairs + len(segment_widths)
        for width, cost in _fairness_segments(
            already=agent.already_assigned_hours, top=top, step_hours=fairness_step_hours
        ):
            segment_widths.append(width)
            segment_costs.append(cost)
        n_segments = n_pairs + len(segment_widths) - first_segment
        segment_cols = np.arange(first_segment, first_segment + n_segments)
        rows.add(
            cols=[*mine, *segment_cols.tolist()],
            vals=[*pair_hours[mine].tolist(), *([-1.0] * n_segments)],
            lower=0.0,
            upper=0.0,
        )

        # (5) optional rest between shifts: if a shift ends with slot i (no slot of the agent
        # starts when i ends), no slot may start less than `min_rest` after i ends.
        if min_rest is not None and a in rest_agents:
            _add_rest_rows(rows=rows, mine=mine, windows=windows, min_rest=min_rest)

    n_vars = n_pairs + len(segment_widths)
    reliability = np.asarray([min(max(agent.reliability, 0.0), 1.0) for agent in agents])
    if not rest_agents:
        reward = _fill_reward(
            max_assignment_penalty=max(segment_costs, default=0.0) * float(pair_hours.max()),
            n_slots=len(slots),
        )
    else:
        # The rest rows break the flow structure behind _fill_reward's bound; fall back to
        # a reward above every other term of any solution added up.
        reward = 1.0 + float(np.dot(segment_widths, segment_costs)) + RELIABILITY_WEIGHT * n_pairs
    costs = np.concatenate(
        [
            -reward + RELIABILITY_WEIGHT * (1.0 - reliability[pairs.agent_index]),
            np.asarray(segment_costs, dtype=np.float64),
        ]
    )
    integrality = np.concatenate(
        [np.ones(n_pairs, dtype=np.int8), np.zeros(len(segment_widths), dtype=np.int8)]
    )
    lower = np.zeros(n_vars)
    upper = np.concatenate([np.ones(n_pairs), np.asarray(segment_widths, dtype=np.float64)])
    return _Model(
        costs=costs,
        integrality=integrality,
        bounds=(lower, upper),
        constraints=rows.constraint(n_vars=n_vars),
    )


def _solve(
    *,
    model: _Model,
    n_pairs: int,
    flow_structure: bool,
    time_limit_seconds: float | None,
) -> tuple[np.ndarray | None, bool, tuple[str, ...]]:
    """(solution or None, proven optimal, notes) from HiGHS."""
    deadline = None if time_limit_seconds is None else time.perf_counter() + time_limit_seconds
    notes: list[str] = []
    if flow_structure:
        # The matrix is totally unimodular (a min-cost flow), so a basic optimal solution of
        # the LP relaxation is already integral. Dual simplex returns a basic solution; it
        # solves the 2,000-agent week in seconds where HiGHS's MIP machinery (presolve,
        # probing, cuts over 100k binaries) did not finish in a minute.
        matrix = model.constraints.A
        upper = model.constraints.ub
        equality = model.constraints.lb == upper
        options: dict[str, object] = {"presolve": True}
        if time_limit_seconds is not None:
            options["time_limit"] = time_limit_seconds
        res = linprog(
            model.costs,
            A_ub=matrix[~equality],
            b_ub=upper[~equality],
            A_eq=matrix[equality],
            b_eq=upper[equality],
            bounds=np.column_stack(model.bounds),
            method="highs-ds",
            options=options,
        )
        if res.status == 0:
            values = res.x[:n_pairs]
            if np.all(np.abs(values - np.round(values)) <= 1e-6):
                return res.x, True, ()
            # Caps or slot lengths off the half-hour grid can make vertices fractional.
            notes.append("LP optimum fractional; solved as a MILP")
        elif res.status == 1:
            return None, False, (f"LP stopped: {res.message}",)
        else:
            notes.append(f"LP failed: {res.message}")

    options = {"disp": False, "presolve": True, "mip_rel_gap": 0.0}
    if deadline is not None:
        options["time_limit"] = max(deadline - time.perf_counter(), 1.0)
    res = milp(
        model.costs,
        integrality=model.integrality,
        bounds=model.bounds,
        constraints=model.constraints,
        options=options,
    )
    if res.status != 0:
        notes.append(f"MILP stopped: {res.message}")
    return res.x, res.status == 0, tuple(notes)


def _overlap_cliques(windows: Sequence[Window]) -> list[list[int]]:
    """Indexes (into `windows`, sorted by start) of the windows running at each distinct start."""
    cliques: list[list[int]] = []
    active: list[int] = []
    k = 0
    while k < len(windows):
        start = windows[k][0]
        active = [j for j in active if windows[j][1] > start]
        while k < len(windows) and windows[k][0] == start:
            active.append(k)
            k += 1
        cliques.append(list(active))
    return cliques


def _max_hours_without_overlap(windows: Sequence[Window]) -> float:
    """Most hours one agent could work among these windows (weighted interval scheduling)."""
    ordered = sorted(set(windows), key=lambda w: w[1])
    ends = [w[1] for w in ordered]
    best = [0.0] * (len(ordered) + 1)
    for k, (start, end) in enumerate(ordered):
        previous = bisect_right(ends, start, hi=k)
        best[k + 1] = max(best[k], best[previous] + (end - start).total_seconds() / 3600)
    return best[-1]


def _add_rest_rows(
    *, rows: _Rows, mine: Sequence[int], windows: Sequence[Window], min_rest: timedelta
) -> None:
    # y_i - Σ{y_k : k starts when i ends} + y_j ≤ 1 for every j starting in (end_i, end_i +
    # rest): if i is worked, nothing continues it and j is worked, the rest is too short.
    # Checking the last slot of each shift is enough, so pairs farther apart need no row.
    starts = [w[0] for w in windows]
    for k, (_, end) in enumerate(windows):
        continuing = [mine[j] for j in range(bisect_left(starts, end), bisect_right(starts, end))]
        first = bisect_right(starts, end)
        last = bisect_left(starts, end + min_rest)
        for j in range(first, last):
            cols = [mine[k], *continuing, mine[j]]
            vals = [1.0, *([-1.0] * len(continuing)), 1.0]
            rows.add(cols=cols, vals=vals, lower=-np.inf, upper=1.0)


def _result(
    *,
    slots: Sequence[Slot],
    chosen: list[tuple[int, int]],
    proven_optimal: bool,
    solver_seconds: float = 0.0,
    notes: tuple[str, ...] = (),
) -> MatchResult:
    start_of = {slot.id: slot.starts_at for slot in slots}
    chosen.sort(key=lambda pair: (start_of[pair[0]], pair[0], pair[1]))
    coverage = {slot.id: 0 for slot in slots}
    for slot_id, _ in chosen:
        coverage[slot_id] += 1
    return MatchResult(
        assignments=[Assignment(slot_id=s, agent_id=a) for s, a in chosen],
        coverage=coverage,
        filled=sum(coverage.values()),
        required=sum(max(slot.headcount, 0) for slot in slots),
        proven_optimal=proven_optimal,
        solver_seconds=solver_seconds,
        notes=notes,
    )
