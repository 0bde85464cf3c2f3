"""What in a customer's message means a person should take over.

Patterns run on folded text (lower case, no accents, straight apostrophes) and cover
English, Spanish, Swedish and German. They aim to catch the usual phrasings, not every one: a
miss is caught later by low confidence or frustration, while a false alarm costs an agent's time.
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
# Swedish and German, folded ("människa" is "manniska", "zuständigen" is "zustandigen").
_PERSON_SV = (
    r"(?:manniska|manniskor|person|handlaggare(?:n)?|medarbetare|kundtjanst(?:en)?"
    r"|kundservice|kundsupport(?:en)?|support(?:en)?|agent|operator|nagon|personal(?:en)?)"
)
_PERSON_DE = (
    r"(?:mensch(?:en)?|mitarbeiter(?:in|innen)?|person|berater(?:in)?|sachbearbeiter(?:in)?"
    r"|kundendienst|kundenservice|kundenbetreuer(?:in)?|support(?:-?team)?|jemandem|agent(?:en|in)?"
    r"|ansprechpartner(?:in)?)"
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
    # Swedish: "prata med en människa", "koppla mig till en handläggare", "en riktig person"
    rf"\b(?:prata|tala|snacka|chatta|skriva)\s+med\s+(?:(?:en|ett|nagon|riktig|verklig|levande"
    rf"|er|din)\s+)*{_PERSON_SV}\b",
    rf"\bkoppla\s+(?:mig\s+|oss\s+)?(?:vidare\s+)?(?:till|med)\s+(?:(?:en|ett|nagon|riktig)\s+)*"
    rf"{_PERSON_SV}\b",
    r"\b(?:riktig|verklig|levande)\s+(?:manniska|manniskor|person|personal|handlaggare)\b",
    r"\b(?:vill|vill\s+ha|behover|kan\s+jag\s+fa|far\s+jag)\s+(?:ha\s+|fa\s+)?(?:en\s+)?"
    r"(?:manniska|handlaggare|medarbetare)\b",
    r"\b(?:inte|ingen)\s+(?:\w+\s+){0,3}(?:robot|bot|chattbot|chatbot)\b(?!\s*\?)",
    r"\b(?:ring|ringa|ringer)\s+(?:upp\s+)?mig\b",
    r"\b(?:skicka|koppla|slussa)\s+(?:mig\s+)?vidare\s+till\b"
    r"|\b(?:overford|kopplad|vidarekopplad)\s+(?:vidare\s+)?till\b"
    r"|\b(?:nagon|en\s+person|en\s+manniska)\s+pa\s+riktigt\b|\bpersonlig\s+(?:hjalp|service"
    r"|kontakt)\b"
    r"|\bna\s+(?:en\s+)?(?:manniska|handlaggare|medarbetare|kundtjanst)\b"
    r"|\btelefonnummer\s+(?:till|for)\s+(?:er\s+|din\s+)?(?:kundtjanst|kundservice|support)\b"
    r"|(?<!inte\s)\bbli\s+kontaktad\s+av\b|\bhora\s+av\s+sig\s+till\s+mig\b"
    r"|\b(?:en|nagon)\s+(?:manniska|handlaggare|medarbetare|kundtjanstmedarbetare)\s+(?:som\s+)?"
    r"(?:kan\s+)?(?:titta|kolla|hjalpa|svara|ringa|kontakta|ta\s+over)\b",
    r"^\W*(?:en\s+)?(?:manniska|handlaggare|kundtjanst|kundservice)(?:\s+(?:tack|nu|snalla))?\W*$",
    # German: "mit einem Menschen sprechen", "echte Menschen", "verbinden Sie mich"
    rf"\bmit\s+(?:(?:einem|einer|dem|der|ihrem|ihrer|eurem|eurer|echten|realen|richtigen"
    rf"|lebenden|menschlichen|zustandigen)\s+)*{_PERSON_DE}\s+(?:\w+\s+){{0,3}}"
    r"(?:sprechen|reden|chatten|schreiben|telefonieren|verbunden|verbinden)\b",
    rf"\b(?:sprechen|reden|chatten)\s+mit\s+(?:(?:einem|einer|dem|der|echten|richtigen)\s+)*"
    rf"{_PERSON_DE}\b",
    r"\b(?:echte|echten|echter|reale|realen|lebende|lebenden)\s+"
    r"(?:mensch\w*|person\w*|mitarbeiter\w*)\b",
    r"\bverbinde[nt]?\s+(?:sie\s+|du\s+|ihr\s+)?mich\s+(?:bitte\s+)?(?:mit|weiter)\b"
    r"|\bleite[nt]?\s+(?:sie\s+|du\s+|ihr\s+)?mich\s+(?:bitte\s+)?weiter\b"
    r"|\bstell(?:e|en|t)?\s+(?:sie\s+|du\s+|ihr\s+)?mich\s+(?:bitte\s+)?durch\b",
    # only articles between: not "ich möchte meinen Mitarbeitern Karten geben"
    r"\b(?:will|mochte|brauche|hatte\s+gerne?)\s+(?:(?:einen|eine|einem|mit|bitte|gerne?|echten"
    r"|menschlichen|zu)\s+){0,3}"
    r"(?:menschen|mitarbeiter\w*|ansprechpartner\w*|sachbearbeiter\w*|berater\w*)\b",
    r"\b(?:keinen|keine|kein|nicht\s+mit\s+(?:einem|einer|dem|der))\s+(?:\w+\s+)?(?:bot|roboter"
    r"|chatbot"
    r"|maschine)\b",
    r"\bmich\s+(?:bitte\s+)?(?:an|zuruck)rufen\b|\b(?:rufen|ruf)\s+(?:sie\s+)?mich\s+(?:bitte\s+)?"
    r"(?:an|zuruck)\b|\bruckruf\b",
    r"\b(?:irgendjemand|jemand|wer)\s+echtes\b|\bsondern\s+(?:eine?n?\s+)?(?:person|mensch\w*)\b"
    r"|\bmich\s+(?:\w+\s+){0,4}(?:anrufen|zuruckrufen)\b"
    r"|\b(?:jemanden|einen\s+menschen|einen\s+mitarbeiter)\s+(?:\w+\s+)?erreiche[n]?\b"
    r"|\beine?\s+(?:mensch|mitarbeiter\w*|person)\s+(?:\w+\s+){0,3}(?:ansehen|anschauen|antworten"
    r"|helfen"
    r"|kummern|melden)\b"
    r"|\b(?:an|zu)\s+(?:den|einen|einem|die|eine)\s+(?:\w+\s+)?(?:kundenservice|kundendienst"
    r"|support"
    r"|mitarbeiter\w*|menschen)\s+(?:weitergeleitet|ubergeben|verbunden|weiterverbunden"
    r"|durchgestellt)\b"
    r"|\bhol\s+mir\s+(?:bitte\s+)?(?:jemanden|einen\s+menschen|einen\s+mitarbeiter)\b"
    r"|\b(?:jemand|ein\s+mitarbeiter)\s+(?:\w+\s+){0,3}bei\s+mir\s+melden\b"
    r"|\bpersonlich\w*\s+(?:hilfe|beratung|ansprechpartner)\b"
    r"|\b(?:einen?|den|ihren|euren|ihr|euer)\s+vorgesetzte[nr]?\b",
    r"^\W*(?:ein\s+)?(?:mensch|mitarbeiter|kundendienst|kundenservice)(?:\s+(?:bitte|jetzt"
    r"|sofort))?\W*$",
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
