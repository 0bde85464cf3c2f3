"""Onboarding through the pages: the landing page, applying, verifying the email, training and
the quiz, the code of conduct, the status page. Each refusal is checked for its message and
for leaving nothing behind."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core import signing
from django.utils import timezone

from agents import onboarding
from agents.models import Agent, AgentStatusEvent, QuizAttempt, User
from payouts.models import RateCard, RateCardEntry
from tests.agents.onboarding_support import (
    GOOD_PASSWORD,
    applicant,
    correct_choice,
    link_in,
    make_module,
    make_quiz,
    quiz_post,
    wrong_choice,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = Agent.Status


def application(**overrides) -> dict:
    data = {
        "first_name": "Ana",
        "last_name": "Silva",
        "email": "ana@example.com",
        "password": GOOD_PASSWORD,
        "segment": "student",
        "country": "BR",
        "time_zone": "America/Sao_Paulo",
        "languages": ["en", "pt"],
        "skills": ["billing", "refunds"],
        "avail_mon": "09:00-13:00, 18:00-21:00",
        "avail_sat": "10:00-14:00",
        "motivation": "I like helping people sort out their problems.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Agent.objects.count(), AgentStatusEvent.objects.count()


# --- The landing page ----------------------------------------------------------------------


def test_the_landing_page_shows_the_rate_card_in_force_as_money(client):
    card = RateCard.objects.create(
        name="Launch rates",
        effective_from=timezone.now() - timedelta(days=1),
        currency="usd",
        top_rating_bonus_cents=50,
        shift_completion_bonus_cents=300,
        surge_multiplier_pct=150,
    )
    RateCardEntry.objects.create(rate_card=card, priority=2, amount_cents=250)
    RateCardEntry.objects.create(rate_card=card, priority=4, amount_cents=1205)
    RateCard.objects.create(  # not yet in force
        name="Next year", effective_from=timezone.now() + timedelta(days=300), currency="usd"
    )

    response = client.get("/agents/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "Launch rates" in text
    assert "Next year" not in text
    assert "$2.50" in text
    assert "$12.05" in text
    assert "$0.50" in text
    assert "$3.00" in text
    assert "1.5×" in text
    assert 'href="/agents/apply/"' in text


def test_the_landing_page_says_so_when_no_rates_are_set(client):
    response = client.get("/agents/")

    assert response.status_code == 200
    assert "Rates are being set" in response.content.decode()


# --- Applying ------------------------------------------------------------------------------


def test_an_application_creates_an_applicant_logs_them_in_and_emails_a_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/agents/apply/", application(email="Ana@Example.com"))

    assert response.status_code == 302
    assert response["Location"] == "/agents/status/"
    agent = Agent.objects.select_related("user").get()
    assert agent.user.email == "ana@example.com"
    assert agent.user.check_password(GOOD_PASSWORD)
    assert (agent.status, agent.email_verified_at) == (S.APPLIED, None)
    assert (agent.segment, agent.country, agent.time_zone) == ("student", "BR", "America/Sao_Paulo")
    assert agent.languages == ["en", "pt"]
    assert agent.skills == ["billing", "general", "refunds"]
    assert agent.weekly_availability == {
        "mon": [["09:00", "13:00"], ["18:00", "21:00"]],
        "sat": [["10:00", "14:00"]],
    }
    assert [m.to for m in mailoutbox] == [["ana@example.com"]]
    assert "/agents/verify/" in mailoutbox[0].body
    assert client.get("/agents/status/").status_code == 200  # logged in


def test_no_email_is_sent_when_the_application_is_rolled_back(client, mailoutbox):
    # Without the commit (the test's transaction never commits) the on-commit email never goes.
    client.post("/agents/apply/", application())

    assert mailoutbox == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"first_name": ""}, "This field is required."),
        ({"password": "short1"}, "This password is too short."),
        ({"password": "password123"}, "This password is too common."),
        ({"password": "4815162342108"}, "This password is entirely numeric."),
        ({"password": "ana@example.com"}, "too similar to the email address"),
        ({"segment": "pirate"}, "Unknown segment: pirate."),
        ({"country": "XX"}, "Unknown country: XX."),
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone: Mars/Olympus_Mons."),
        ({"languages": ["en", "xx"]}, "Unknown language code: xx."),
        ({"languages": None}, "At least one language is required."),
        ({"skills": ["cooking"]}, "Unknown skill: cooking."),
        ({"avail_mon": "25:00-26:00", "avail_sat": ""}, "is not a time range like 09:00-13:00"),
        ({"avail_mon": "13:00-09:00"}, "Monday: 13:00-09:00 ends before it starts."),
        ({"avail_mon": "09:00-13:00, 12:00-15:00"}, "overlap"),
        ({"avail_mon": "", "avail_sat": ""}, "at least one time in the week"),
        ({"motivation": ""}, "This field is required."),
        ({"motivation": "x" * 1001}, "Keep it to 1000 characters"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_bad_application_is_refused_with_a_clear_message_and_nothing_saved(
    client, mailoutbox, django_capture_on_commit_callbacks, overrides, message
):
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/agents/apply/", application(**overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before
    assert mailoutbox == []


def test_the_form_reports_service_and_field_problems_in_one_round(client):
    UserFactory(email="ana@example.com")

    response = client.post(
        "/agents/apply/", application(password="password123", languages=None, country="XX")
    )

    text = response.content.decode()
    assert response.status_code == 400
    assert "This password is too common." in text
    assert "At least one language is required." in text
    assert "Unknown country: XX." in text
    assert "An account with ana@example.com already exists." in text
    assert text.count("At least one language is required.") == 1


def test_an_email_already_in_use_is_refused_whatever_its_case(client, mailoutbox):
    UserFactory(email="ana@example.com")
    before = counts()

    response = client.post("/agents/apply/", application(email="ANA@example.COM"))

    assert response.status_code == 400
    assert "An account with ana@example.com already exists." in response.content.decode()
    assert counts() == before


def test_the_service_refuses_an_unknown_time_zone_but_accepts_any_real_one():
    arguments = application()
    arguments.pop("avail_mon"), arguments.pop("avail_sat")
    arguments["weekly_availability"] = {"tue": [["08:00", "24:00"]]}

    with pytest.raises(onboarding.ValidationError) as refused:
        onboarding.agent_apply(**{**arguments, "time_zone": "Europe/Atlantis"})
    agent = onboarding.agent_apply(**{**arguments, "time_zone": "US/Eastern"})

    assert refused.value.message_dict == {
        "time_zone": ["Unknown time zone: Europe/Atlantis. Pick one from the list."]
    }
    assert agent.time_zone == "US/Eastern"
    assert agent.weekly_availability == {"tue": [["08:00", "24:00"]]}


def test_the_service_reports_every_bad_field_at_once():
    with pytest.raises(onboarding.ValidationError) as refused:
        onboarding.agent_apply(
            email="bad",
            password="1",
            first_name="",
            segment="x",
            country="ZZ",
            time_zone="Nowhere",
            languages=["qq"],
            skills=["juggling"],
            weekly_availability={"someday": []},
            motivation="",
        )

    assert set(refused.value.message_dict) == {
        "email",
        "password",
        "first_name",
        "segment",
        "country",
        "time_zone",
        "languages",
        "skills",
        "weekly_availability",
        "motivation",
    }
    assert User.objects.count() == 0


def test_a_failure_after_the_user_is_written_leaves_no_user_behind(monkeypatch):
    def broken_create(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Agent.objects, "create", broken_create)
    arguments = application()
    arguments.pop("avail_mon"), arguments.pop("avail_sat")

    with pytest.raises(RuntimeError):
        onboarding.agent_apply(**arguments, weekly_availability={"mon": [["09:00", "12:00"]]})

    assert User.objects.count() == 0


def test_an_application_that_loses_the_race_for_its_email_gets_the_duplicate_message(
    monkeypatch,
):
    real_create = onboarding.agent_create

    def other_request_wins(**kwargs):
        UserFactory(email=kwargs["email"])  # committed by someone else between check and write
        return real_create(**kwargs)

    monkeypatch.setattr(onboarding, "agent_create", other_request_wins)
    arguments = application()
    arguments.pop("avail_mon"), arguments.pop("avail_sat")

    with pytest.raises(onboarding.ValidationError) as refused:
        onboarding.agent_apply(**arguments, weekly_availability={"mon": [["09:00", "12:00"]]})

    assert "already exists" in refused.value.message_dict["email"][0]
    assert Agent.objects.count() == 0


def test_a_logged_in_agent_who_opens_apply_again_is_sent_to_its_status(client):
    agent = applicant()
    client.force_login(agent.user)

    assert client.get("/agents/apply/")["Location"] == "/agents/status/"


def test_apply_answers_only_get_and_post(client):
    assert client.put("/agents/apply/").status_code == 405


# --- Verifying the email -------------------------------------------------------------------


def test_the_emailed_link_verifies_the_address_once(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/agents/apply/", application())
    path = link_in(mailoutbox[0].body)

    first = client.get(path)
    second = client.get(path)

    agent = Agent.objects.get()
    assert first.status_code == second.status_code == 200
    assert "Your email is verified" in first.content.decode()
    assert agent.status == S.EMAIL_VERIFIED
    assert agent.email_verified_at is not None
    event = AgentStatusEvent.objects.get(agent=agent)
    assert (event.from_status, event.to_status, event.actor) == (
        "applied",
        "email_verified",
        agent.user,
    )


def test_a_link_older_than_the_limit_is_refused_as_expired(client, monkeypatch, settings):
    settings.AGENT_EMAIL_VERIFY_MAX_AGE_HOURS = 48
    agent = applicant()
    with monkeypatch.context() as past:
        now = time.time()
        past.setattr(signing.time, "time", lambda: now - 48 * 3600 - 5)
        expired = onboarding.email_verification_token(agent)
        past.setattr(signing.time, "time", lambda: now - 47 * 3600)
        still_good = onboarding.email_verification_token(agent)

    refused = client.get(f"/agents/verify/{expired}/")

    assert refused.status_code == 400
    assert "This verification link has expired." in refused.content.decode()
    agent.refresh_from_db()
    assert agent.status == S.APPLIED
    assert client.get(f"/agents/verify/{still_good}/").status_code == 200
    agent.refresh_from_db()
    assert agent.status == S.EMAIL_VERIFIED


@pytest.mark.parametrize("tampering", ["last-character", "other-salt", "other-agent", "garbage"])
def test_a_tampered_link_is_refused_and_changes_nothing(client, tampering):
    agent = applicant()
    other = applicant()
    token = onboarding.email_verification_token(agent)
    if tampering == "last-character":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif tampering == "other-salt":
        token = signing.dumps({"agent": agent.pk, "email": "x"}, salt="something-else")
    elif tampering == "other-agent":
        # A valid link of one applicant with the id of another swapped in is not signed.
        payload, _, signature = token.partition(":")
        token = onboarding.email_verification_token(other).split(":")[0] + ":" + signature
    else:
        token = "not-a-token"

    response = client.get(f"/agents/verify/{token}/")

    assert response.status_code == 400
    assert "This verification link is not valid" in response.content.decode()
    assert set(Agent.objects.values_list("status", flat=True)) == {S.APPLIED}
    assert AgentStatusEvent.objects.count() == 0


def test_a_link_sent_to_an_old_address_stops_working_when_the_address_changes(client):
    agent = applicant()
    token = onboarding.email_verification_token(agent)
    agent.user.email = "new@example.com"
    agent.user.save()

    response = client.get(f"/agents/verify/{token}/")

    assert response.status_code == 400
    agent.refresh_from_db()
    assert agent.status == S.APPLIED


def test_the_link_of_a_rejected_applicant_does_not_revive_it(client):
    agent = applicant(S.REJECTED, email_verified_at=None)

    response = client.get(f"/agents/verify/{onboarding.email_verification_token(agent)}/")

    assert response.status_code == 400
    assert "This application is closed." in response.content.decode()
    agent.refresh_from_db()
    assert agent.status == S.REJECTED


def test_an_applicant_can_ask_for_a_new_link_once_a_minute(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    agent = applicant()
    client.force_login(agent.user)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/agents/verify/resend/", follow=True)
        second = client.post("/agents/verify/resend/", follow=True)

    assert "We sent a new link" in first.content.decode()
    assert "We sent you a link a moment ago" in second.content.decode()
    assert len(mailoutbox) == 1
    assert client.get(link_in(mailoutbox[0].body)).status_code == 200


def test_a_verified_agent_gets_no_new_link(client, mailoutbox, django_capture_on_commit_callbacks):
    agent = applicant(S.EMAIL_VERIFIED)
    client.force_login(agent.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/agents/verify/resend/", follow=True)

    assert "already verified" in response.content.decode()
    assert mailoutbox == []


def test_resend_answers_only_post(client):
    client.force_login(applicant().user)

    assert client.get("/agents/verify/resend/").status_code == 405


# --- Training ------------------------------------------------------------------------------


def test_a_verified_agent_starts_training_once(client):
    agent = applicant(S.EMAIL_VERIFIED)
    make_module()
    client.force_login(agent.user)

    page = client.get("/agents/training/")
    client.post("/agents/training/start/")
    client.post("/agents/training/start/")

    assert "Start training" in page.content.decode()
    agent.refresh_from_db()
    assert agent.status == S.TRAINING
    assert list(AgentStatusEvent.objects.values_list("from_status", "to_status")) == [
        ("email_verified", "training")
    ]


def test_an_unverified_applicant_is_sent_from_training_to_its_status(client):
    agent = applicant()
    client.force_login(agent.user)

    assert client.get("/agents/training/")["Location"] == "/agents/status/"
    assert client.get("/agents/training/quiz/")["Location"] == "/agents/status/"
    client.post("/agents/training/start/")
    agent.refresh_from_db()
    assert agent.status == S.APPLIED


def test_published_modules_are_readable_and_unpublished_ones_are_not(client):
    client.force_login(applicant(S.TRAINING).user)
    make_module("basics", position=1)
    make_module("money", position=2)
    make_module("draft", published=False, position=3)

    index = client.get("/agents/training/").content.decode()
    page = client.get("/agents/training/modules/basics/")

    assert "Basics" in index
    assert "Money" in index
    assert "Draft" not in index
    assert page.status_code == 200
    assert "<p>A second paragraph.</p>" in page.content.decode()
    assert 'href="/agents/training/modules/money/"' in page.content.decode()
    assert client.get("/agents/training/modules/draft/").status_code == 404


def test_training_start_answers_only_post(client):
    client.force_login(applicant(S.EMAIL_VERIFIED).user)

    assert client.get("/agents/training/start/").status_code == 405


# --- The quiz ------------------------------------------------------------------------------


def test_the_quiz_shows_active_questions_without_revealing_the_answers(client):
    questions = make_quiz(2)
    retired = make_quiz(1)[0]
    retired.text, retired.is_active = "Retired question?", False
    retired.save()
    client.force_login(applicant(S.TRAINING).user)

    text = client.get("/agents/training/quiz/").content.decode()

    assert "Question 1?" in text
    assert "Question 2?" in text
    assert "Retired question?" not in text
    assert "correct" not in text.lower()
    for question in questions:
        assert f'value="{correct_choice(question).pk}"' in text


def test_passing_the_quiz_records_the_attempt_and_sends_the_application_to_review(client):
    questions = make_quiz(5)
    agent = applicant(S.TRAINING)
    client.force_login(agent.user)

    response = client.post("/agents/training/quiz/", quiz_post(questions, correct=5))

    assert response["Location"] == "/agents/status/"
    attempt = QuizAttempt.objects.get(agent=agent)
    assert (attempt.correct_count, attempt.question_count, attempt.score_percent) == (5, 5, 100)
    assert attempt.passed
    assert attempt.pass_percent == 80
    assert [a["correct"] for a in attempt.answers] == [True] * 5
    assert attempt.answers[0]["question_text"] == "Question 1?"
    agent.refresh_from_db()
    assert agent.status == S.AWAITING_REVIEW
    event = AgentStatusEvent.objects.get(agent=agent)
    assert (event.to_status, event.reason) == ("awaiting_review", "passed the quiz with 100%")


@pytest.mark.parametrize(
    ("correct", "pass_percent", "passes"),
    [(4, 80, True), (3, 80, False), (4, 100, False), (5, 100, True), (1, 20, True)],
)
def test_the_pass_mark_is_applied_exactly(client, settings, correct, pass_percent, passes):
    settings.AGENT_QUIZ_PASS_PERCENT = pass_percent
    questions = make_quiz(5)
    agent = applicant(S.TRAINING)
    client.force_login(agent.user)

    client.post("/agents/training/quiz/", quiz_post(questions, correct=correct))

    attempt = QuizAttempt.objects.get(agent=agent)
    assert (attempt.score_percent, attempt.passed) == (correct * 20, passes)
    agent.refresh_from_db()
    assert agent.status == (S.AWAITING_REVIEW if passes else S.TRAINING)


def test_a_failed_quiz_is_recorded_and_the_retry_waits_for_the_cooldown(client, settings):
    settings.AGENT_QUIZ_RETRY_COOLDOWN_HOURS = 24
    questions = make_quiz(5)
    agent = applicant(S.TRAINING)
    client.force_login(agent.user)

    failed = client.post("/agents/training/quiz/", quiz_post(questions, correct=2), follow=True)
    too_soon = client.post("/agents/training/quiz/", quiz_post(questions, correct=5))

    assert "You scored 40%; the pass mark is 80%" in failed.content.decode()
    assert too_soon.status_code == 400
    assert "You can take the quiz again from" in too_soon.content.decode()
    assert QuizAttempt.objects.filter(agent=agent).count() == 1
    agent.refresh_from_db()
    assert agent.status == S.TRAINING

    QuizAttempt.objects.filter(agent=agent).update(
        submitted_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    client.post("/agents/training/quiz/", quiz_post(questions, correct=5))

    assert QuizAttempt.objects.filter(agent=agent).count() == 2
    agent.refresh_from_db()
    assert agent.status == S.AWAITING_REVIEW


def test_the_service_itself_enforces_the_cooldown(settings):
    settings.AGENT_QUIZ_RETRY_COOLDOWN_HOURS = 24
    questions = make_quiz(5)
    agent = applicant(S.TRAINING)
    wrong = {q.pk: wrong_choice(q).pk for q in questions}
    first = onboarding.quiz_attempt_submit(agent_id=agent.pk, answers=wrong)

    with pytest.raises(onboarding.QuizCooldown) as refused:
        onboarding.quiz_attempt_submit(
            agent_id=agent.pk, answers=wrong, now=first.submitted_at + timedelta(hours=23)
        )

    assert refused.value.available_at == first.submitted_at + timedelta(hours=24)
    assert QuizAttempt.objects.count() == 1


def test_a_tampered_form_with_forged_score_fields_cannot_pass(client):
    questions = make_quiz(5)
    agent = applicant(S.TRAINING)
    client.force_login(agent.user)
    forged = {
        **quiz_post(questions, correct=0),
        "score": "100",
        "score_percent": "100",
        "passed": "true",
        "correct_count": "5",
        "q999999": "1",
    }

    client.post("/agents/training/quiz/", forged)

    attempt = QuizAttempt.objects.get(agent=agent)
    assert (attempt.correct_count, attempt.passed) == (0, False)
    agent.refresh_from_db()
    assert agent.status == S.TRAINING


def test_an_answer_borrowed_from_another_question_is_refused(client):
    questions = make_quiz(5)
    agent = applicant(S.TRAINING)
    client.force_login(agent.user)
    data = quiz_post(questions, correct=5)
    data[f"q{questions[0].pk}"] = str(correct_choice(questions[1]).pk)

    response = client.post("/agents/training/quiz/", data)

    assert response.status_code == 400
    assert "That is not one of this question&#x27;s answers." in response.content.decode()
    assert QuizAttempt.objects.count() == 0


def test_an_unanswered_question_is_refused_and_nothing_recorded(client):
    questions = make_quiz(5)
    agent = applicant(S.TRAINING)
    client.force_login(agent.user)
    data = quiz_post(questions, correct=5)
    del data[f"q{questions[4].pk}"]

    response = client.post("/agents/training/quiz/", data)

    assert response.status_code == 400
    assert "Answer this question." in response.content.decode()
    assert QuizAttempt.objects.count() == 0


def test_the_service_scores_out_of_every_active_question_whatever_is_posted():
    questions = make_quiz(5)
    retired = make_quiz(1)[0]
    retired.is_active = False
    retired.save()
    agent = applicant(S.TRAINING)
    answers = {
        questions[0].pk: correct_choice(questions[0]).pk,  # right
        questions[1].pk: correct_choice(questions[2]).pk,  # another question's right answer
        questions[2].pk: "not-a-number",
        retired.pk: correct_choice(retired).pk,  # not asked
        123456: 1,  # no such question
    }

    attempt = onboarding.quiz_attempt_submit(agent_id=agent.pk, answers=answers)

    assert (attempt.correct_count, attempt.question_count, attempt.score_percent) == (1, 5, 20)
    assert [a["choice"] for a in attempt.answers] == [
        correct_choice(questions[0]).pk,
        None,
        None,
        None,
        None,
    ]


@pytest.mark.parametrize("status", [S.APPLIED, S.EMAIL_VERIFIED, S.AWAITING_REVIEW, S.ACTIVE])
def test_only_an_agent_in_training_can_submit_the_quiz(client, status):
    questions = make_quiz(5)
    agent = applicant(status)
    client.force_login(agent.user)

    response = client.post("/agents/training/quiz/", quiz_post(questions, correct=5))

    assert response.status_code == 302
    assert QuizAttempt.objects.count() == 0
    agent.refresh_from_db()
    assert agent.status == status
    with pytest.raises(onboarding.OnboardingError, match="You cannot take the quiz"):
        onboarding.quiz_attempt_submit(agent_id=agent.pk, answers={})


def test_there_is_no_quiz_to_take_without_questions(client):
    agent = applicant(S.TRAINING)
    client.force_login(agent.user)

    page = client.get("/agents/training/quiz/")

    assert "The quiz is not ready yet" in page.content.decode()
    with pytest.raises(onboarding.OnboardingError, match="not ready"):
        onboarding.quiz_attempt_submit(agent_id=agent.pk, answers={})


# --- The code of conduct -------------------------------------------------------------------


def test_an_approved_agent_becomes_active_by_accepting_the_code_of_conduct(client):
    agent = applicant(S.APPROVED)
    client.force_login(agent.user)

    page = client.get("/agents/conduct/")
    response = client.post("/agents/conduct/", {"accept": "on"})

    assert "Never ask for secrets" in page.content.decode()
    assert response["Location"] == "/agents/status/"
    agent.refresh_from_db()
    assert agent.status == S.ACTIVE
    assert agent.may_work
    assert agent.code_of_conduct_accepted_at is not None
    event = AgentStatusEvent.objects.get(agent=agent)
    assert (event.from_status, event.to_status, event.actor) == ("approved", "active", agent.user)
    assert event.reason == "accepted the code of conduct"


def test_the_code_of_conduct_is_not_accepted_without_the_tick(client):
    agent = applicant(S.APPROVED)
    client.force_login(agent.user)

    response = client.post("/agents/conduct/", {})

    assert response.status_code == 400
    assert "Tick the box to accept the code of conduct." in response.content.decode()
    agent.refresh_from_db()
    assert (agent.status, agent.code_of_conduct_accepted_at) == (S.APPROVED, None)


@pytest.mark.parametrize("status", [S.TRAINING, S.AWAITING_REVIEW, S.SUSPENDED])
def test_only_an_approved_agent_can_accept_the_code_of_conduct(client, status):
    agent = applicant(status)
    client.force_login(agent.user)

    response = client.post("/agents/conduct/", {"accept": "on"})

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.status == status
    with pytest.raises(onboarding.OnboardingError):
        onboarding.agent_accept_code_of_conduct(agent_id=agent.pk)


def test_an_active_agent_accepting_again_changes_nothing(client):
    agent = applicant(S.ACTIVE)
    client.force_login(agent.user)

    response = client.post("/agents/conduct/", {"accept": "on"}, follow=True)

    assert "already accepted" in response.content.decode()
    assert AgentStatusEvent.objects.count() == 0


# --- The status page and access ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (S.APPLIED, "Send the link again"),
        (S.EMAIL_VERIFIED, "Continue training"),
        (S.TRAINING, "Continue training"),
        (S.AWAITING_REVIEW, "is reviewing your application"),
        (S.APPROVED, "Accept the code of conduct to go online"),
        (S.ACTIVE, "you can go online"),
        (S.SUSPENDED, "Your account is suspended"),
        (S.REJECTED, "not to go ahead with your application"),
    ],
)
def test_the_status_page_says_where_the_applicant_is(client, status, says):
    agent = applicant(status)
    client.force_login(agent.user)

    response = client.get("/agents/status/")

    assert response.status_code == 200
    assert says in response.content.decode()


def test_the_status_page_asks_for_a_payout_account_until_it_is_ready(client):
    agent = applicant(S.ACTIVE)
    client.force_login(agent.user)

    asked = client.get("/agents/status/").content.decode()
    agent.payouts_enabled = True
    agent.save()
    done = client.get("/agents/status/").content.decode()

    assert "Connect a payout account" in asked
    assert "Connect a payout account" not in done


def test_a_rejected_applicant_sees_the_reason(client):
    agent = applicant(S.AWAITING_REVIEW)
    onboarding.agent_reject(agent_id=agent.pk, actor=UserFactory(is_staff=True), reason="Too new")
    client.force_login(agent.user)

    assert "Reason: Too new" in client.get("/agents/status/").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/agents/status/",
        "/agents/training/",
        "/agents/training/quiz/",
        "/agents/conduct/",
        "/agents/payouts/",
    ],
)
def test_private_pages_send_anonymous_visitors_to_log_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_user_without_an_agent_profile_is_refused(client):
    client.force_login(UserFactory(is_staff=True))

    response = client.get("/agents/status/")

    assert response.status_code == 403
    assert "This account is not an agent" in response.content.decode()


# --- Demo data -----------------------------------------------------------------------------


def test_seed_demo_loads_training_and_a_five_question_quiz_once(settings):
    from django.core.management import call_command

    from agents.models import QuizChoice, QuizQuestion, TrainingModule

    settings.DEBUG = True
    call_command("seed_demo", "--agents", "2", stdout=StringIO())
    first = (
        TrainingModule.objects.count(),
        QuizQuestion.objects.count(),
        QuizChoice.objects.count(),
    )
    call_command("seed_demo", "--agents", "2", stdout=StringIO())

    assert first[0] >= 3
    assert first[1] == 5
    assert (
        TrainingModule.objects.count(),
        QuizQuestion.objects.count(),
        QuizChoice.objects.count(),
    ) == first
    for question in QuizQuestion.objects.all():
        assert question.choices.filter(is_correct=True).count() == 1
    demo_agents = Agent.objects.filter(user__email__startswith="agent")
    assert set(demo_agents.values_list("status", flat=True)) == {S.ACTIVE}
