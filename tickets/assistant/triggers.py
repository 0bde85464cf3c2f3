"""What in a customer's message means a person should take over.

Patterns run on folded text (lower case, no accents, straight apostrophes) and cover
English and Spanish. They aim to catch the usual phrasings, not every one: a miss is
caught later by low confidence or frustration, while a false alarm costs an agent's time.
"""

import re
from collections.abc import Sequence
from enum import Enum

from tickets.assistant.records import Sender, Turn
from tickets.assistant.topics import (
    ACCOUNT_CLOSURE,
    COMPLAINT,
    DISPUTES,
    FRAUD,
    HARDSHIP,
    SensitiveTopic,
)
from tickets.assistant.words import all_words, content_words, fold

_PERSON = (
    r"(?:human|person|(?<!user )(?<!travel )(?<!estate )agent|representative|rep|operator"
    r"|supervisor|manager)"
)
_PERSON_REQUESTS = (
    # "talk to someone", "speak with a real person", "chat with an agent"
    rf"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:(?:a|an|the|some|your|real|live|actual)\s+)*"
    rf"(?:{_PERSON}|someone|somebody|anyone|anybody)s?\b",
    # "connect me to an agent", "I want a human", "get me a representative"
    rf"\b(?:connect|transfer|put|get|give|want|need|escalate)\b(?:\s+(?:me|us|this|it|through|to"
    rf"|with|a|an|the|real|live|actual|human))*\s+{_PERSON}s?\b",
    r"\b(?:real|live|actual)\s+(?:human|person|agent|people)\b",
    r"\bhuman\s+(?:being|agent|please|support)\b",
    # The whole message is just the request: "Agent!", "human please", "a person"
    rf"^\W*(?:(?:a|an|the)\s+)?{_PERSON}s?(?:\s+please)?\W*$",
    # Spanish: "hablar con una persona", "quiero un agente", "persona real"
    r"\bhablar\s+con\s+(?:(?:un|una|el|la|alguna)\s+)?"
    r"(?:persona|agente|humano|representante|asesor|alguien)\b",
    r"\b(?:quiero|necesito|pasame\s+con|paseme\s+con)\s+(?:(?:un|una|a|con)\s+)?"
    r"(?:persona|agente|humano|representante|asesor)\b",
    r"\bpersona\s+real\b|\bagente\s+humano\b",
)
_ASKS_FOR_A_PERSON = re.compile("|".join(f"(?:{pattern})" for pattern in _PERSON_REQUESTS))

_FRUSTRATION = re.compile(
    r"(?<!not\s)(?<!n't\s)\b(?:"
    r"useless|ridiculous|angry|furious|terrible|horrible|awful|pathetic|stupid|worst"
    r"|unacceptable|rubbish|garbage|wtf|ffs|fed\s+up|sick\s+of|waste\s+of\s+(?:my\s+)?time"
    r"|frustrat\w*|annoy\w*|not\s+help(?:ing|ful)|(?:doesn'?t|does\s+not|isn'?t|is\s+not)\s+help"
    r"|you(?:'re|\s+are)\s+not\s+listening|already\s+(?:told|asked|said)"
    r"|inutil|ridiculo|harto|harta|pesimo|no\s+sirve|no\s+me\s+ayuda|estoy\s+enfadad[oa]"
    r")\b"
)
# Shouting: a message of some length typed entirely in capitals.
SHOUTING_MIN_LETTERS = 12

