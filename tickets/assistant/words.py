"""Turning customer text into comparable words, shared by retrieval and the triggers.

Per language: lower case; accents dropped from Latin letters only (customers often type
"contrasena" for "contraseña", while a Devanagari vowel sign is part of the letter); function
words removed where we have a list; Snowball stemming where Snowball has the language, so
"refunds", "refunded" and "refunding" meet on "refund". Chinese and Japanese are written
without spaces, so their text is cut into overlapping pairs of characters instead.
"""

import functools
import re
import unicodedata

import snowballstemmer

from tickets.assistant.stopwords import STOPWORD_TEXT

# Letters and digits, with the marks that belong to them: \w alone would cut a Devanagari
# word at every vowel sign ("रिफंड" into "र", "फ", "ड") and an Arabic word at every vowel
# mark ("مَرْحَبًا"). The marks: Latin accents, Cyrillic, Hebrew and Arabic marks, the Indic
# scripts from Devanagari to Sinhala, Thai and Lao, and the zero-width joiners of Persian
# and Indic spelling.
_WORD = re.compile(
    r"(?:[^\W_]|[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f"
    r"\u0670\u06d6-\u06ed\u0900-\u0dff\u0e00-\u0eff\u200c\u200d])+"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Combining marks after these letters are accents; after other scripts they are letters.
_LATIN_END = 0x024F

SNOWBALL_LANGUAGES = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "hi": "hindi",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ru": "russian",
    "sv": "swedish",
}


def base_language(language: str) -> str:
    return language.split("-")[0].lower()


def fold(text: str) -> str:
    """Lower-case text, accents removed from Latin letters, curly apostrophes made straight."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    kept = []
    previous_base = ""
    for char in decomposed:
        if unicodedata.combining(char):
            if previous_base and ord(previous_base) <= _LATIN_END:
                continue
        else:
            previous_base = char
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).lower()


def _cjk_pairs(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[index : index + 2] for index in range(len(run) - 1)]


def all_words(text: str) -> list[str]:
    """Every word of the text, folded but neither filtered nor stemmed; Chinese and Japanese
    runs as overlapping character pairs."""
    words = []
    for word in _WORD.findall(fold(text)):
        if _CJK.search(word):
            for piece in _CJK.split(word):
                words.extend(_WORD.findall(piece))
            for run in _CJK.findall(word):
                words.extend(_cjk_pairs(run))
        else:
            words.append(word)
    return words


@functools.cache
def _stemmer(language: str):  # -> a Snowball stemmer or None
    algorithm = SNOWBALL_LANGUAGES.get(language)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


@functools.lru_cache(maxsize=50_000)
def stem(word: str, language: str = "en") -> str:
    stemmer = _stemmer(base_language(language))
    if stemmer is None or word.isdigit():
        return word
    return stemmer.stemWord(word)


# Folded as the text they are compared with is (tickets/assistant/stopwords.py).
STOPWORDS: dict[str, frozenset[str]] = {
    language: frozenset(fold(word) for word in words) for language, words in STOPWORD_TEXT.items()
}


def content_words(text: str, language: str = "en") -> list[str]:
    """The words that say what the text is about, stemmed, in order, repeats kept."""
    language = base_language(language)
    stopwords = STOPWORDS.get(language, frozenset())
    return [stem(word, language) for word in all_words(text) if word not in stopwords]
