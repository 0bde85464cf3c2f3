"""Urgent and sensitive problems, which go to a person on the customer's first message.

Two detectors, either of which is enough:

* a nearest-neighbour classifier on sentence embeddings. It compares the message with
  labelled example messages the project ships (data/sensitive_examples.json: per category
  and language, plus "routine" messages that use the same words but are not urgent, such
  as "how do I freeze my card before my trip") and with the help centre's own titles and
  example questions, which are routine by definition. A message is sensitive when its
  closest sensitive examples are close enough, and closer than its closest routine ones by
  a margin. This is what generalises to wordings nobody wrote down.
* patterns for the unmistakable phrasings ("stolen card", "unauthorised charge"), in English
  and Spanish, which catch them even inside a long message that the embedding of the whole
  message dilutes.

The thresholds were chosen on the tuning part of the evaluation set (docs/assistant.md).
"""

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tickets.assistant import embeddings
from tickets.assistant.records import Article
from tickets.assistant.topics import (
    ACCOUNT_COMPROMISED,
    BEREAVEMENT,
    COMPLAINT,
    FINANCIAL_HARDSHIP,
    FRAUD_OR_SCAM,
    LOST_OR_STOLEN,
    SENSITIVE_TOPIC_BY_NAME,
    THREAT_OF_HARM,
    UNRECOGNISED_PAYMENT,
    SensitiveTopic,
)
from tickets.assistant.words import fold

EXAMPLES_PATH = Path(__file__).parent / "data" / "sensitive_examples.json"
ROUTINE = "routine"
# Also a category of the examples: not a sensitive topic, but a request for a person in
# words the patterns of tickets.assistant.triggers do not know.
ASKS_FOR_PERSON = "asks_for_person"

# A category's evidence is the mean similarity of its NEAREST closest examples.
NEAREST = 2
# Chosen on the tuning set (docs/assistant.md): the evidence a category needs, and its lead
# over the closest routine messages.
MIN_SIMILARITY = 0.5
MIN_LEAD_OVER_ROUTINE = 0.03
CLASSIFIERS_KEPT = 8

