"""Backends draft an answer; they never decide whether to escalate (respond does that)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tickets.assistant.records import Article, Turn
from tickets.assistant.retrieval import rank_articles


@dataclass(frozen=True, kw_only=True)
class BackendAnswer:
    """A drafted answer. article is None when no article answers the question."""

    text: str | None
    article: Article | None
    confidence: float


class Backend(Protocol):
    def answer(
        self,
        *,
        message: str,
        history: Sequence[Turn],
        articles: Sequence[Article],
        language: str,
    ) -> BackendAnswer: ...


class LocalBackend:
    """Answers with the body of the best-matching article, found by BM25. No network."""

    def answer(
        self,
        *,
        message: str,
        history: Sequence[Turn],
        articles: Sequence[Article],
        language: str,
    ) -> BackendAnswer:
        ranked = rank_articles(question=message, articles=articles, language=language)
        if not ranked or ranked[0].score <= 0:
            return BackendAnswer(text=None, article=None, confidence=0.0)
        best = ranked[0]
        return BackendAnswer(
            text=best.article.body, article=best.article, confidence=best.confidence
        )
