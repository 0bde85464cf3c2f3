"""Shared set-up for the onboarding tests: a quiz, and applicants at any status."""

from __future__ import annotations

import re

from agents.models import Agent, QuizChoice, QuizQuestion, TrainingModule
from tests.factories import AgentFactory

GOOD_PASSWORD = "orchard-Lantern-47-violet"


def applicant(status: str = Agent.Status.APPLIED, **kwargs) -> Agent:
    """An agent at ``status``, offline, with a verified email from verification on."""
    if status != Agent.Status.APPLIED:
        kwargs.setdefault("email_verified_at", "2025-01-01T00:00:00Z")
    kwargs.setdefault("is_online", False)
    kwargs.setdefault("connection_count", 0)
    kwargs.setdefault("last_seen_at", None)
    return AgentFactory(status=status, **kwargs)


def make_quiz(count: int = 5, *, choices_per_question: int = 3) -> list[QuizQuestion]:
    """``count`` active questions; in each, the second choice is the correct one."""
    questions = []
    for n in range(1, count + 1):
        question = QuizQuestion.objects.create(text=f"Question {n}?", position=n)
        QuizChoice.objects.bulk_create(
            QuizChoice(question=question, text=f"Q{n} answer {i}", is_correct=(i == 2), position=i)
            for i in range(1, choices_per_question + 1)
        )
        questions.append(question)
    return questions


def correct_choice(question: QuizQuestion) -> QuizChoice:
    return question.choices.get(is_correct=True)


def wrong_choice(question: QuizQuestion) -> QuizChoice:
    return question.choices.filter(is_correct=False).first()


def quiz_post(questions: list[QuizQuestion], *, correct: int) -> dict[str, str]:
    """Form data answering the first ``correct`` questions right and the rest wrong."""
    return {
        f"q{q.pk}": str((correct_choice(q) if i < correct else wrong_choice(q)).pk)
        for i, q in enumerate(questions)
    }


def make_module(slug: str = "basics", *, published: bool = True, position: int = 1):
    return TrainingModule.objects.create(
        slug=slug,
        title=slug.replace("-", " ").title(),
        body=f"The body of {slug}.\n\nA second paragraph.",
        position=position,
        is_published=published,
    )


def link_in(body: str) -> str:
    """The path of the first link to this site in an email body."""
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)