_OBJECT = r"(?:card|credit\s+card|debit\s+card|wallet|purse|phone|mobile|iphone|handbag|bag)"
_PAYMENT = r"(?:charge|transaction|payment|purchase|withdrawal|debit|order|invoice)"
_PATTERNS: tuple[tuple[SensitiveTopic, str], ...] = (
    (
        LOST_OR_STOLEN,
        rf"\b(?:lost|misplaced|dropped|can'?t\s+find|cannot\s+find|left)\s+(?:my|our|the)\s+"
        rf"(?:\w+\s+)?{_OBJECT}\b(?!\s+(?:number|password|pin\s+reminder))"
        rf"|\b{_OBJECT}\s+(?:is|was|were|has\s+been|got|have\s+been)\s+"
        r"(?:lost|stolen|missing|nicked|taken|gone)\b"
        rf"|\b(?:stole|stolen|nicked|pinched|snatched|robbed|pickpocket\w*|mugged)\b"
        r"|\b(?:perdi|he\s+perdido|extravie)\s+(?:mi|la)\s+(?:tarjeta|cartera|movil|telefono)\b"
        r"|\b(?:tarjeta|cartera|movil|telefono)\s+(?:robad[oa]|perdid[oa])\b"
        r"|\b(?:me\s+)?(?:robaron|han\s+robado)\b",
    ),
    (
        UNRECOGNISED_PAYMENT,
        rf"\bunauthori[sz]ed\s+(?:\w+\s+)?{_PAYMENT}"
        rf"|\b(?:didn'?t|did\s+not|never)\s+(?:make|authori[sz]e|recogni[sz]e|order|buy)\s+"
        rf"(?:this|these|that|the|a|an|those|any)\s+(?:\w+\s+)?{_PAYMENT}"
        rf"|\b{_PAYMENT}s?\s+(?:that\s+|which\s+)?i\s+(?:didn'?t|did\s+not|never|don'?t|do\s+not)\s+"
        r"(?:make|made|authori[sz]e|recogni[sz]e|order|know)"
        r"|\b(?:don'?t|do\s+not|can'?t)\s+recogni[sz]e\b"
        r"|\bi\s+(?:didn'?t|did\s+not|never)\s+(?:buy|make|order|purchase|authori[sz]e|spend)\s+"
        r"(?:this|that|these|those|it|them|anything)\b"
        r"|\bwithout\s+my\s+(?:permission|consent|knowledge|authori[sz]ation)\b"
        r"|\bnever\s+(?:ordered|bought|shopped|purchased)\s+(?:from|anything|this|that|it)\b"
        r"|\bno\s+reconozco\b|\b(?:cargo|pago|compra|cobro)\s+no\s+autorizad[oa]"
        r"|\bsin\s+mi\s+(?:permiso|consentimiento|autorizacion)\b",
    ),
    (
        ACCOUNT_COMPROMISED,
        r"\bhack(?:ed|er|ers)\b|\bhackearon\b"
        r"|\bsomeone\s+(?:else\s+)?(?:used|accessed|logged\s+into|got\s+into|took\s+over"
        r"|is\s+using|has\s+access\s+to|changed)\s+my\b"
        r"|\b(?:wasn'?t|was\s+not)\s+me\b"
        r"|\b(?:password|email|e-mail|phone\s+number|pin)\s+(?:was|were|has\s+been|got)\s+changed\b"
        r"|\bcodigos?\s+(?:de\s+verificacion\s+)?que\s+(?:yo\s+)?no\s+(?:he\s+)?pedido"
        r"|\balguien\s+(?:intenta|ha\s+intentado|quiere|esta\s+intentando)\s+(?:entrar|acceder)"
        r"|\b(?:alguien|otra\s+persona)\s+(?:entro|ha\s+entrado|accedio|cambio|uso)\b",
    ),
    (
        FRAUD_OR_SCAM,
        r"\b(?:fraud\w*|scam\w*|phishing|identity\s+theft|impersonat\w*|con\s+artist"
        r"|pretend\w*\s+to\s+be\s+(?:from\s+)?acme|haciendose\s+pasar|se\s+hizo\s+pasar"
        r"|fraude|estafa\w*|estafaron|timo|robo\s+de\s+identidad|suplantacion)\b",
    ),
    (
        THREAT_OF_HARM,
        r"\b(?:kill|hurt|harm)\s+(?:myself|my\s*self|yourself|you|him|her|them|someone|somebody)\b"
        r"|\bsuicid\w*|\bend\s+(?:my\s+life|it\s+all)\b|\bself[\s-]?harm\b"
        r"|\b(?:don'?t|do\s+not)\s+want\s+to\s+(?:live|be\s+alive)\b"
        r"|\b(?:not|don'?t\s+feel)\s+safe\b|\bdomestic\s+(?:abuse|violence)\b"
        r"|\b(?:matarme|quitarme\s+la\s+vida|suicidarme|hacerme\s+dano)\b|\boverdos\w*"
        r"|\b(?:can'?t|cannot)\s+go\s+on\b"
        r"|انتحار|إيذاء\s+نفسي|आत्महत्या|自杀|轻生|自殺|死にたい",
    ),
    (
        BEREAVEMENT,
        r"\bbereave\w*|\bpassed\s+away\b|\bdeath\s+in\s+(?:the|my)\s+family\b|\bdeceased\b"
        r"|\b(?:my|our)\s+(?:\w+\s+)?(?:mother|father|mum|mom|dad|husband|wife|partner|son"
        r"|daughter|brother|sister|parent|grandmother|grandfather|grandma|grandpa|spouse)\s+"
        r"(?:has\s+|just\s+|recently\s+)?died\b"
        r"|\b(?:mother|father|mum|mom|dad|husband|wife|partner|son|daughter|brother|sister"
        r"|parent|spouse)\s+(?:has\s+|just\s+)?passed\b(?!\s+(?:the|my|an?|on\s+the)\b)"
        r"|\bfallec\w*|\bmurio\b|\bha\s+muerto\b",
    ),
    (
        FINANCIAL_HARDSHIP,
        r"\b(?:can'?t|cannot|can\s+not|unable\s+to|couldn'?t)\s+(?:afford\b|pay\s+"
        r"(?:my|the|this|it|back|off|rent|bills?|anymore|any\s+more|what\s+i\s+owe)\b)"
        r"|\b(?:lost|losing)\s+my\s+(?:job|income|work)\b|\blaid\s+off\b|\bmade\s+redundant\b"
        r"|\bunemployed\b|\bfinancial\s+(?:hardship|difficult\w*|trouble)"
        r"|\bstruggling\s+(?:financially|to\s+pay)|\bin\s+debt\b"
        r"|\bno\s+puedo\s+pagar\b(?!\s+(?:con|por|en|usando|mediante))"
        r"|\bperdi\s+mi\s+(?:trabajo|empleo)\b|\bme\s+despidieron\b|\bdesemplead[oa]\b"
        r"|\b(?:hours|salary|pay|income|wages?|benefits)\s+(?:got|was|were|have\s+been|has\s+been)\s+"
        r"(?:cut|reduced|slashed|stopped)\b|\bnothing\s+left\b"
        r"|\bno\s+tengo\s+(?:para|dinero|con\s+que)\s+pagar\b|\bno\s+puedo\s+trabajar\b"
        r"|\bdificultades\s+economicas\b",
    ),
    (
        COMPLAINT,
        r"\b(?:formal(?:ly)?\s+complain\w*|make\s+a\s+complaint|file\s+a\s+complaint"
        r"|(?:want|going)\s+to\s+(?:complain|escalate)|official\s+complaint"
        r"|complaints?\s+(?:procedure|process|department)"
        r"|ombudsman|regulator|queja\s+formal|poner\s+una\s+(?:queja|reclamacion)"
        r"|reclamacion\s+formal|hoja\s+de\s+reclamaciones)\b",
    ),
)
_COMPILED = tuple((topic, re.compile(pattern)) for topic, pattern in _PATTERNS)