_SENSITIVE_PATTERNS: tuple[tuple[SensitiveTopic, str], ...] = (
    (
        FRAUD,
        r"\b(?:fraud\w*|scam\w*|phishing|identity\s+theft|hack(?:ed|er)"
        r"|unauthori[sz]ed\s+(?:charge|transaction|payment|purchase|access|login|use)"
        r"|(?:didn'?t|did\s+not|never)\s+(?:make|authori[sz]e|recogni[sz]e|order)\s+"
        r"(?:this|these|that|the|a|an|those)\s+(?:\w+\s+)?"
        r"(?:charge|transaction|payment|purchase|order)"
        r"|(?:charge|transaction|payment|purchase)s?\s+(?:that\s+)?i\s+"
        r"(?:didn'?t|did\s+not|never|don'?t|do\s+not)\s+(?:make|made|authori[sz]e|recogni[sz]e)"
        r"|(?:don'?t|do\s+not)\s+recogni[sz]e\s+(?:this|these|that|the|a)\s+"
        r"(?:charge|transaction|payment|purchase)"
        r"|stolen\s+(?:card|credit\s+card|debit\s+card|identity|account|wallet|phone)"
        r"|(?:card|identity|wallet|phone|account)\s+(?:was|has\s+been|got|were)\s+stolen"
        r"|someone\s+(?:used|accessed|logged\s+into|took\s+over|is\s+using)\s+my"
        r"|fraude|estafa\w*|me\s+estafaron|robo\s+de\s+identidad|tarjeta\s+robada"
        r"|(?:me\s+)?robaron\s+(?:mi|la)\s+(?:tarjeta|cuenta)"
        r"|no\s+reconozco\s+(?:este|ese|el|un|estos|esos|los)\s+(?:cargo|pago|cobro|compra|movimiento)"
        r"|(?:cargo|pago|compra)\s+no\s+autorizad[oa]|hackearon|suplantacion)\b",
    ),
    (
        DISPUTES,
        r"\b(?:charge\s*backs?|disput\w*|contracargo\w*|disputa\w*"
        r"|(?:my|the)\s+bank\s+(?:is\s+|will\s+)?(?:revers|claw\w*|investigat)\w*"
        r"|reclam\w*\s+(?:a|al|con)\s+(?:mi\s+)?banco)\b",
    ),
    (
        HARDSHIP,
        r"(?:\b(?:can'?t|cannot|can\s+not|unable\s+to|couldn'?t)\s+(?:afford\b|pay\s+"
        r"(?:my|the|this|it|back|off|rent|bills?|anymore|any\s+more|what\s+i\s+owe)\b)"
        r"|\b(?:lost|losing)\s+my\s+(?:job|income|work)\b|\blaid\s+off\b|\bmade\s+redundant\b"
        r"|\bunemployed\b|\bbereave\w*|\bpassed\s+away\b|\bdeath\s+in\s+(?:the|my)\s+family\b"
        r"|\b(?:my|our)\s+(?:mother|father|mum|mom|dad|husband|wife|partner|son|daughter"
        r"|brother|sister|parent|grandmother|grandfather|grandma|grandpa|spouse)\s+"
        r"(?:has\s+|just\s+)?died\b"
        r"|\bfinancial\s+(?:hardship|difficult\w*|trouble)|\bstruggling\s+(?:financially|to\s+pay)"
        r"|\bno\s+puedo\s+pagar\b(?!\s+(?:con|por|en|usando|mediante))"
        r"|\bperdi\s+mi\s+(?:trabajo|empleo)\b|\bme\s+despidieron\b|\bdesemplead[oa]\b"
        r"|\bfallec\w*|\bdificultades\s+economicas\b)",
    ),
    (
        ACCOUNT_CLOSURE,
        r"\b(?:(?:close|closing|delete|deleting|cancel|cancell?ing|deactivate|terminate|remove)"
        r"\s+(?:my|our|the)\s+(?:\w+\s+)?account|account\s+(?:closure|deletion)"
        r"|(?:cerrar|eliminar|borrar|cancelar)\s+(?:mi|la)\s+cuenta|dar(?:me)?\s+de\s+baja)\b",
    ),
    (
        COMPLAINT,
        r"\b(?:complain\w*|ombudsman|queja\w*|quejarme|reclamacion\s+formal|hoja\s+de\s+reclamaciones)\b",
    ),
)
_SENSITIVE = tuple((topic, re.compile(pattern)) for topic, pattern in _SENSITIVE_PATTERNS)

# Two questions are "the same" when they share this share of their content words (Jaccard).
REPEAT_SIMILARITY = 0.75


class SmallTalk(Enum):
    GREETING = "greeting"
    THANKS = "thanks"


_GREETING_WORDS = frozenset(
    all_words(
        "hi hello hey hiya howdy morning afternoon evening hola buenas buenos días tardes noches"
    )
)
_THANKS_WORDS = frozenset(
    all_words(
        "thanks thank thx ty cheers ok okay great perfect cool awesome bye goodbye gracias vale "
        "perfecto genial adiós"
    )
)
_SMALL_TALK_FILLER = frozenset(
    all_words("good there you so much very that it s all a lot got helps helped muchas todo eso")
)


def asks_for_a_person(text: str) -> bool:
    return bool(_ASKS_FOR_A_PERSON.search(fold(text)))


def sounds_frustrated(text: str) -> bool:
    if _FRUSTRATION.search(fold(text)):
        return True
    letters = [char for char in text if char.isalpha()]
    return len(letters) >= SHOUTING_MIN_LETTERS and all(char.isupper() for char in letters)


def sensitive_topic_in(text: str) -> SensitiveTopic | None:
    """The first sensitive topic the text raises, fraud first: it is the most urgent."""
    folded = fold(text)
    for topic, pattern in _SENSITIVE:
        if pattern.search(folded):
            return topic
    return None


def repeats_an_answered_question(*, message: str, history: Sequence[Turn]) -> bool:
    """Whether the customer asked (nearly) this before and the bot already answered it.

    Requiring a bot answer after the earlier question means a double-sent message, or a
    caller that includes the current message in history, is not taken for frustration.
    """
    words = set(content_words(message))
    if not words:
        return False
    answered = False
    for turn in reversed(history):
        if turn.sender == Sender.BOT:
            answered = True
        elif turn.sender == Sender.CUSTOMER and answered:
            earlier = set(content_words(turn.body))
            if earlier and len(words & earlier) / len(words | earlier) >= REPEAT_SIMILARITY:
                return True
    return False


def small_talk_in(text: str) -> SmallTalk | None:
    """A greeting or a thank-you with nothing else in it, which needs no article."""
    words = set(all_words(text))
    if not words or not words <= _GREETING_WORDS | _THANKS_WORDS | _SMALL_TALK_FILLER:
        return None
    if words & _THANKS_WORDS:
        return SmallTalk.THANKS
    if words & _GREETING_WORDS:
        return SmallTalk.GREETING
    return None
