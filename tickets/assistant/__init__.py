"""The AI first line: answers routine questions from knowledge articles and decides when a
conversation needs a person. Pure Python: no Django models, no database.

    from tickets.assistant import Article, Turn, respond

    decision = respond(
        message=text, history=turns, articles=articles, language="en",
        is_vip=False, unsure_in_a_row=0,
    )
"""

from tickets.assistant import embeddings
from tickets.assistant.backends import Backend, BackendAnswer, LocalBackend
from tickets.assistant.confidence import CONFIDENCE_THRESHOLD
from tickets.assistant.conversation import prepare, respond, summarize_handover
from tickets.assistant.llm import (
    LLMBackendUnavailable,
    OpenAICompatibleBackend,
    backend_from_settings,
)
from tickets.assistant.records import (
    Article,
    Decision,
    Handover,
    Priority,
    Reason,
    Sender,
    Skill,
    Turn,
)

__all__ = [
    "CONFIDENCE_THRESHOLD",
    "Article",
    "Backend",
    "BackendAnswer",
    "Decision",
    "Handover",
    "LLMBackendUnavailable",
    "LocalBackend",
    "OpenAICompatibleBackend",
    "Priority",
    "Reason",
    "Sender",
    "Skill",
    "Turn",
    "backend_from_settings",
    "embeddings",
    "prepare",
    "respond",
    "summarize_handover",
]
