"""How sure the assistant is that an article answers a question.

BM25 scores rank articles but have no fixed scale: they grow with the number of query
words and shrink as the knowledge base grows. The confidence therefore combines two
numbers that do live in [0, 1]:

* coverage: the share of the question's distinct content words that the article contains,
  each word weighted by its idf so that rare, specific words ("chargeback", "invoice")
  count for more than common ones ("order"). A question the knowledge base says nothing
  about scores 0.
* margin: how far the article's BM25 score is ahead of the best other article,
  (score - runner_up) / score. Two articles that match equally well make the choice a coin
  toss.

    confidence = coverage * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * margin)

so a question fully covered by one clear winner scores 1.0, and one fully covered by two
tied articles still scores COVERAGE_FLOOR (the answer is probably right either way).
"""

import math

CONFIDENCE_THRESHOLD = 0.35
COVERAGE_FLOOR = 0.6


def smoothed_idf(*, document_frequency: int, document_count: int) -> float:
    """Lucene's idf: always positive, even for words in every document of a tiny corpus.

    A word no article contains is weighted like a word found in a single article: the
    knowledge base has no evidence that it is rarer than that.
    """
    frequency = max(document_frequency, 1)
    return math.log(1 + (document_count - frequency + 0.5) / (frequency + 0.5))


def article_confidence(*, coverage: float, score: float, runner_up_score: float) -> float:
    if score <= 0 or coverage <= 0:
        return 0.0
    margin = min(max((score - runner_up_score) / score, 0.0), 1.0)
    confidence = coverage * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * margin)
    return round(min(max(confidence, 0.0), 1.0), 3)
