"""Finding the knowledge article that answers a question, by meaning and by words.

Two signals, each in [0, 1]:

* meaning: the cosine similarity of the question's sentence embedding with the article's
  "views": its title, its title with its keywords, each example question an operator wrote
  for it, and its body; the mean of the closest CLOSEST_VIEWS of them, so one lucky view is
  not enough. Paraphrases land here ("can I get more time to pay" and "Extend your due
  date" share no word).
* words: BM25 over Snowball-stemmed text ranks articles for the words the customer used;
  its coverage, the idf-weighted share of the question's content words that the article
  contains, tells how much of the question the article speaks to. A word no article uses
  counts like the rarest word there is, so "when is my tax return due" is not half answered
  by the due-date article.

They are added (words weighted by WORDS_WEIGHT) into a match score that ranks articles; the
confidence module turns the best score and its lead over the runner-up into a probability.

An index per language is built once for a given set of articles and kept (a few per
process): embedding a 500-article help centre takes about a second, answering from it about
a millisecond. Any edit to an article gives a different set, hence a fresh index on the next
message, with nothing to invalidate.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rank_bm25 import BM25Okapi

from tickets.assistant import embeddings
from tickets.assistant.confidence import answer_confidence, smoothed_idf
from tickets.assistant.records import Article
from tickets.assistant.words import base_language, content_words

# Both chosen on the tuning part of the evaluation set (docs/assistant.md).
WORDS_WEIGHT = 0.3
CLOSEST_VIEWS = 2
# Titles, keywords and example questions say what an article is for; the body also says a
# lot else. Repeating them in the indexed text is the usual poor man's field weighting.
HEADLINE_REPEAT = 2
# For coverage, a word found only in the body counts for less: bodies mention things in
# passing ("refunds go back to the card you paid with" is not an article about cards).
BODY_ONLY_COVERAGE = 0.6
INDEXES_KEPT = 8


@dataclass(frozen=True, kw_only=True)
class RankedArticle:
    article: Article
    score: float  # meaning + WORDS_WEIGHT * words
    confidence: float  # for the best article: the chance it answers the question
    meaning: float = 0.0
    words: float = 0.0


class _LuceneIdfBM25(BM25Okapi):
    """BM25Okapi with Lucene's always-positive idf.

    rank_bm25's Okapi idf is zero or negative for a word found in half the documents or
    more, which on a small language (five Spanish articles) makes common matches score 0.
    """

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, frequency in nd.items():
            self.idf[word] = smoothed_idf(
                document_frequency=frequency, document_count=self.corpus_size
            )


def articles_for_language(*, articles: Sequence[Article], language: str) -> list[Article]:
    """The articles written in the customer's language; none when there are none, so a
    question is never answered from an article the customer may not be able to read."""
    wanted = base_language(language)
    return [article for article in articles if base_language(article.language) == wanted]


def article_views(article: Article) -> list[str]:
    """The texts whose meaning stands for the article."""
    views = [article.title, article.body]
    if article.keywords:
        views.append(f"{article.title}: {', '.join(article.keywords)}")
    views.extend(question for question in article.example_questions if question.strip())
    return views


class LanguageIndex:
    """The articles of one language, embedded and indexed for BM25."""

    def __init__(self, *, articles: Sequence[Article], language: str) -> None:
        self.language = base_language(language)
        self.articles = list(articles)
        owners, texts = [], []
        for position, article in enumerate(self.articles):
            for view in article_views(article):
                owners.append(position)
                texts.append(view)
        self._view_vectors = embeddings.embed(texts)
        self.digests = {embeddings.digest(text) for text in texts}
        # Row a lists article a's views (their rows in _view_vectors), padded with -1.
        widest = max((owners.count(position) for position in range(len(self.articles))), default=0)
        self._views_of = np.full((len(self.articles), widest), -1, dtype=np.int64)
        filled = [0] * len(self.articles)
        for view, position in enumerate(owners):
            self._views_of[position, filled[position]] = view
            filled[position] += 1

        headlines = [self._headline_words(article) for article in self.articles]
        documents = [
            headline * HEADLINE_REPEAT + content_words(article.body, self.language)
            for headline, article in zip(headlines, self.articles, strict=True)
        ]
        self._word_sets = [set(document) for document in documents]
        self._headline_sets = [set(headline) for headline in headlines]
        self._document_frequency: dict[str, int] = {}
        for words in self._word_sets:
            for word in words:
                self._document_frequency[word] = self._document_frequency.get(word, 0) + 1
        self._bm25 = _LuceneIdfBM25(documents) if any(documents) else None

    def _headline_words(self, article: Article) -> list[str]:
        text = " ".join((article.title, *article.keywords, *article.example_questions))
        return content_words(text, self.language)

    def meaning(self, question: str) -> np.ndarray:
        """Per article, the mean cosine of the question with its CLOSEST_VIEWS closest views."""
        if not self.articles:
            return np.zeros(0, dtype=np.float32)
        vector = embeddings.embed([question], use_store=False)[0]
        if not vector.any():
            return np.zeros(len(self.articles), dtype=np.float32)
        # A padding slot reads the appended -inf, which never counts among the closest.
        similarities = np.append(self._view_vectors @ vector, -np.inf)
        per_article = similarities[self._views_of]
        closest = min(CLOSEST_VIEWS, per_article.shape[1])
        nearest = -np.partition(-per_article, closest - 1, axis=1)[:, :closest]
        nearest = np.where(np.isfinite(nearest), nearest, nearest[:, :1])
        return np.clip(nearest.mean(axis=1), 0.0, 1.0)

    def words(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """Per article, the BM25 score and the idf-weighted coverage of the question."""
        count = len(self.articles)
        query = list(dict.fromkeys(content_words(question, self.language)))
        if not query or self._bm25 is None:
            return np.zeros(count), np.zeros(count)
        bm25 = np.asarray(self._bm25.get_scores(query), dtype=np.float64)
        weights = {
            word: smoothed_idf(
                document_frequency=self._document_frequency.get(word, 0), document_count=count
            )
            for word in query
        }
        total = sum(weights.values())
        coverage = np.zeros(count)
        for position in range(count):
            words, headline = self._word_sets[position], self._headline_sets[position]
            covered = sum(
                weight if word in headline else weight * BODY_ONLY_COVERAGE
                for word, weight in weights.items()
                if word in words
            )
            coverage[position] = covered / total
        return bm25, coverage

    def rank(self, question: str) -> list[RankedArticle]:
        if not self.articles:
            return []
        meaning = self.meaning(question)
        bm25, coverage = self.words(question)
        scores = meaning + WORDS_WEIGHT * coverage
        # Equal scores: more BM25 first, then the knowledge base's own order.
        order = sorted(
            range(len(self.articles)), key=lambda position: (-scores[position], -bm25[position])
        )
        best = scores[order[0]]
        runner_up = scores[order[1]] if len(order) > 1 else 0.0
        ranked = []
        for place, position in enumerate(order):
            confidence = (
                answer_confidence(score=float(best), runner_up_score=float(runner_up))
                if place == 0
                else answer_confidence(score=float(scores[position]), runner_up_score=float(best))
            )
            ranked.append(
                RankedArticle(
                    article=self.articles[position],
                    score=round(float(scores[position]), 4),
                    confidence=confidence,
                    meaning=round(float(meaning[position]), 4),
                    words=round(float(coverage[position]), 4),
                )
            )
        return ranked


@functools.lru_cache(maxsize=INDEXES_KEPT)
def language_index(articles: tuple[Article, ...], language: str) -> LanguageIndex:
    return LanguageIndex(
        articles=articles_for_language(articles=articles, language=language), language=language
    )


def rank_articles(
    *, question: str, articles: Sequence[Article], language: str
) -> list[RankedArticle]:
    """Articles in the customer's language, best match first, each with its confidence.

    Empty when no article is written in that language.
    """
    return language_index(tuple(articles), base_language(language)).rank(question)
