"""What the assistant says in its own words, per language; English when a language is
missing. "Talk to a person" is the label of the chat widget's handover button.

A table here rather than gettext: the assistant package is pure Python (no Django), and the
sentence that says the help centre has nothing in the customer's language must exist in
every language a customer can write in, translated or not by the site's catalogues.
"""

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
        "no_articles_in_language": (
            "I couldn't find an answer in {language_name} in our help centre; a person can "
            'help you: press "Talk to a person".'
        ),
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
        "no_articles_in_language": (
            "No encontré una respuesta en español en nuestro centro de ayuda; una persona "
            'puede ayudarte: pulsa "Hablar con una persona".'
        ),
    },
    "de": {
        "source": '(Quelle: "{title}")',
        "unsure": (
            "Ich bin nicht sicher, ob ich das gut beantworten kann: Eine Person aus unserem "
            "Team hilft dir gern weiter."
        ),
        "handover": (
            "Ich verbinde dich jetzt mit einer Person. Sie sieht unser bisheriges Gespräch."
        ),
        "handover_frustration": (
            "Es tut mir leid, dass das frustrierend war. Ich verbinde dich jetzt mit einer Person."
        ),
        "handover_sensitive": (
            "Darum sollte sich eine Person aus unserem Team kümmern. Ich verbinde dich jetzt."
        ),
        "greeting": "Hallo! Wobei kann ich dir heute helfen?",
        "thanks": "Gern geschehen! Kann ich dir noch bei etwas anderem helfen?",
        "no_articles_in_language": (
            "Ich habe in unserem Hilfecenter keine Antwort auf Deutsch gefunden; eine Person "
            "kann dir helfen."
        ),
    },
    "sv": {
        "source": '(Källa: "{title}")',
        "unsure": (
            "Jag är inte säker på att jag kan svara bra på det: en person från vårt team "
            "hjälper dig gärna."
        ),
        "handover": "Jag kopplar dig till en person nu. De ser vårt samtal hittills.",
        "handover_frustration": (
            "Jag är ledsen att det här har varit frustrerande. Jag kopplar dig till en person nu."
        ),
        "handover_sensitive": (
            "Det här bör en person från vårt team ta hand om. Jag kopplar dig nu."
        ),
        "greeting": "Hej! Vad kan jag hjälpa dig med i dag?",
        "thanks": "Varsågod! Finns det något mer jag kan hjälpa dig med?",
        "no_articles_in_language": (
            "Jag hittade inget svar på svenska i vårt hjälpcenter; en person kan hjälpa dig."
        ),
    },
}

# The other languages a customer may write in have only the sentence that says the help
# centre has nothing in their language: the rest of what the assistant says only follows an
# article, and there is none in their language.
_NO_ARTICLES_IN_LANGUAGE = {
    "fr": (
        "Je n'ai pas trouvé de réponse en français dans notre centre d'aide ; une personne "
        "peut vous aider."
    ),
    "it": (
        "Non ho trovato una risposta in italiano nel nostro centro assistenza; una persona "
        "può aiutarti."
    ),
    "pt": (
        "Não encontrei uma resposta em português na nossa central de ajuda; uma pessoa pode "
        "ajudar você."
    ),
    "nl": (
        "Ik heb in ons helpcentrum geen antwoord in het Nederlands gevonden; een medewerker "
        "kan je helpen."
    ),
    "pl": "Nie znalazłem odpowiedzi po polsku w naszym centrum pomocy; pomoże Ci konsultant.",
    "hi": (
        "मुझे हमारे सहायता केंद्र में हिंदी में कोई उत्तर नहीं मिला; हमारी टीम का कोई व्यक्ति आपकी मदद कर सकता है।"
    ),
    "ar": "لم أجد إجابة باللغة العربية في مركز المساعدة لدينا؛ يمكن لأحد أفراد فريقنا مساعدتك.",
    "zh": "我在帮助中心没有找到中文的答案；我们团队的工作人员可以帮助您。",
    "ja": "ヘルプセンターに日本語の回答が見つかりませんでした。担当者がお手伝いします。",
}
for _language, _sentence in _NO_ARTICLES_IN_LANGUAGE.items():
    _PHRASES[_language] = {
        **_PHRASES[DEFAULT_LANGUAGE],
        "no_articles_in_language": _sentence,
    }

# For the English sentence when the customer's language has no table of its own.
_LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "sv": "Swedish",
    "hi": "Hindi",
    "ar": "Arabic",
    "zh": "Chinese",
    "ja": "Japanese",
}


def phrase(*, key: str, language: str, **values: str) -> str:
    base_language = language.split("-")[0].lower()
    phrases = _PHRASES.get(base_language, _PHRASES[DEFAULT_LANGUAGE])
    return phrases[key].format(**values)


def no_articles_in_language_phrase(*, language: str) -> str:
    """Says the help centre has no answer in the customer's language, and offers a person."""
    base_language = language.split("-")[0].lower()
    return phrase(
        key="no_articles_in_language",
        language=language,
        language_name=_LANGUAGE_NAMES.get(base_language, "your language"),
    )


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
