"""What in a customer's message means a person should take over.

Patterns run on folded text (lower case, no accents, straight apostrophes) and cover
English and Spanish. They aim to catch the usual phrasings, not every one: a miss is
caught later by low confidence or frustration, while a false alarm costs an agent's time.
Urgent and sensitive problems are found by tickets.assistant.sensitive.
"""

import re
from collections.abc import Sequence
from enum import Enum

from tickets.assistant.records import Sender, Turn
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
    # "put me through to someone", "transfer me to customer service"
    r"\b(?:connect|transfer|put|pass)\s+(?:me|us)\s+(?:through\s+)?(?:to|with)\s+"
    r"(?:someone|somebody|anyone|customer\s+(?:service|support|care)|support|your\s+team)\b",
    r"\b(?:don'?t|do\s+not)\s+want\s+(?:to\s+(?:talk|speak|chat)\s+(?:to|with)\s+)?"
    r"(?:a\s+|the\s+|this\s+|your\s+)?(?:bot|robot|machine|chatbot)\b",
    # "HUMAN. NOW.", "agent asap"
    rf"^\W*(?:a\s+)?{_PERSON}\W+(?:now|asap|please|pls)\W*$",
    r"\b(?:call|phone|ring)\s+me(?:\s+back)?\b",
    r"\bcarne\s+y\s+hueso\b|\balguien\s+real\b"
    r"|\b(?:pasame|paseme|ponme|comunicame)\s+con\s+(?:alguien|atencion\s+al\s+cliente)\b",
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
