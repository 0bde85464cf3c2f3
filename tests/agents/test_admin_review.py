"""Review in the Django admin: the queue of applicants who passed the quiz, and approve,
reject, suspend, reinstate and send-back actions that ask for a reason, audit it and email it.
Also the editing of training modules and quiz questions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from agents.models import (
    Agent,
    AgentStatusEvent,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    TrainingModule,
)
from tests.agents.onboarding_support import applicant
from tests.factories import QueuedTicketFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

S = Agent.Status
QUEUE = "/admin/agents/applicantawaitingreview/"
AGENTS = "/admin/agents/agent/"


@pytest.fixture
def admin_user():
    return UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def in_review(*, first_name: str, score: int, since_minutes: int) -> Agent:
    agent = applicant(S.AWAITING_REVIEW, user__first_name=first_name)
    QuizAttempt.objects.create(
        agent=agent,
        submitted_at=timezone.now(),
        question_count=5,
        correct_count=score // 20,
        score_percent=score,
        pass_percent=80,
        passed=True,
    )
    event = AgentStatusEvent.objects.create(
        agent=agent, from_status=S.TRAINING, to_status=S.AWAITING_REVIEW
    )
    AgentStatusEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(minutes=since_minutes)
    )
    return agent


def act(client, url: str, action: str, agents: list[Agent], reason: str | None = None):
    data = {"action": action, "_selected_action": [a.pk for a in agents]}
    if reason is not None:
        data.update(apply="yes", reason=reason)
    return client.post(url, data)


# --- The queue -----------------------------------------------------------------------------


def test_the_queue_lists_only_applicants_awaiting_review_longest_waiting_first(admin_client):
    newer = in_review(first_name="Newer", score=80, since_minutes=5)
    older = in_review(first_name="Older", score=100, since_minutes=90)
    applicant(S.TRAINING, user__first_name="Learning")
    applicant(S.ACTIVE, user__first_name="Working")

    response = admin_client.get(QUEUE)

    text = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [older, newer]
    assert "Learning" not in text
    assert "Working" not in text
    assert "100%" in text
    assert "80%" in text


def test_the_queue_offers_only_the_review_decisions(admin_client):
    response = admin_client.get(QUEUE)

    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert actions == ["", "approve", "reject", "send_back_to_training"]


def test_an_applicant_in_the_queue_shows_the_quiz_and_the_motivation(admin_client):
    agent = in_review(first_name="Ana", score=100, since_minutes=1)
    agent.motivation = "I love fixing billing mix-ups."
    agent.save()

    response = admin_client.get(f"{QUEUE}{agent.pk}/change/")

    assert response.status_code == 200
    assert "I love fixing billing mix-ups." in response.content.decode()


# --- Decisions -----------------------------------------------------------------------------


def test_approving_asks_for_a_reason_first(admin_client, mailoutbox):
    agent = in_review(first_name="Ana", score=100, since_minutes=1)

    response = act(admin_client, QUEUE, "approve", [agent])

    assert response.status_code == 200
    text = response.content.decode()
    assert "Approve applicants" in text
    assert 'name="reason"' in text
    assert agent.user.email in text
    agent.refresh_from_db()
    assert agent.status == S.AWAITING_REVIEW
    assert mailoutbox == []


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(
    admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    agent = in_review(first_name="Ana", score=100, since_minutes=1)
    events = AgentStatusEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, QUEUE, "approve", [agent], reason="  ")

    assert response.status_code == 200
    assert "Give a reason; it is recorded and sent to the agent." in response.content.decode()
    agent.refresh_from_db()
    assert agent.status == S.AWAITING_REVIEW
    assert AgentStatusEvent.objects.count() == events
    assert mailoutbox == []


def test_approving_records_who_when_and_why_and_emails_the_agent(
    admin_client, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    agent = in_review(first_name="Ana", score=100, since_minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, QUEUE, "approve", [agent], reason="Excellent quiz answers")

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.status == S.APPROVED
    event = AgentStatusEvent.objects.filter(agent=agent).last()
    assert (event.from_status, event.to_status) == ("awaiting_review", "approved")
    assert (event.actor, event.reason) == (admin_user, "Excellent quiz answers")
    assert timezone.now() - event.created_at < timedelta(minutes=1)
    [email] = mailoutbox
    assert email.to == [agent.user.email]
    assert email.subject == "You're approved to work on Humanline"
    assert "Excellent quiz answers" in email.body
    assert "/agents/conduct/" in email.body
    follow = admin_client.get(response["Location"])
    assert "Approved: " in follow.content.decode()


def test_rejecting_from_the_queue_is_audited_and_emailed(
    admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    agent = in_review(first_name="Ana", score=80, since_minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, QUEUE, "reject", [agent], reason="Motivation copied from the web")

    agent.refresh_from_db()
    assert agent.status == S.REJECTED
    assert AgentStatusEvent.objects.filter(agent=agent).last().reason == (
        "Motivation copied from the web"
    )
    assert [m.subject for m in mailoutbox] == ["Your Humanline application"]
    assert "Motivation copied from the web" in mailoutbox[0].body


def test_sending_back_to_training_lets_the_applicant_retake_the_quiz(
    admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    agent = in_review(first_name="Ana", score=80, since_minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        act(
            admin_client, QUEUE, "send_back_to_training", [agent], reason="Re-read the fraud module"
        )

    agent.refresh_from_db()
    assert agent.status == S.TRAINING
    assert [m.subject for m in mailoutbox] == ["Please retake the quiz"]
    assert "/agents/training/" in mailoutbox[0].body


def test_suspending_an_active_agent_requeues_its_tickets_audits_and_emails(
    admin_client, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    agent = applicant(S.ACTIVE, is_online=True, connection_count=1)
    ticket = QueuedTicketFactory()
    assert ticket_services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk).ok

    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, AGENTS, "suspend", [agent], reason="Asked a customer for a card code")

    agent.refresh_from_db()
    ticket.refresh_from_db()
    assert (agent.status, agent.is_online) == (S.SUSPENDED, False)
    assert (ticket.status, ticket.agent_id) == (Ticket.Status.QUEUED, None)
    event = AgentStatusEvent.objects.get(agent=agent)
    assert (event.from_status, event.to_status, event.actor) == ("active", "suspended", admin_user)
    assert [m.subject for m in mailoutbox] == ["Your Humanline account is suspended"]
    assert "Asked a customer for a card code" in mailoutbox[0].body


def test_reinstating_returns_the_agent_to_work_and_says_so(
    admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    agent = applicant(S.SUSPENDED)
    AgentStatusEvent.objects.create(agent=agent, from_status=S.ACTIVE, to_status=S.SUSPENDED)

    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, AGENTS, "reinstate", [agent], reason="Investigated: not at fault")

    agent.refresh_from_db()
    assert agent.status == S.ACTIVE
    assert [m.subject for m in mailoutbox] == ["Your Humanline account is active again"]
    assert "You can go online again" in mailoutbox[0].body


def test_in_a_mixed_selection_only_the_eligible_change_and_the_rest_are_named(
    admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    ready = in_review(first_name="Ready", score=100, since_minutes=1)
    learning = applicant(S.TRAINING, user__email="learning@example.com")
    suspended = applicant(S.SUSPENDED, user__email="suspended@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, AGENTS, "approve", [ready, learning, suspended], reason="ok")

    for agent in (ready, learning, suspended):
        agent.refresh_from_db()
    assert (ready.status, learning.status, suspended.status) == (
        S.APPROVED,
        S.TRAINING,
        S.SUSPENDED,
    )
    assert len(mailoutbox) == 1
    text = admin_client.get(response["Location"]).content.decode()
    assert "learning@example.com: An agent who is in training cannot be approved." in text
    assert "suspended@example.com: An agent who is suspended cannot be approved." in text


def test_staff_without_the_change_permission_cannot_decide(client, mailoutbox):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_applicantawaitingreview"))
    client.force_login(viewer)
    agent = in_review(first_name="Ana", score=100, since_minutes=1)

    listing = client.get(QUEUE)
    response = act(client, QUEUE, "approve", [agent], reason="sneaky")

    assert listing.status_code == 200
    assert listing.context["action_form"] is None
    # Without the permission the action does not exist: the list is shown again, unchanged.
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.status == S.AWAITING_REVIEW


def test_the_admin_refuses_anonymous_and_non_staff_users(client):
    agent = in_review(first_name="Ana", score=100, since_minutes=1)
    client.force_login(applicant(S.ACTIVE).user)

    response = act(client, QUEUE, "approve", [agent], reason="self-approval")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    agent.refresh_from_db()
    assert agent.status == S.AWAITING_REVIEW


# --- Training content ----------------------------------------------------------------------


def question_form(*choices: tuple[str, bool], text: str = "What is a refund?", ids=()) -> dict:
    data = {
        "text": text,
        "position": "1",
        "is_active": "on",
        "choices-TOTAL_FORMS": str(len(choices)),
        "choices-INITIAL_FORMS": str(len(ids)),
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "1000",
    }
    for i, (choice, correct) in enumerate(choices):
        data[f"choices-{i}-text"] = choice
        data[f"choices-{i}-position"] = str(i)
        if correct:
            data[f"choices-{i}-is_correct"] = "on"
        if i < len(ids):
            data[f"choices-{i}-id"] = str(ids[i])
    return data


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ([("Money back", False), ("A fee", False)], "Mark exactly one answer as correct."),
        ([("Money back", True), ("A fee", True)], "Mark exactly one answer as correct."),
        ([("Money back", True)], "Give at least two answers."),
    ],
)
def test_a_question_needs_two_answers_and_exactly_one_correct(admin_client, choices, message):
    response = admin_client.post("/admin/agents/quizquestion/add/", question_form(*choices))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert QuizQuestion.objects.count() == 0


def test_an_admin_adds_a_question_with_its_answers(admin_client):
    response = admin_client.post(
        "/admin/agents/quizquestion/add/",
        question_form(("Money back to the card", True), ("A new card", False)),
    )

    assert response.status_code == 302
    question = QuizQuestion.objects.get()
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [
        ("Money back to the card", True),
        ("A new card", False),
    ]


def test_the_correct_answer_can_move_to_an_earlier_choice_in_one_save(admin_client):
    question = QuizQuestion.objects.create(text="Pick B")
    a = QuizChoice.objects.create(question=question, text="A", position=0)
    b = QuizChoice.objects.create(question=question, text="B", is_correct=True, position=1)

    response = admin_client.post(
        f"/admin/agents/quizquestion/{question.pk}/change/",
        question_form(("A", True), ("B", False), text="Pick A", ids=(a.pk, b.pk)),
    )

    assert response.status_code == 302
    assert list(question.choices.filter(is_correct=True)) == [a]


def test_an_admin_writes_a_training_module(admin_client):
    response = admin_client.post(
        "/admin/agents/trainingmodule/add/",
        {
            "title": "Refunds",
            "slug": "refunds",
            "summary": "",
            "body": "How refunds work.",
            "position": "3",
            "is_published": "on",
        },
    )

    assert response.status_code == 302
    assert TrainingModule.objects.get().slug == "refunds"


def test_quiz_attempts_are_read_only_in_the_admin(admin_client):
    agent = in_review(first_name="Ana", score=100, since_minutes=1)
    attempt = agent.quiz_attempts.get()

    page = admin_client.get(f"/admin/agents/quizattempt/{attempt.pk}/change/")
    post = admin_client.post(f"/admin/agents/quizattempt/{attempt.pk}/change/", {"passed": ""})

    assert page.status_code == 200
    assert post.status_code == 403
    attempt.refresh_from_db()
    assert attempt.passed


# --- An applicant's page -------------------------------------------------------------------


def test_an_applicants_page_reads_as_the_application_not_as_json(admin_client):
    agent = in_review(first_name="Nia", score=100, since_minutes=5)
    Agent.objects.filter(pk=agent.pk).update(
        country="KE",
        time_zone="Africa/Nairobi",
        languages=["en", "fr"],
        skills=["general", "billing"],
        weekly_availability={"mon": [["09:00", "13:00"], ["18:00", "21:00"]]},
        motivation="I help my classmates daily.",
    )

    page = admin_client.get(f"{QUEUE}{agent.pk}/change/").content.decode()

    assert "English, French" in page
    assert "General questions, Billing" in page
    assert "Kenya (KE)" in page
    assert "Africa/Nairobi (UTC+03:00" in page
    assert '<th scope="row">Monday</th><td>09:00–13:00, 18:00–21:00</td>' in page
    assert '<th scope="row">Tuesday</th><td>not available</td>' in page
    assert "100%" in page
    assert "+00:00" not in page  # times as a person reads them, not as Python prints them
    assert '["en", "fr"]' not in page
    assert "[[" not in page


def test_an_applicants_page_carries_the_decisions_as_posts_with_csrf(admin_client):
    agent = in_review(first_name="Nia", score=100, since_minutes=5)

    page = admin_client.get(f"{QUEUE}{agent.pk}/change/").content.decode()

    form = re.search(
        r'<form method="post" action="([^"]+)" id="decision"[^>]*>(.*?)</form>', page, re.S
    )
    assert form[1] == QUEUE  # the queue's actions: one path for a decision
    assert "csrfmiddlewaretoken" in form[2]
    assert f'name="_selected_action" value="{agent.pk}"' in form[2]
    assert 'name="reason" id="id_reason" form="decision"' in page
    for value, label in [("approve", "Approve"), ("reject", "Reject")]:
        assert re.search(
            rf'form="decision" name="action" value="{value}"[^>]*>{label}</button>', page
        )
    assert 'name="_save"' not in page  # nothing here is saved: the decisions replace Save


def test_approving_from_the_applicants_page_uses_the_audited_review(
    admin_client, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    agent = in_review(first_name="Nia", score=100, since_minutes=5)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            QUEUE,
            {"action": "approve", "_selected_action": [agent.pk], "apply": "1", "reason": "Good"},
        )

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.status == S.APPROVED
    event = agent.status_events.latest("created_at", "id")
    assert (event.to_status, event.actor, event.reason) == (S.APPROVED, admin_user, "Good")
    assert len(mailoutbox) == 1


def test_a_decision_without_a_reason_asks_for_one_and_changes_nothing(admin_client):
    agent = in_review(first_name="Nia", score=100, since_minutes=5)

    response = admin_client.post(
        QUEUE, {"action": "reject", "_selected_action": [agent.pk], "apply": "1", "reason": ""}
    )

    assert response.status_code == 200
    assert "Give a reason" in response.content.decode()
    agent.refresh_from_db()
    assert agent.status == S.AWAITING_REVIEW


def test_a_reviewer_without_change_permission_sees_no_decisions(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_applicantawaitingreview"))
    client.force_login(viewer)
    agent = in_review(first_name="Nia", score=100, since_minutes=5)

    page = client.get(f"{QUEUE}{agent.pk}/change/").content.decode()

    assert "English" in page
    assert 'id="decision"' not in page