def sensitive_by_pattern(text: str) -> SensitiveTopic | None:
    folded = fold(text)
    for topic, pattern in _COMPILED:
        if pattern.search(folded):
            return topic
    return None


@functools.cache
def shipped_examples() -> dict[str, list[str]]:
    """Category to example messages, all languages together."""
    data = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
    return {
        category: [text for texts in by_language.values() for text in texts]
        for category, by_language in data.items()
    }


class SensitiveClassifier:
    """Nearest neighbours among labelled example messages (see the module's docstring).

    A long message is judged sentence by sentence as well as whole: "everything is falling
    apart, I have pills in front of me" loses most of its meaning when averaged with three
    sentences about an invoice.
    """

    def __init__(self, *, routine_texts: Sequence[str]) -> None:
        examples = shipped_examples()
        labels, texts = [], []
        for category, category_texts in examples.items():
            labels.extend([category] * len(category_texts))
            texts.extend(category_texts)
        labels.extend([ROUTINE] * len(routine_texts))
        texts.extend(routine_texts)
        self._labels = np.asarray(labels)
        self._vectors = embeddings.embed(texts)
        self.digests = {embeddings.digest(text) for text in texts}
        self._categories = [name for name in examples if name != ROUTINE]
        self._rows = {
            category: np.flatnonzero(self._labels == category)
            for category in (*self._categories, ROUTINE)
        }

    def evidence(self, text: str) -> dict[str, float]:
        """Per category (routine included), the mean similarity of the whole text's nearest
        examples."""
        return self._evidence([text])[0]

    def _evidence(self, texts: Sequence[str]) -> list[dict[str, float]]:
        vectors = embeddings.embed(list(texts), use_store=False)
        similarities = vectors @ self._vectors.T
        found = []
        for row, vector in zip(similarities, vectors, strict=True):
            if not vector.any():
                found.append({})
                continue
            evidence = {}
            for category, rows in self._rows.items():
                if len(rows):
                    nearest = np.sort(row[rows])[-NEAREST:]
                    evidence[category] = float(nearest.mean())
            found.append(evidence)
        return found

    def label(self, text: str) -> str | None:
        """The category the text is closest to (a sensitive topic, or ASKS_FOR_PERSON), or
        None when it is closest to routine messages or close to nothing."""
        best_category, best_similarity = None, 0.0
        for evidence in self._evidence(segments(text)):
            routine = evidence.pop(ROUTINE, 0.0)
            if not evidence:
                continue
            category, similarity = max(evidence.items(), key=lambda item: item[1])
            if (
                similarity >= MIN_SIMILARITY
                and similarity - routine >= MIN_LEAD_OVER_ROUTINE
                and similarity > best_similarity
            ):
                best_category, best_similarity = category, similarity
        return best_category

    def classify(self, text: str) -> SensitiveTopic | None:
        return SENSITIVE_TOPIC_BY_NAME.get(self.label(text) or "")


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？])|\n+|\s+-\s+")
MIN_SEGMENT_WORDS = 3
MAX_SEGMENTS = 6


def segments(text: str) -> list[str]:
    """The whole text, then each of its sentences of a few words or more (at most
    MAX_SEGMENTS in all), so a short message costs one embedding."""
    pieces = [piece.strip() for piece in _SENTENCE_END.split(text) if piece and piece.strip()]
    sentences = [piece for piece in pieces if len(piece.split()) >= MIN_SEGMENT_WORDS]
    if len(sentences) < 2:
        return [text]
    return [text, *sentences[: MAX_SEGMENTS - 1]]


@functools.lru_cache(maxsize=CLASSIFIERS_KEPT)
def classifier_for(articles: tuple[Article, ...]) -> SensitiveClassifier:
    """The help centre's titles and example questions are routine by definition."""
    routine = [article.title for article in articles]
    routine += [question for article in articles for question in article.example_questions]
    return SensitiveClassifier(routine_texts=routine)


def sensitive_topic_in(text: str, *, articles: Sequence[Article] = ()) -> SensitiveTopic | None:
    """The sensitive topic the text raises, if any: patterns first, then the classifier."""
    if not text.strip():
        return None
    return sensitive_by_pattern(text) or classifier_for(tuple(articles)).classify(text)
