"""respond, the assistant's decision on one customer message, and summarize_handover, for
handovers the customer asks for between messages.

A bare greeting or thank-you gets a canned reply without an article and never counts as
an unsure answer, so "thanks" after an answer cannot push a conversation to a person.

When several escalation rules apply, the first in this order gives the reason:

    sensitive_topic > customer_request > frustration > vip > low_confidence

Sensitive topics come first because they also pick the skill and urgency (fraud goes to
the fraud team, urgent, whatever else was said); only the classifier's guess yields to an
explicit request for a person (see _escalation_before_answering). An explicit request beats inferred
frustration, which beats the standing VIP rule, and low confidence only counts once the
assistant has actually tried to answer. Whatever the reason, a VIP conversation is at
least high priority.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from tickets.assistant.backends import Backend, BackendAnswer, LocalBackend
from tickets.assistant.confidence import CONFIDENCE_THRESHOLD
from tickets.assistant.handover import handover_summary
from tickets.assistant.phrases import (
    answer_with_source,
    handover_phrase,
    no_articles_in_language_phrase,
    phrase,
    small_talk_phrase,
)
from tickets.assistant.records import (
    Article,
    Decision,
    Handover,
    Priority,
    Reason,
    Sender,
    Turn,
)
from tickets.assistant.retrieval import articles_for_language, language_index, rank_articles
from tickets.assistant.sensitive import (
    ASKS_FOR_PERSON,
    classifier_for,
    sensitive_by_pattern,
    sensitive_topic_in,
)
from tickets.assistant.topics import GENERAL_TOPIC, SENSITIVE_TOPIC_BY_NAME, skills_for_topic
from tickets.assistant.triggers import (
    asks_for_a_person,
    repeats_an_answered_question,
    small_talk_in,
    sounds_frustrated,
)
from tickets.assistant.words import base_language
from tickets.masking import mask_secrets

# Routing only needs a hint, so a weaker match than an answer needs still names the topic
# (a question padded with "I want to talk to someone about…" matches less well): at this
# confidence the best article is the right one about as often as not.
TOPIC_GUESS_MIN_CONFIDENCE = 0.5
_DEFAULT_BACKEND = LocalBackend()


@dataclass(frozen=True, kw_only=True)
class _Escalation:
    reason: Reason | str  # str only for reasons from outside, such as "handoff"
    why: str
    topic: str | None = None  # None: guess it from the articles
    priority: Priority = Priority.NORMAL


def respond(
    *,
    message: str,
    history: Sequence[Turn],
    articles: Sequence[Article],
    language: str,
    is_vip: bool,
    unsure_in_a_row: int,
    backend: Backend | None = None,
) -> Decision:
    """Answer the customer's message or hand the conversation to a person.

    history holds the earlier turns, oldest first, without the current message.
    unsure_in_a_row counts the consecutive previous answers below CONFIDENCE_THRESHOLD;
    Decision.is_unsure tells the caller whether to increment it or reset it to 0.
    Card numbers and security codes are masked before the message reaches a backend or
    the summary.
    """
    message = mask_secrets(message)
    history = [Turn(sender=turn.sender, body=mask_secrets(turn.body)) for turn in history]

    escalation = _escalation_before_answering(
        message=message, history=history, articles=articles, is_vip=is_vip
    )
    if escalation is not None:
        return _escalated(
            escalation=escalation,
            message=message,
            history=history,
            articles=articles,
            language=language,
            is_vip=is_vip,
            drafted_article=None,
            confidence=0.0,
        )

    small_talk = small_talk_in(message)
    if small_talk is not None:
        return Decision(
            answer=small_talk_phrase(small_talk=small_talk, language=language),
            article_id=None,
            article_title=None,
            confidence=1.0,
            escalate=False,
            reason=None,
            topic=GENERAL_TOPIC,
            priority=int(Priority.NORMAL),
            required_skills=skills_for_topic(GENERAL_TOPIC),
            summary="",
        )

    # Never an article in another language: with none in the customer's, the assistant says
    # so in their language and offers a person, as an unsure answer does.
    has_articles_in_language = bool(articles_for_language(articles=articles, language=language))
    if has_articles_in_language:
        drafted = (backend or _DEFAULT_BACKEND).answer(
            message=message, history=history, articles=articles, language=language
        )
    else:
        drafted = BackendAnswer(text=None, article=None, confidence=0.0)
    if drafted.article is not None and drafted.text and drafted.confidence >= CONFIDENCE_THRESHOLD:
        return Decision(
            answer=answer_with_source(
                answer=drafted.text, title=drafted.article.title, language=language
            ),
            article_id=drafted.article.id,
            article_title=drafted.article.title,
            confidence=drafted.confidence,
            escalate=False,
            reason=None,
            topic=drafted.article.topic,
            priority=int(Priority.NORMAL),
            required_skills=skills_for_topic(drafted.article.topic),
            summary="",
        )

    if unsure_in_a_row >= 1:
        return _escalated(
            escalation=_Escalation(
                reason=Reason.LOW_CONFIDENCE,
                why=(
                    f"The assistant was unsure {unsure_in_a_row + 1} times in a row "
                    f"(latest confidence {drafted.confidence:.2f})."
                ),
            ),
            message=message,
            history=history,
            articles=articles,
            language=language,
            is_vip=is_vip,
            drafted_article=(
                drafted.article if drafted.confidence >= TOPIC_GUESS_MIN_CONFIDENCE else None
            ),
            confidence=drafted.confidence,
        )

    topic = (
        drafted.article.topic
        if drafted.article is not None and drafted.confidence >= TOPIC_GUESS_MIN_CONFIDENCE
        else GENERAL_TOPIC
    )
    return Decision(
        answer=(
            phrase(key="unsure", language=language)
            if has_articles_in_language
            else no_articles_in_language_phrase(language=language)
        ),
        article_id=None,
        article_title=None,
        confidence=drafted.confidence,
        escalate=False,
        reason=None,
        topic=topic,
        priority=int(Priority.NORMAL),
        required_skills=skills_for_topic(topic),
        summary="",
    )


def prepare(articles: Sequence[Article]) -> set[str]:
    """Build now what respond needs for these articles: the index of every language they are
    written in and the sensitive-topic classifier. Returns the digests of the texts embedded
    (tickets.assistant.embeddings), which are the ones worth keeping."""
    articles = tuple(articles)
    digests = set()
    for language in sorted({base_language(article.language) for article in articles}):
        digests |= language_index(articles, language).digests
    digests |= classifier_for(articles).digests
    return digests


def _escalation_before_answering(
    *, message: str, history: Sequence[Turn], articles: Sequence[Article], is_vip: bool
) -> _Escalation | None:
    """The rules that need no drafted answer, in order of precedence.

    A request for a person found by pattern comes before the classifier (not before the
    sensitive-topic patterns): the customer gets a person either way, and on a short request
    ("Quiero hablar con una persona") the classifier's guess at a topic is least reliable
    while it would put the ticket at the head of the fraud team's queue. The classifier also
    recognises requests for a person the patterns do not know.
    """
    sensitive = sensitive_by_pattern(message)
    asks_for_person = asks_for_a_person(message)
    if sensitive is None and not asks_for_person:
        label = classifier_for(tuple(articles)).label(message)
        asks_for_person = label == ASKS_FOR_PERSON
        sensitive = SENSITIVE_TOPIC_BY_NAME.get(label or "")
    if sensitive is not None:
        readable = sensitive.name.replace("_", " ")
        return _Escalation(
            reason=Reason.SENSITIVE_TOPIC,
            why=f"Sensitive topic ({readable}): only a person may handle it.",
            topic=sensitive.name,
            priority=sensitive.priority,
        )
    if asks_for_person:
        return _Escalation(
            reason=Reason.CUSTOMER_REQUEST, why="The customer asked to talk to a person."
        )
    if repeats_an_answered_question(message=message, history=history):
        return _Escalation(
            reason=Reason.FRUSTRATION,
            why="The customer repeated a question the assistant had already answered.",
            priority=Priority.HIGH,
        )
    if sounds_frustrated(message):
        return _Escalation(
            reason=Reason.FRUSTRATION,
            why="The customer sounds frustrated.",
            priority=Priority.HIGH,
        )
    if is_vip:
        return _Escalation(
            reason=Reason.VIP,
            why="VIP customer: VIP conversations always go to a person.",
            priority=Priority.HIGH,
        )
    return None


def _escalated(
    *,
    escalation: _Escalation,
    message: str,
    history: Sequence[Turn],
    articles: Sequence[Article],
    language: str,
    is_vip: bool,
    drafted_article: Article | None,
    confidence: float,
) -> Decision:
    handover = _handover(
        escalation=escalation,
        message=message,
        history=history,
        articles=articles,
        language=language,
        is_vip=is_vip,
        related=drafted_article,
    )
    return Decision(
        answer=handover_phrase(reason=escalation.reason, language=language),
        article_id=None,
        article_title=None,
        confidence=confidence,
        escalate=True,
        reason=handover.reason,
        topic=handover.topic,
        priority=handover.priority,
        required_skills=handover.required_skills,
        summary=handover.summary,
    )


def summarize_handover(
    *,
    history: Sequence[Turn],
    articles: Sequence[Article],
    language: str,
    is_vip: bool,
    reason: str,
) -> Handover:
    """Topic, priority, skills and summary for an escalation respond did not decide.

    For when the customer presses "Talk to a person" between messages: history is the
    whole conversation so far. reason is kept as given; a sensitive topic the customer
    raised still sets the topic and a priority at least as high as its own.
    """
    history = [Turn(sender=turn.sender, body=mask_secrets(turn.body)) for turn in history]
    sensitive = next(
        (
            topic
            for turn in history
            if turn.sender == Sender.CUSTOMER
            and (topic := sensitive_topic_in(turn.body, articles=articles)) is not None
        ),
        None,
    )
    known_reason = _known_reason(reason)
    priority = _PRIORITY_FOR_REASON.get(known_reason, Priority.NORMAL)
    escalation = _Escalation(
        reason=known_reason or reason,
        why=_WHY_FOR_REASON.get(known_reason, f"Escalated ({reason})."),
        topic=sensitive.name if sensitive is not None else None,
        priority=max(priority, sensitive.priority) if sensitive is not None else priority,
    )
    return _handover(
        escalation=escalation,
        message=None,
        history=history,
        articles=articles,
        language=language,
        is_vip=is_vip,
        related=None,
    )


def _known_reason(reason: str) -> Reason | None:
    try:
        return Reason(reason)
    except ValueError:
        return None


_PRIORITY_FOR_REASON: dict[Reason | None, Priority] = {
    Reason.CUSTOMER_REQUEST: Priority.NORMAL,
    Reason.LOW_CONFIDENCE: Priority.NORMAL,
    Reason.FRUSTRATION: Priority.HIGH,
    Reason.SENSITIVE_TOPIC: Priority.HIGH,
    Reason.VIP: Priority.HIGH,
}
_WHY_FOR_REASON: dict[Reason | None, str] = {
    Reason.CUSTOMER_REQUEST: "The customer asked to talk to a person.",
    Reason.LOW_CONFIDENCE: "The assistant was unsure.",
    Reason.FRUSTRATION: "The customer sounds frustrated.",
    Reason.SENSITIVE_TOPIC: "Sensitive topic: only a person may handle it.",
    Reason.VIP: "VIP customer: VIP conversations always go to a person.",
}


def _handover(
    *,
    escalation: _Escalation,
    message: str | None,
    history: Sequence[Turn],
    articles: Sequence[Article],
    language: str,
    is_vip: bool,
    related: Article | None,
) -> Handover:
    if related is None:
        related = _related_article(
            message=message, history=history, articles=articles, language=language
        )
    topic = escalation.topic or (related.topic if related is not None else GENERAL_TOPIC)
    priority = max(escalation.priority, Priority.HIGH) if is_vip else escalation.priority
    why = escalation.why
    if is_vip and escalation.reason != Reason.VIP:
        why += " VIP customer."
    return Handover(
        reason=str(escalation.reason),
        topic=topic,
        priority=int(priority),
        required_skills=skills_for_topic(topic),
        summary=handover_summary(
            topic=topic, why=why, message=message, history=history, related_article=related
        ),
    )


def _related_article(
    *,
    message: str | None,
    history: Sequence[Turn],
    articles: Sequence[Article],
    language: str,
) -> Article | None:
    """The article closest to what the customer is asking about, if any is close enough.

    The latest message alone often says nothing about the subject ("human please!"), so
    the customer's earlier messages are tried together with it as well.
    """
    said = [turn.body for turn in history if turn.sender == Sender.CUSTOMER]
    if message is not None:
        said.append(message)
    if not said:
        return None
    for question in (said[-1], " ".join(said)):
        ranked = rank_articles(question=question, articles=articles, language=language)
        if ranked and ranked[0].confidence >= TOPIC_GUESS_MIN_CONFIDENCE:
            return ranked[0].article
    return None
