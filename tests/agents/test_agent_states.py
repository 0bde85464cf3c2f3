"""The agent state machine: every transition allowed and every one refused, the onboarding
services that drive it, where each status sends the agent next, and who may open the agent
socket (docs/agents.md)."""

from __future__ import annotations

import itertools

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.core.exceptions import ValidationError

from agents import onboarding
from agents.models import Agent, AgentStatusEvent
from agents.services import ALLOWED_AGENT_TRANSITIONS, AgentTransitionError, agent_transition
from tests.agents.onboarding_support import applicant, make_quiz, quiz_post
from tests.factories import AgentFactory, QueuedTicketFactory, UserFactory
from tests.tickets.wsclient import open_agent
from tickets import services as ticket_services
from tickets.models import Ticket

S = Agent.Status
ALL_PAIRS = list(itertools.product(S.values, S.values))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in ALLOWED_AGENT_TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in ALLOWED_AGENT_TRANSITIONS[a]]


# --- The map itself ------------------------------------------------------------------------


def test_the_documented_transitions_are_exactly_the_map():
    assert sorted(ALLOWED) == sorted(
        [
            ("applied", "email_verified"),
            ("applied", "rejected"),
            ("email_verified", "training"),
            ("email_verified", "rejected"),
            ("training", "awaiting_review"),
            ("training", "rejected"),
            ("awaiting_review", "approved"),
            ("awaiting_review", "rejected"),
            ("awaiting_review", "training"),
            ("approved", "active"),
            ("approved", "suspended"),
            ("active", "suspended"),
            ("suspended", "active"),
            ("suspended", "approved"),
            ("suspended", "rejected"),
        ]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids="{0[0]}->{0[1]}".format)
def test_an_allowed_transition_changes_the_status_with_an_audit_row(from_status, to_status):
    agent = applicant(from_status)
    admin = UserFactory(is_staff=True)

    agent_transition(agent_id=agent.pk, to_status=to_status, actor=admin, reason="checked")

    agent.refresh_from_db()
    assert agent.status == to_status
    event = AgentStatusEvent.objects.get(agent=agent)
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        from_status,
        to_status,
        admin,
        "checked",
    )
    assert event.created_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), REFUSED, ids="{0[0]}->{0[1]}".format)
def test_any_other_transition_is_refused_and_leaves_no_trace(from_status, to_status):
    agent = applicant(from_status)

    with pytest.raises(AgentTransitionError, match="cannot become"):
        agent_transition(agent_id=agent.pk, to_status=to_status, actor=None, reason="")

    agent.refresh_from_db()
    assert agent.status == from_status
    assert AgentStatusEvent.objects.count() == 0


# --- The services that drive it ------------------------------------------------------------


@pytest.mark.django_db
def test_the_whole_way_from_applying_to_working_is_audited_step_by_step(
    django_capture_on_commit_callbacks,
):
    questions = make_quiz(5)
    admin = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        agent = onboarding.agent_apply(
            email="kofi@example.com",
            password="orchard-Lantern-47-violet",
            first_name="Kofi",
            segment="rural",
            country="GH",
            time_zone="Africa/Accra",
            languages=["en"],
            skills=["technical"],
            weekly_availability={"wed": [["08:00", "12:00"]]},
            motivation="I fix my whole village's phones.",
        )
    onboarding.agent_verify_email(token=onboarding.email_verification_token(agent))
    onboarding.agent_start_training(agent_id=agent.pk)
    answers = {int(k[1:]): int(v) for k, v in quiz_post(questions, correct=5).items()}
    onboarding.quiz_attempt_submit(agent_id=agent.pk, answers=answers)
    onboarding.agent_approve(agent_id=agent.pk, actor=admin, reason="Strong answers")
    onboarding.agent_accept_code_of_conduct(agent_id=agent.pk)

    agent.refresh_from_db()
    assert agent.status == S.ACTIVE
    assert agent.may_work
    assert onboarding.next_step_url(agent) is None
    assert [
        (e.from_status, e.to_status, e.actor_id == admin.pk)
        for e in AgentStatusEvent.objects.filter(agent=agent)
    ] == [
        ("applied", "email_verified", False),
        ("email_verified", "training", False),
        ("training", "awaiting_review", False),
        ("awaiting_review", "approved", True),
        ("approved", "active", False),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("suspended_from", "back_to"), [(S.ACTIVE, S.ACTIVE), (S.APPROVED, S.APPROVED)]
)
def test_reinstating_returns_an_agent_to_where_it_was_suspended_from(suspended_from, back_to):
    agent = applicant(suspended_from)
    admin = UserFactory(is_staff=True)
    onboarding.agent_suspend(agent_id=agent.pk, actor=admin, reason="Complaint")

    onboarding.agent_reinstate(agent_id=agent.pk, actor=admin, reason="Complaint unfounded")

    agent.refresh_from_db()
    assert agent.status == back_to
    last = AgentStatusEvent.objects.filter(agent=agent).last()
    assert (last.from_status, last.to_status, last.reason) == (
        "suspended",
        back_to,
        "Complaint unfounded",
    )


