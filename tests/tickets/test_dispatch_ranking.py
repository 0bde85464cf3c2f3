"""The dispatcher's ranking, on tables of cases: which ticket goes first, which agents may
take it, and which of them is offered it. Pure Python: no database."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from tickets.dispatch_ranking import (
    FAIRNESS_STEP_SECONDS,
    Candidate,
    is_eligible,
    rank_agents,
    rank_tickets,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
URGENT, HIGH, NORMAL, LOW = 4, 3, 2, 1


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


@dataclass
class T:
    pk: int
    priority: int = NORMAL
    escalated_at: datetime | None = None
    language: str = "en"
    required_skills: list[str] | None = None
    is_vip: bool = False
    preferred_agent_id: int | None = None

    def __post_init__(self):
        self.required_skills = self.required_skills or []


def agent(agent_id: int, **fields) -> Candidate:
    defaults = {
        "languages": frozenset({"en"}),
        "skills": frozenset({"general"}),
        "capacity": 3,
        "open_chats": 0,
    }
    return Candidate(agent_id=agent_id, **(defaults | fields))


# --- Tickets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tickets", "expected"),
    [
        pytest.param(
            [T(1, NORMAL, ago(600)), T(2, URGENT, ago(5)), T(3, HIGH, ago(60))],
            [2, 3, 1],
            id="urgent before high before normal, however long the others waited",
        ),
        pytest.param(
            [T(1, HIGH, ago(10)), T(2, HIGH, ago(90)), T(3, HIGH, ago(30))],
            [2, 3, 1],
            id="same priority: the longest wait first",
        ),
        pytest.param(
            [T(7, NORMAL, ago(30)), T(4, NORMAL, ago(30))],
            [4, 7],
            id="same priority and wait: the older ticket first",
        ),
        pytest.param(
            [T(1, LOW, ago(3600)), T(2, NORMAL, ago(1))],
            [2, 1],
            id="low priority waits behind normal",
        ),
        pytest.param(
            [T(1, NORMAL, None), T(2, NORMAL, ago(1))],
            [2, 1],
            id="a ticket without an escalation time goes last in its priority",
        ),
    ],
)
def test_tickets_are_offered_by_priority_then_waiting_time(tickets, expected):
    assert [ticket.pk for ticket in rank_tickets(tickets)] == expected


# --- Who may be offered a ticket ------------------------------------------------------------

BILLING_IN_ENGLISH = T(1, required_skills=["billing"])


@pytest.mark.parametrize(
    ("candidate", "eligible"),
    [
        pytest.param(agent(1, skills=frozenset({"billing"})), True, id="speaks it, has the skill"),
        pytest.param(
            agent(1, skills=frozenset({"billing", "tech"})), True, id="more skills than needed"
        ),
        pytest.param(
            agent(1, languages=frozenset({"de", "en"}), skills=frozenset({"billing"})),
            True,
            id="one of its languages",
        ),
        pytest.param(
            agent(1, languages=frozenset({"de"}), skills=frozenset({"billing"})),
            False,
            id="another language",
        ),
        pytest.param(agent(1), False, id="lacks a required skill"),
        pytest.param(
            agent(1, skills=frozenset({"billing"}), open_chats=3, capacity=3),
            False,
            id="no free slot",
        ),
        pytest.param(
            agent(1, skills=frozenset({"billing"}), open_chats=2, capacity=3),
            True,
            id="one free slot",
        ),
        pytest.param(agent(1, skills=frozenset({"billing"}), online=False), False, id="offline"),
        pytest.param(agent(1, skills=frozenset({"billing"}), available=False), False, id="away"),
        pytest.param(
            agent(1, skills=frozenset({"billing"}), may_work=False), False, id="not active"
        ),
    ],
)
def test_only_eligible_agents_are_ranked(candidate, eligible):
    assert is_eligible(BILLING_IN_ENGLISH, candidate) is eligible
    assert (rank_agents(BILLING_IN_ENGLISH, [candidate], NOW) == [candidate]) is eligible


def test_a_ticket_needing_no_skill_may_go_to_any_speaker_of_its_language():
    ticket = T(1, required_skills=[])

    ranked = rank_agents(ticket, [agent(1, skills=frozenset()), agent(2)], NOW)

    assert [candidate.agent_id for candidate in ranked] == [1, 2]


# --- Which agent first ------------------------------------------------------------------------

STEP = FAIRNESS_STEP_SECONDS


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        pytest.param(
            [agent(1, open_chats=2, last_offered_at=None), agent(2, open_chats=1)],
            [2, 1],
            id="fewest open chats first, even against an agent never offered anything",
        ),
        pytest.param(
            [agent(1, last_offered_at=ago(30)), agent(2, last_offered_at=ago(300))],
            [2, 1],
            id="same load: the longest since its last offer first",
        ),
        pytest.param(
            [agent(1, last_offered_at=ago(30)), agent(2)],
            [2, 1],
            id="never offered counts as the longest",
        ),
        pytest.param(
            [
                agent(1, last_offered_at=ago(300), last_assigned_at=ago(10)),
                agent(2, last_offered_at=ago(60)),
            ],
            [2, 1],
            id="an assignment counts as much as an offer: the later of the two",
        ),
        pytest.param(
            [
                agent(1, last_offered_at=ago(STEP * 10), acceptance_rate=0.2),
                agent(2, last_offered_at=ago(STEP * 2), acceptance_rate=1.0),
            ],
            [1, 2],
            id="fairness before acceptance rate when they are steps apart",
        ),
        pytest.param(
            [
                agent(1, last_offered_at=ago(STEP * 4 + 1), acceptance_rate=0.5),
                agent(2, last_offered_at=ago(STEP * 4 + 3), acceptance_rate=0.9),
            ],
            [2, 1],
            id="within one fairness step the higher acceptance rate first",
        ),
        pytest.param(
            [
                agent(1, acceptance_rate=0.8, rating=4.1),
                agent(2, acceptance_rate=0.8, rating=4.9),
            ],
            [2, 1],
            id="same acceptance rate: the higher rating first",
        ),
        pytest.param(
            [agent(1, acceptance_rate=0.9, rating=3.0), agent(2, acceptance_rate=0.8, rating=5)],
            [1, 2],
            id="acceptance rate before rating",
        ),
        pytest.param(
            [agent(1, acceptance_rate=None), agent(2, acceptance_rate=0.1)],
            [2, 1],
            id="an acceptance rate, however low, before none",
        ),
        pytest.param(
            [agent(1, rating=None), agent(2, rating=1.0)],
            [2, 1],
            id="a rating, however low, before none",
        ),
        pytest.param(
            [agent(9), agent(3), agent(5)],
            [3, 5, 9],
            id="all else equal: by id, so a round is repeatable",
        ),
        pytest.param(
            [
                agent(1, open_chats=1, last_offered_at=ago(600), acceptance_rate=1.0),
                agent(2, open_chats=0, last_offered_at=ago(10), acceptance_rate=0.1),
                agent(3, open_chats=0, last_offered_at=ago(120), acceptance_rate=0.5),
                agent(4, open_chats=3, capacity=3),
            ],
            [3, 2, 1],
            id="load, then fairness, then the rest; the full agent left out",
        ),
    ],
)
def test_agents_are_ranked_by_load_then_fairness_then_acceptance_and_rating(candidates, expected):
    ranked = rank_agents(T(1, required_skills=["general"]), candidates, NOW)

    assert [candidate.agent_id for candidate in ranked] == expected


def test_ranking_does_not_depend_on_the_order_agents_are_given_in():
    candidates = [
        agent(1, last_offered_at=ago(40), rating=4.0),
        agent(2, open_chats=1),
        agent(3, last_offered_at=ago(40), rating=4.5),
        agent(4),
    ]

    forwards = rank_agents(T(1), candidates, NOW)
    backwards = rank_agents(T(1), list(reversed(candidates)), NOW)

    assert [c.agent_id for c in forwards] == [c.agent_id for c in backwards] == [4, 3, 1, 2]


def test_an_agent_offered_a_moment_ago_goes_behind_one_that_waited_a_step_longer():
    just_offered = agent(1, last_offered_at=NOW, acceptance_rate=1.0, rating=5.0)
    waited = replace(just_offered, agent_id=2, last_offered_at=ago(STEP))

    ranked = rank_agents(T(1), [just_offered, waited], NOW)

    assert [candidate.agent_id for candidate in ranked] == [2, 1]


# --- Quality: the score, and the tier for VIP and urgent tickets ------------------------------

PROBATION, STANDARD, EXPERT = "probation", "standard", "expert"


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        pytest.param(
            [agent(1, quality_score=70, acceptance_rate=1.0), agent(2, quality_score=90)],
            [2, 1],
            id="within one fairness step the higher score first, before the acceptance rate",
        ),
        pytest.param(
            [agent(1, quality_score=None), agent(2, quality_score=10)],
            [2, 1],
            id="a score, however low, before none",
        ),
        pytest.param(
            [
                agent(1, last_offered_at=ago(STEP * 10), quality_score=40),
                agent(2, last_offered_at=ago(STEP * 2), quality_score=99),
            ],
            [1, 2],
            id="fairness before the score when they are steps apart",
        ),
        pytest.param(
            [agent(1, quality_score=80, rating=3.0), agent(2, quality_score=80, rating=5.0)],
            [2, 1],
            id="same score: acceptance rate and rating still break the tie",
        ),
        pytest.param(
            [
                agent(1, quality_tier=PROBATION, quality_score=90),
                agent(2, quality_tier=EXPERT, quality_score=60),
            ],
            [1, 2],
            id="for a normal ticket the tier makes no difference",
        ),
    ],
)
def test_the_quality_score_breaks_ties_within_a_fairness_step(candidates, expected):
    ranked = rank_agents(T(1), candidates, NOW)

    assert [candidate.agent_id for candidate in ranked] == expected


@pytest.mark.parametrize(
    ("ticket", "candidates", "expected"),
    [
        pytest.param(
            T(1, is_vip=True),
            [agent(1, quality_tier=PROBATION), agent(2, quality_tier=STANDARD, open_chats=2)],
            [2],
            id="VIP: a standard agent, even a busier one, rather than one on probation",
        ),
        pytest.param(
            T(1, URGENT),
            [agent(1, quality_tier=PROBATION, quality_score=99), agent(2, quality_tier=EXPERT)],
            [2],
            id="urgent: an expert rather than one on probation, whatever its score",
        ),
        pytest.param(
            T(1, HIGH, is_vip=True),
            [agent(3, quality_tier=EXPERT), agent(2, quality_tier=STANDARD)],
            [2, 3],
            id="standard and expert alike are ranked as usual",
        ),
        pytest.param(
            T(1, is_vip=True),
            [agent(1, quality_tier=PROBATION), agent(2, quality_tier=STANDARD, open_chats=3)],
            [1],
            id="VIP: the agent on probation when no standard or expert agent has a free slot",
        ),
        pytest.param(
            T(1, URGENT, required_skills=["fraud"]),
            [
                agent(1, quality_tier=PROBATION, skills=frozenset({"fraud"})),
                agent(2, quality_tier=EXPERT),
            ],
            [1],
            id="urgent: the agent on probation when it is the only one who can take it",
        ),
        pytest.param(
            T(1, URGENT),
            [
                agent(1, quality_tier=PROBATION),
                agent(2, quality_tier=STANDARD, available=False),
                agent(3, quality_tier=EXPERT, online=False),
            ],
            [1],
            id="urgent: the agent on probation when the others are away or offline",
        ),
        pytest.param(
            T(1, HIGH),
            [agent(1, quality_tier=PROBATION), agent(2, quality_tier=STANDARD)],
            [1, 2],
            id="high but not VIP: the tier makes no difference",
        ),
    ],
)
def test_vip_and_urgent_tickets_go_to_standard_and_expert_agents_first(
    ticket, candidates, expected
):
    ranked = rank_agents(ticket, candidates, NOW)

    assert [candidate.agent_id for candidate in ranked] == expected


# --- A reopened ticket: the agent who resolved it first, when eligible ------------------------


@pytest.mark.parametrize(
    ("preferred", "candidates", "expected"),
    [
        pytest.param(
            3,
            [agent(1), agent(2), agent(3, open_chats=2)],
            [3, 1, 2],
            id="the resolver first, though busier than the others",
        ),
        pytest.param(
            3,
            [agent(1), agent(2), agent(3, online=False)],
            [1, 2],
            id="an offline resolver: the normal order",
        ),
        pytest.param(
            3,
            [agent(1), agent(3, available=False)],
            [1],
            id="a resolver set away: the normal order",
        ),
        pytest.param(
            3,
            [agent(1), agent(3, open_chats=3)],
            [1],
            id="a resolver with no free slot: the normal order",
        ),
        pytest.param(
            3,
            [agent(1), agent(3, languages=frozenset({"de"}))],
            [1],
            id="a resolver who no longer speaks the language: the normal order",
        ),
        pytest.param(
            3,
            [agent(1), agent(3, skills=frozenset())],
            [1],
            id="a resolver without the skills: the normal order",
        ),
        pytest.param(
            9,
            [agent(2, open_chats=1), agent(1)],
            [1, 2],
            id="a resolver who is not a candidate: the normal order",
        ),
        pytest.param(
            None,
            [agent(2, open_chats=1), agent(1)],
            [1, 2],
            id="never reopened: the normal order",
        ),
    ],
)
def test_a_reopened_ticket_is_offered_first_to_its_resolver_when_eligible(
    preferred, candidates, expected
):
    ticket = T(1, required_skills=["general"], preferred_agent_id=preferred)

    ranked = rank_agents(ticket, candidates, NOW)

    assert [candidate.agent_id for candidate in ranked] == expected
