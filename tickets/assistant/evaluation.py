"""Measuring the assistant on labelled questions, and calibrating its confidence.

A labelled question is {"question", "language", "expect", "category"?}: expect is the title
of the article that answers it, "person" (it must go to a person on the first message),
"unsure" (no article answers it: off-topic, or something the help centre does not cover) or
"routine" (it must not go to a person: any answer, or the unsure sentence, will do).
Every question is its own new conversation, asked through respond(), the function the chat
calls, with the same articles and backend.
"""

import json
import math
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tickets.assistant.backends import Backend
from tickets.assistant.conversation import respond
from tickets.assistant.records import Article, Decision
from tickets.assistant.retrieval import rank_articles

PERSON = "person"
UNSURE = "unsure"
# A routine question whose article the set's author did not name (a look-alike of an urgent
# one, say): handled right when it is not handed over, answered or not.
ROUTINE = "routine"
RIGHT, WRONG, HANDED_OVER, NOT_ANSWERED = "right", "wrong", "handed over", "unsure"
MAX_QUESTIONS = 20_000


class EvaluationFileError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class LabelledQuestion:
    question: str
    language: str
    expect: str
    category: str

    @property
    def kind(self) -> str:
        if self.expect == PERSON:
            return "asks for a person" if self.category == "asks_for_person" else "urgent"
        if self.expect == UNSURE:
            return "off-topic"
        if self.expect == ROUTINE:
            return "routine"
        return "answerable"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    question: LabelledQuestion
    result: str  # RIGHT, WRONG, HANDED_OVER or NOT_ANSWERED
    answered_with: str | None
    topic: str  # the decision's topic: for a handover, which team and priority it goes to
    confidence: float
    seconds: float


@dataclass(kw_only=True)
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def _share(self, rows: Sequence[Outcome], result: str) -> tuple[int, int]:
        return sum(outcome.result == result for outcome in rows), len(rows)

    def of_kind(self, kind: str) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.question.kind == kind]

    def headline(self) -> dict[str, tuple[int, int]]:
        """The four targets of docs/assistant.md, each as (count, out of)."""
        off_topic = self.of_kind("off-topic")
        headline = {
            "right answer (of answerable)": self._share(self.of_kind("answerable"), RIGHT),
            "wrong answer (of all)": self._share(self.outcomes, WRONG),
            "urgent or sensitive to a person at once": self._share(
                self.of_kind("urgent"), HANDED_OVER
            ),
            "off-topic never answered with an article": (
                sum(outcome.answered_with is None for outcome in off_topic),
                len(off_topic),
            ),
        }
        # Sets that label them: the urgent ones sent to the right team (their category is the
        # topic), and routine look-alikes kept with the assistant.
        labelled_urgent = [o for o in self.of_kind("urgent") if o.question.category]
        if labelled_urgent:
            headline["urgent or sensitive to the right topic"] = (
                sum(
                    o.result == HANDED_OVER and o.topic == o.question.category
                    for o in labelled_urgent
                ),
                len(labelled_urgent),
            )
        routine = self.of_kind("routine")
        if routine:
            headline["routine kept with the assistant"] = (
                sum(o.result != HANDED_OVER for o in routine),
                len(routine),
            )
        return headline

    def by_category(self) -> dict[str, Counter]:
        table: dict[str, Counter] = defaultdict(Counter)
        for outcome in self.outcomes:
            question = outcome.question
            name = question.category or (
                question.expect if question.kind == "answerable" else question.kind
            )
            table[f"{question.kind}: {name}"][outcome.result] += 1
        return dict(sorted(table.items()))

    def latency_ms(self) -> dict[str, float]:
        times = sorted(outcome.seconds * 1000 for outcome in self.outcomes)
        if not times:
            return {}
        return {
            "median": statistics.median(times),
            "p95": times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)],
            "max": times[-1],
        }


