"""How sure the assistant is that the best article answers a question.

Retrieval gives the best article a match score (meaning plus weighted word coverage, see
retrieval) and a lead over the runner-up. Neither is a probability, so a logistic model
turns the two into one:

    confidence = 1 / (1 + exp(-(SCORE_WEIGHT * score + LEAD_WEIGHT * lead + BIAS)))

fitted on the tuning part of the evaluation set (`python manage.py evaluate_assistant
--calibrate`) to the chance that the best article is the right answer. The assistant
answers only at or above CONFIDENCE_THRESHOLD, chosen on the same tuning set as the lowest
confidence at which wrong answers stay rare (docs/assistant.md has the numbers and the
held-out results). The held-out part is never used here.
"""

import math

# Fitted by `manage.py evaluate_assistant --calibrate tickets/assistant/data/eval_tune.json`
# on the demo help centre: at this threshold wrong answers were 1.5 % of the tuning questions.
SCORE_WEIGHT = 4.357
LEAD_WEIGHT = 5.268
BIAS = -2.744
CONFIDENCE_THRESHOLD = 0.842


def smoothed_idf(*, document_frequency: int, document_count: int) -> float:
    """Lucene's idf: always positive, even for words in every document of a tiny corpus.

    A word no article contains is weighted like a word found in a single article: the
    knowledge base has no evidence that it is rarer than that.
    """
    frequency = max(document_frequency, 1)
    return math.log(1 + (document_count - frequency + 0.5) / (frequency + 0.5))


def answer_confidence(*, score: float, runner_up_score: float) -> float:
    if score <= 0:
        return 0.0
    lead = max(score - runner_up_score, 0.0)
    logit = SCORE_WEIGHT * score + LEAD_WEIGHT * lead + BIAS
    return round(1 / (1 + math.exp(-logit)), 3)
