"""Two staff deciding the same proposal at once: exactly one decision stands, and a suspension
is applied once. Real threads; on PostgreSQL (DATABASE_URL) the conditional UPDATE and the
agent's row lock are what is being proven."""

import threading

import pytest
from django.db import connections

from agents.models import Agent, AgentStatusEvent
from quality.consequences import ConsequenceError, consequence_decide
from quality.models import ConsequenceProposal
from tests.factories import ConsequenceProposalFactory, UserFactory

DECIDERS = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_of_staff_deciding_a_proposal_at_once_exactly_one_decision_stands():
    proposal = ConsequenceProposalFactory(kind=ConsequenceProposal.Kind.SUSPENSION)
    staff = [UserFactory(is_staff=True) for _ in range(DECIDERS)]
    start = threading.Barrier(DECIDERS)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def decide(n: int) -> None:
        try:
            start.wait(timeout=30)
            consequence_decide(
                proposal_id=proposal.pk,
                decided_by=staff[n],
                accept=n % 2 == 0,
                reason=f"decider {n}",
            )
            outcome = "decided"
        except ConsequenceError:
            outcome = "refused"
        except BaseException as error:  # surfaced below
            errors.append(error)
            return
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(DECIDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sorted(outcomes) == ["decided"] + ["refused"] * (DECIDERS - 1)
    proposal.refresh_from_db()
    winner = int(proposal.decision_reason.split()[-1])
    accepted = proposal.status == ConsequenceProposal.Status.ACCEPTED
    assert accepted == (winner % 2 == 0)
    agent = Agent.objects.get(pk=proposal.agent_id)
    assert agent.status == (Agent.Status.SUSPENDED if accepted else Agent.Status.ACTIVE)
    assert AgentStatusEvent.objects.filter(agent=agent).count() == (1 if accepted else 0)
