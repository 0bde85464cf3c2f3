"""What the assistant says in its own words, per language; English when a language is
missing. "Talk to a person" is the label of the chat widget's handover button."""

from tickets.assistant.records import Reason
from tickets.assistant.triggers import SmallTalk

DEFAULT_LANGUAGE = "en"

_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "source": '(From: "{title}")',
        "unsure": (
            'I\'m not sure I can answer that well: press "Talk to a person" and someone from '
            "our team will help."
        ),
        "handover": "I'm connecting you with a person now. They'll see our conversation so far.",
        "handover_frustration": (
            "I'm sorry this has been frustrating. I'm connecting you with a person now."
        ),
        "handover_sensitive": (
            "This is something a person from our team should handle. I'm connecting you now."
        ),
        "greeting": "Hi! What can I help you with today?",
        "thanks": "You're welcome! Is there anything else I can help you with?",
    },
    "es": {
        "source": '(Fuente: "{title}")',
        "unsure": (
            'No estoy seguro de poder responder bien a eso: pulsa "Hablar con una persona" y '
            "alguien de nuestro equipo te ayudará."
        ),
        "handover": "Te estoy pasando con una persona. Verá nuestra conversación hasta ahora.",
        "handover_frustration": (
            "Siento que esto esté siendo frustrante. Te estoy pasando con una persona."
        ),
        "handover_sensitive": (
            "Es mejor que esto lo atienda una persona de nuestro equipo. Te paso ahora mismo."
        ),
        "greeting": "¡Hola! ¿En qué puedo ayudarte hoy?",
        "thanks": "¡De nada! ¿Puedo ayudarte con algo más?",
    },
}


def phrase(*, key: str, language: str, **values: str) -> str:
    base_language = language.split("-")[0].lower()
    phrases = _PHRASES.get(base_language, _PHRASES[DEFAULT_LANGUAGE])
    return phrases[key].format(**values)


def handover_phrase(*, reason: Reason, language: str) -> str:
    if reason == Reason.FRUSTRATION:
        return phrase(key="handover_frustration", language=language)
    if reason == Reason.SENSITIVE_TOPIC:
        return phrase(key="handover_sensitive", language=language)
    return phrase(key="handover", language=language)


def small_talk_phrase(*, small_talk: SmallTalk, language: str) -> str:
    key = "greeting" if small_talk == SmallTalk.GREETING else "thanks"
    return phrase(key=key, language=language)


def answer_with_source(*, answer: str, title: str, language: str) -> str:
    return f"{answer.strip()}\n\n{phrase(key='source', language=language, title=title)}"