def load_questions(path: Path) -> list[LabelledQuestion]:
    """Read a JSON list of labelled questions; a bad row is refused with its number."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise EvaluationFileError(f"{path}: cannot read it ({error})") from error
    except json.JSONDecodeError as error:
        raise EvaluationFileError(
            f"{path}: not JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    if not isinstance(rows, list):
        raise EvaluationFileError(f"{path}: expected a list of questions")
    if len(rows) > MAX_QUESTIONS:
        raise EvaluationFileError(f"{path}: more than {MAX_QUESTIONS} questions")
    questions = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise EvaluationFileError(f"row {number}: expected an object")
        unknown = set(row) - {"question", "language", "expect", "category"}
        if unknown:
            raise EvaluationFileError(f"row {number}: unknown field(s) {sorted(unknown)}")
        values = {key: row.get(key, "") for key in ("question", "language", "expect", "category")}
        for key in ("question", "language", "expect"):
            if not isinstance(values[key], str) or not values[key].strip():
                raise EvaluationFileError(f"row {number}: {key} is required and must be text")
        if not isinstance(values["category"], str):
            raise EvaluationFileError(f"row {number}: category must be text")
        questions.append(LabelledQuestion(**{key: value.strip() for key, value in values.items()}))
    return questions


def classify(*, question: LabelledQuestion, decision: Decision) -> str:
    if decision.escalate:
        return HANDED_OVER
    if decision.article_title is None:
        return NOT_ANSWERED
    if question.kind == "routine":
        return RIGHT
    return RIGHT if decision.article_title == question.expect else WRONG


def evaluate(
    *,
    questions: Sequence[LabelledQuestion],
    articles: Sequence[Article],
    backend: Backend | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Report:
    report = Report()
    articles = tuple(articles)
    rank_articles(question="", articles=articles, language="en")  # build the index first
    for question in questions:
        started = clock()
        decision = respond(
            message=question.question,
            history=[],
            articles=articles,
            language=question.language,
            is_vip=False,
            unsure_in_a_row=0,
            backend=backend,
        )
        seconds = clock() - started
        report.outcomes.append(
            Outcome(
                question=question,
                result=classify(question=question, decision=decision),
                answered_with=decision.article_title,
                topic=decision.topic,
                confidence=decision.confidence,
                seconds=seconds,
            )
        )
    return report


@dataclass(frozen=True, kw_only=True)
class Calibration:
    score_weight: float
    lead_weight: float
    bias: float
    threshold: float
    right: int
    wrong: int
    answerable: int
    total: int


def calibrate(
    *,
    questions: Sequence[LabelledQuestion],
    articles: Sequence[Article],
    max_wrong_share: float = 0.015,
) -> Calibration:
    """Fit the confidence model to the questions, then pick the threshold.

    A logistic regression of "the best article is the right one" on the best article's
    match score and its lead over the runner-up, over every question that is not urgent
    (off-topic questions are all "not right"). The threshold is the lowest confidence that
    keeps wrong answers at or under max_wrong_share of all the questions.
    """
    articles = tuple(articles)
    features, labels = [], []
    for question in questions:
        if question.expect == PERSON:
            continue
        ranked = rank_articles(
            question=question.question, articles=articles, language=question.language
        )
        if not ranked:
            features.append((0.0, 0.0))
            labels.append(0)
            continue
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        features.append((best.score, best.score - runner_up))
        labels.append(int(best.article.title == question.expect))
    weights = _fit_logistic(features, labels)
    confidences = [_logistic(weights, feature) for feature in features]
    total = len(questions)
    answerable = sum(question.kind == "answerable" for question in questions)
    best_threshold, best_right, best_wrong = 1.0, 0, 0
    for threshold in sorted(set(confidences), reverse=True):
        answered = [
            label
            for label, confidence in zip(labels, confidences, strict=True)
            if confidence >= threshold
        ]
        wrong = answered.count(0)
        if wrong > max_wrong_share * total:
            break
        best_threshold, best_right, best_wrong = threshold, answered.count(1), wrong
    return Calibration(
        score_weight=round(weights[0], 3),
        lead_weight=round(weights[1], 3),
        bias=round(weights[2], 3),
        threshold=round(best_threshold, 3),
        right=best_right,
        wrong=best_wrong,
        answerable=answerable,
        total=total,
    )


def _logistic(weights: Sequence[float], feature: Sequence[float]) -> float:
    logit = weights[0] * feature[0] + weights[1] * feature[1] + weights[2]
    return 1 / (1 + math.exp(-max(min(logit, 50.0), -50.0)))


def _fit_logistic(
    features: Sequence[tuple[float, float]], labels: Sequence[int], *, rounds: int = 5000
) -> list[float]:
    """Gradient descent on the log loss with a little L2 on the weights; deterministic."""
    inputs = np.hstack([np.asarray(features, dtype=np.float64), np.ones((len(features), 1))])
    targets = np.asarray(labels, dtype=np.float64)
    weights = np.zeros(3)
    penalty = np.array([1e-3, 1e-3, 0.0])
    for _ in range(rounds):
        predictions = 1 / (1 + np.exp(-np.clip(inputs @ weights, -50, 50)))
        weights -= 2.0 * (inputs.T @ (predictions - targets) / len(targets) + penalty * weights)
    return [float(weight) for weight in weights]