@pytest.mark.django_db
def test_only_a_suspended_agent_can_be_reinstated():
    agent = applicant(S.ACTIVE)

    with pytest.raises(onboarding.OnboardingError, match="is not suspended"):
        onboarding.agent_reinstate(agent_id=agent.pk, actor=UserFactory(), reason="why not")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "service",
    [
        onboarding.agent_approve,
        onboarding.agent_reject,
        onboarding.agent_suspend,
        onboarding.agent_send_back_to_training,
    ],
)
def test_a_review_decision_without_a_reason_is_refused(service):
    agent = applicant(S.AWAITING_REVIEW)

    with pytest.raises(ValidationError, match="A reason is required"):
        service(agent_id=agent.pk, actor=UserFactory(is_staff=True), reason="   ")

    agent.refresh_from_db()
    assert agent.status == S.AWAITING_REVIEW
    assert AgentStatusEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("service", "refused_from"),
    [
        (onboarding.agent_approve, [S.APPLIED, S.TRAINING, S.ACTIVE, S.REJECTED, S.SUSPENDED]),
        (onboarding.agent_reject, [S.APPROVED, S.ACTIVE, S.REJECTED]),
        (onboarding.agent_suspend, [S.APPLIED, S.AWAITING_REVIEW, S.SUSPENDED, S.REJECTED]),
        (onboarding.agent_send_back_to_training, [S.APPLIED, S.APPROVED, S.ACTIVE]),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_review_decisions_are_refused_from_the_wrong_status(service, refused_from, mailoutbox):
    admin = UserFactory(is_staff=True)
    for status in refused_from:
        agent = applicant(status)
        with pytest.raises(AgentTransitionError):
            service(agent_id=agent.pk, actor=admin, reason="a reason")
        agent.refresh_from_db()
        assert agent.status == status
    assert AgentStatusEvent.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_starting_training_is_refused_before_verification():
    agent = applicant(S.APPLIED)

    with pytest.raises(onboarding.OnboardingError, match="cannot start training"):
        onboarding.agent_start_training(agent_id=agent.pk)


# --- Where each status sends the agent -----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "url"),
    [
        (S.APPLIED, "/agents/status/"),
        (S.EMAIL_VERIFIED, "/agents/training/"),
        (S.TRAINING, "/agents/training/"),
        (S.AWAITING_REVIEW, "/agents/status/"),
        (S.APPROVED, "/agents/conduct/"),
        (S.ACTIVE, None),
        (S.SUSPENDED, "/agents/status/"),
        (S.REJECTED, "/agents/status/"),
    ],
)
def test_next_step_url_names_the_page_of_the_next_onboarding_step(status, url):
    assert onboarding.next_step_url(applicant(status)) == url


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "states"),
    [
        (S.APPLIED, ["done", "current", "todo", "todo", "todo"]),
        (S.TRAINING, ["done", "done", "current", "todo", "todo"]),
        (S.AWAITING_REVIEW, ["done", "done", "done", "current", "todo"]),
        (S.APPROVED, ["done", "done", "done", "done", "current"]),
        (S.ACTIVE, ["done"] * 5),
        (S.REJECTED, []),
    ],
)
def test_the_status_page_steps_follow_the_status(status, states):
    assert [step.state for step in onboarding.onboarding_steps(applicant(status))] == states


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "payouts_enabled", "asks"),
    [
        (S.TRAINING, False, False),
        (S.APPROVED, False, True),
        (S.ACTIVE, False, True),
        (S.ACTIVE, True, False),
        (S.SUSPENDED, False, True),
        (S.REJECTED, False, False),
    ],
)
def test_the_payout_prompt_stays_until_the_account_is_ready(status, payouts_enabled, asks):
    agent = applicant(status, payouts_enabled=payouts_enabled)

    assert (onboarding.payout_setup_url(agent) == "/agents/payouts/") is asks


# --- The agent socket ----------------------------------------------------------------------

db = sync_to_async


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("status", S.values)
async def test_only_an_active_agent_may_open_the_agent_socket(status):
    agent = await db(applicant)(status)

    socket, connected, _ = await open_agent(agent.user)
    first = await socket.communicator.receive_output(timeout=3)

    if status == S.ACTIVE:
        assert first["type"] == "websocket.send"
        await socket.close()
    else:
        assert first == {"type": "websocket.close", "code": 4403}
        await db(agent.refresh_from_db)()
        assert (agent.is_online, agent.connection_count) == (False, 0)


@pytest.mark.django_db(transaction=True)
async def test_suspension_closes_the_agent_socket_at_once_and_requeues_its_tickets():
    agent = await db(AgentFactory)(is_online=False, connection_count=0)
    user = agent.user
    admin = await db(UserFactory)(is_staff=True)
    socket, connected, _ = await open_agent(user)
    assert connected
    await socket.receive_type("assigned")
    ticket = await db(QueuedTicketFactory)()
    claim = await db(ticket_services.ticket_claim)(ticket_id=ticket.pk, agent_id=agent.pk)
    assert claim.ok

    await db(onboarding.agent_suspend)(agent_id=agent.pk, actor=admin, reason="Rude to a customer")
    output = await socket.communicator.receive_output(timeout=3)
    while output["type"] != "websocket.close":
        output = await socket.communicator.receive_output(timeout=3)

    assert output["code"] == 4403
    await db(ticket.refresh_from_db)()
    assert (ticket.status, ticket.agent_id) == (Ticket.Status.QUEUED, None)
    await db(agent.refresh_from_db)()
    assert (agent.status, agent.is_online) == (S.SUSPENDED, False)
    assert [m.subject for m in mail.outbox] == ["Your Humanline account is suspended"]
    assert "Rude to a customer" in mail.outbox[0].body
    # And it cannot come back.
    again, _, _ = await open_agent(user)
    assert (await again.communicator.receive_output(timeout=3))["code"] == 4403
