"""Lexical retrieval of knowledge articles with BM25 (rank_bm25), no network.

The index is rebuilt on every call: knowledge bases here hold tens to a few hundred short
articles, which index in well under a millisecond each, and rebuilding means an admin's
edit is live on the next message without any cache to invalidate.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from tickets.assistant.confidence import article_confidence, smoothed_idf
from tickets.assistant.records import Article
from tickets.assistant.words import content_words

# Titles and keywords say what an article is for; the body also says a lot else. Repeating
# them in the indexed text is the usual poor man's field weighting.
TITLE_WEIGHT = 2
KEYWORD_WEIGHT = 2
# For coverage, a word found only in the body counts for less: bodies mention things in
# passing ("refunds to an Acme Pay wallet" is not an article about paying).
BODY_ONLY_COVERAGE = 0.6


@dataclass(frozen=True, kw_only=True)
class RankedArticle:
    article: Article
    score: float
    confidence: float


class _LuceneIdfBM25(BM25Okapi):
    """BM25Okapi with Lucene's always-positive idf.

    rank_bm25's Okapi idf is zero or negative for a word found in half the documents or
    more, which on a two-article language (our Spanish set) makes every match score 0.
    """

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, frequency in nd.items():
            self.idf[word] = smoothed_idf(
                document_frequency=frequency, document_count=self.corpus_size
            )


def articles_for_language(*, articles: Sequence[Article], language: str) -> list[Article]:
    """The articles in the customer's language, or all of them when there are none.

    Cross-language matching is left to the LLM backend: lexically, a Spanish question
    barely overlaps an English article anyway.
    """
    wanted = language.split("-")[0].lower()
    in_language = [article for article in articles if article.language.lower() == wanted]
    return in_language or list(articles)


def headline_words(article: Article) -> list[str]:
    """The words of the title and keywords: what the article is about."""
    return content_words(article.title) + content_words(" ".join(article.keywords))


def indexed_words(article: Article) -> list[str]:
    keywords = " ".join(article.keywords)
    return (
        content_words(article.title) * TITLE_WEIGHT
        + content_words(article.body)
        + content_words(keywords) * KEYWORD_WEIGHT
    )


def rank_articles(
    *, question: str, articles: Sequence[Article], language: str
) -> list[RankedArticle]:
    """Articles in the customer's language, best match first, each with its confidence.

    Empty when there are no articles. Articles that share no word with the question are
    still listed, with score and confidence 0, after those that do.
    """
    candidates = articles_for_language(articles=articles, language=language)
    if not candidates:
        return []
    documents = [indexed_words(article) for article in candidates]
    query = list(dict.fromkeys(content_words(question)))
    if not query:
        return [RankedArticle(article=article, score=0.0, confidence=0.0) for article in candidates]

    if not any(documents):
        return [RankedArticle(article=article, score=0.0, confidence=0.0) for article in candidates]

    index = _LuceneIdfBM25(documents)
    scores = [float(score) for score in index.get_scores(query)]
    by_score = sorted(range(len(scores)), key=lambda position: scores[position], reverse=True)
    best_position = by_score[0]
    second_best_score = scores[by_score[1]] if len(by_score) > 1 else 0.0
    word_sets = [set(document) for document in documents]
    headline_sets = [set(headline_words(article)) for article in candidates]
    weights = {
        word: smoothed_idf(
            document_frequency=sum(word in words for words in word_sets),
            document_count=len(candidates),
        )
        for word in query
    }
    total_weight = sum(weights.values())

    ranked = []
    for position, article in enumerate(candidates):
        covered = sum(
            weight if word in headline_sets[position] else weight * BODY_ONLY_COVERAGE
            for word, weight in weights.items()
            if word in word_sets[position]
        )
        runner_up = second_best_score if position == best_position else scores[best_position]
        confidence = article_confidence(
            coverage=covered / total_weight, score=scores[position], runner_up_score=runner_up
        )
        ranked.append(RankedArticle(article=article, score=scores[position], confidence=confidence))
    # Stable sort: on equal scores the knowledge base's own order decides.
    ranked.sort(key=lambda ranked_article: ranked_article.score, reverse=True)
    return ranked
