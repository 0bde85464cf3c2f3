"""A conversation's language: the one a customer writes in, detected from their text (issue
#22; docs/dispatch.md, "The conversation's language"), and the one its stored phrases are
written in (docs/i18n.md).

Pure Python around lingua-language-detector, whose n-gram models ship inside its wheel: no
download, no network. The detector is built once per process, on first use or at the web
server's start (``detector_warm_up``, from ``marketplace.scheduler``'s lifespan), behind a
lock so two first messages at once do not build it twice; a message arriving meanwhile is
not detected rather than kept waiting. lingua loads its models on the
first detection, so the warm-up detects one sentence.

It knows only the product's languages (``agents.vocabulary.Language``): a text cannot come
out as a language no agent is asked to speak, and fewer models are loaded. It answers only
when sure (``MIN_CONFIDENCE``); short or ambiguous texts ("ok", "thanks", an order number)
get no answer, and the language the page or the API stated stands.

Measured on tests/tickets/language_samples.py (65 short first messages, five in each of the
13 languages, plus 8 too-short texts), on this project's CI machine:

- high accuracy mode (``LANGUAGE_DETECTION=high``, the default): the top guess is right for
  65 of 65; at ``MIN_CONFIDENCE`` 0.65, 64 are detected, 0 wrong, 1 English question left
  unsure ("How do I reset my password?" at 0.31: it keeps the stated language), 0 of the 8
  short texts guessed. Loading the models takes 1.6–5 s (idle or busy machine) and about
  250 MB of memory per process (lingua's own preloading option: 7 s and 330 MB, so not
  used); a detection then takes 0.1–0.5 ms.
- low accuracy mode (``LANGUAGE_DETECTION=low``, trigrams only): 0.07 s and about 20 MB,
  but 2 of 65 *confidently wrong* (Portuguese read as Spanish at 0.99), which would send a
  customer to agents who cannot read them: worse than not detecting. For small machines only.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import AbstractContextManager

from django.conf import settings
from django.utils import translation
from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder
from lingua import Language as LinguaLanguage

from agents.vocabulary import LANGUAGE_CODES

logger = logging.getLogger(__name__)

# The top language's confidence (lingua's, 0–1, summing to 1 over the product's languages)
# needed to act on it. Chosen on tests/tickets/language_samples.py: every detection there is
# right, the lowest of the non-English ones 0.71 and two plain English questions 0.69 and
# 0.6999; the too-short texts are at most 0.61 ("thanks!", read as English, rightly).
MIN_CONFIDENCE = 0.65
# Below this many letters nothing is guessed at all: "ok", "hi", "no" are words in many of
# the languages, and lingua's confidence on two letters means little.
MIN_LETTERS = 4

DETECTION_MODES = ("high", "low", "off")

_detector: LanguageDetector | None = None
_detector_lock = threading.Lock()


def _lingua_language(code: str) -> LinguaLanguage:
    return LinguaLanguage.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))


def detector() -> LanguageDetector | None:
    """The process's detector, built on first call (thread-safe); None when detection is off
    or while another thread is building it."""
    global _detector
    mode = settings.LANGUAGE_DETECTION
    if mode == "off":
        return None
    if _detector is not None:
        return _detector
    # A message that arrives while another thread loads the models (the server's warm-up:
    # seconds, 12 s on a busy machine) is not held up, with its ticket's row locked, for
    # them: it gets no detection and keeps the stated language.
    if not _detector_lock.acquire(blocking=False):
        return None
    try:
        if _detector is None:
            started = time.perf_counter()
            builder = LanguageDetectorBuilder.from_languages(
                *(_lingua_language(code) for code in sorted(LANGUAGE_CODES))
            )
            if mode == "low":
                builder = builder.with_low_accuracy_mode()
            built = builder.build()
            # lingua loads its models on the first detection (all of them, about 250 MB): here,
            # under the lock, rather than in a customer's first message racing another.
            built.compute_language_confidence_values("Where is my order?")
            logger.info(
                "language detector loaded (%s accuracy, %d languages) in %.2f s",
                mode,
                len(LANGUAGE_CODES),
                time.perf_counter() - started,
            )
            _detector = built
    finally:
        _detector_lock.release()
    return _detector


def detector_warm_up() -> None:
    """Build the detector now, so no customer's first message waits for it. Called off the
    event loop by the web server's lifespan start; never raises (detection is an extra)."""
    try:
        detector()
    except Exception:
        logger.exception("the language detector could not be built; detection is skipped")


def detect_language(text: str) -> str | None:
    """The product language code ``text`` is written in, or None when unsure."""
    if sum(character.isalpha() for character in text) < MIN_LETTERS:
        return None
    found = detector()
    if found is None:
        return None
    values = found.compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    code = values[0].language.iso_code_639_1.name.lower()
    return code if code in LANGUAGE_CODES else None


# --- The language stored phrases are written in -----------------------------------------
# The system's and the assistant's messages are stored as text, once, and both the customer
# and the agent read that text: so they are written in the conversation's language when the
# customer side speaks it (settings.LANGUAGES), and in English otherwise.


def supported_language(code: str) -> str | None:
    """`sv`, `sv-SE` or `SV` → `sv` when it is one of LANGUAGES; anything else → None."""
    code = (code or "").strip().lower()
    if not code or len(code) > 16:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def conversation_language(code: str) -> str:
    """`sv`, `sv-SE` → `sv` when it is one of LANGUAGES; any other code → LANGUAGE_CODE."""
    return supported_language(code) or settings.LANGUAGE_CODE


def in_conversation_language(language: str) -> AbstractContextManager:
    """`with in_conversation_language(ticket.language):` around writing a stored phrase."""
    return translation.override(conversation_language(language))
