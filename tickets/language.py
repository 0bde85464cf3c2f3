"""The language a conversation's stored phrases are written in (docs/i18n.md).

The system's and the assistant's messages are stored as text, once, and both the customer
and the agent read that text: so they are written in the conversation's language when the
customer side speaks it (settings.LANGUAGES), and in English otherwise.
"""

from contextlib import AbstractContextManager

from django.conf import settings
from django.utils import translation


def conversation_language(code: str) -> str:
    """`sv`, `sv-SE` → `sv` when it is one of LANGUAGES; any other code → LANGUAGE_CODE."""
    code = (code or "").strip().lower()
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def in_conversation_language(language: str) -> AbstractContextManager:
    """`with in_conversation_language(ticket.language):` around writing a stored phrase."""
    return translation.override(conversation_language(language))
