"""Turning customer text into comparable words, shared by retrieval and the triggers.

English and Spanish are handled the same way: lower case, accents dropped (customers often
type "contrasena" for "contraseña"), common function words removed, and a light suffix
trim so "refunds", "refunded" and "refunding" meet on "refund".
"""

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")

# Function words plus the filler of support questions ("how long does it take to…"). They
# carry no topic, and leaving them in would make every question look half-unanswered.
_STOPWORDS_TEXT = """
    a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each else even ever
    few for from further get gets getting got had has have having he her here hers him his how
    i if in into is it its itself just let like ll m me more most much must my myself need
    needs no nor not now of off on once only or other our ours out over own please re really
    s same she should so some still such t than that the their theirs them then there these
    they this those through to too under until up us ve very want wants was we were what when
    where which while who whom why will with would yet you your yours yourself
    don doesn didn isn aren wasn weren hasn haven hadn won wouldn couldn shouldn d
    hi hello hey thanks thank thx ok okay yes yeah hola gracias
    know tell help able way thing something anything long take takes took make made go going
    el la los las un una unos unas de del al y o que en por para con sin mi mis tu tus su sus
    es son esta estan ser fue como cuando donde quiero quisiera puedo puede necesito hay me se
    lo le les ya muy mas pero si no
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

# Tried in order; "ies" before "es" before "s" so "deliveries" becomes "delivery".
_SUFFIX_RULES: tuple[tuple[str, str], ...] = (
    ("ies", "y"),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)
MIN_STEM_LENGTH = 3


def fold(text: str) -> str:
    """Lower-case text with accents removed and curly apostrophes made straight."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def stem(word: str) -> str:
    if word.isdigit():
        return word
    for suffix, replacement in _SUFFIX_RULES:
        if word.endswith(suffix) and not (suffix == "s" and word.endswith("ss")):
            trimmed = word[: -len(suffix)] + replacement
            if len(trimmed) >= MIN_STEM_LENGTH:
                word = trimmed
                break
    if word.endswith("e") and len(word) > MIN_STEM_LENGTH:
        word = word[:-1]
    # "shipping" → "shipp" → "ship".
    if len(word) > MIN_STEM_LENGTH and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return word


def all_words(text: str) -> list[str]:
    """Every word of the text, folded but neither filtered nor stemmed."""
    return _WORD.findall(fold(text))


def content_words(text: str) -> list[str]:
    """The words that say what the text is about, stemmed, in order, repeats kept."""
    return [stem(word) for word in all_words(text) if word not in STOPWORDS]
