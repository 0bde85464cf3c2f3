"""The assistant's turn in a conversation: read the transcript, ask the assistant, store its
answer, and escalate when it says so. Runs as a Celery task after the customer's message is
committed, so a slow assistant never holds a lock or delays the customer's ack."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext_lazy

from tickets import messages, services
from tickets.assistant import (
    Article,
    Backend,
    Turn,
    backend_from_settings,
    embeddings,
    prepare,
    respond,
    summarize_handover,
)
from tickets.language import in_conversation_language
from tickets.models import KnowledgeArticle, Message, TextEmbedding, Ticket

logger = logging.getLogger(__name__)


@functools.cache
def assistant_backend() -> Backend:
    """The assistant's backend, built once per process from the ASSISTANT_LLM_* settings."""
    return backend_from_settings(settings_obj=settings)


@receiver(setting_changed)
def _forget_assistant_backend(*, setting: str, **kwargs: object) -> None:
    # Settings only change under override_settings (tests); the next reply builds anew.
    if setting.startswith("ASSISTANT_LLM_"):
        assistant_backend.cache_clear()


class DatabaseVectorStore:
    """Where tickets.assistant.embeddings keeps the vectors of help-centre texts, so a new
    process or machine reads them instead of computing them (~1 ms a word) again.

    A failed read counts as nothing stored (the vectors are computed instead) and a failed
    write is logged and forgotten: the vectors are a cache, never worth a customer's answer.
    Hence the broad excepts: whatever stops the database (an outage, a closed connection, a
    caller without database access) must not stop the answer. Both run in a savepoint, so a
    failure never spoils a caller's transaction.
    """

    CHUNK = 1000

    def load(self, digests: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        try:
            with transaction.atomic():
                for start in range(0, len(digests), self.CHUNK):
                    chunk = digests[start : start + self.CHUNK]
                    rows = TextEmbedding.objects.filter(digest__in=chunk).values_list(
                        "digest", "vector"
                    )
                    found.update((digest, bytes(vector)) for digest, vector in rows)
        except Exception:  # noqa: BLE001 - see the class's docstring
            logger.warning("could not read stored embeddings; computing them", exc_info=True)
            return {}
        return found

    def save(self, vectors: dict[str, bytes]) -> None:
        rows = [
            TextEmbedding(model=embeddings.MODEL, digest=digest, vector=vector)
            for digest, vector in vectors.items()
        ]
        try:
            with transaction.atomic():
                TextEmbedding.objects.bulk_create(
                    rows, batch_size=self.CHUNK, ignore_conflicts=True
                )
        except Exception:  # noqa: BLE001 - see the class's docstring
            logger.warning("could not store %d embeddings", len(rows), exc_info=True)


def assistant_prepare() -> int:
    """Embed every published article (and the classifier's examples) now, and forget the
    stored vectors no current text uses: run after the help centre changes, so the next
    customer does not wait for it. Returns the number of texts the assistant uses."""
    used = prepare(published_articles())
    embeddings.persist(sorted(used))
    if len(used) < 30_000:  # past that, the IN list would pass SQLite's limit: keep them
        TextEmbedding.objects.exclude(digest__in=used).delete()
    return len(used)


def published_articles() -> list[Article]:
    return [
        Article(
            id=article.pk,
            title=article.title,
            body=article.body,
            topic=article.topic,
            language=article.language,
            keywords=tuple(k.strip() for k in article.keywords.split(",") if k.strip()),
            example_questions=tuple(
                line.strip() for line in article.example_questions.splitlines() if line.strip()
            ),
        )
        for article in KnowledgeArticle.objects.filter(is_published=True)
    ]


def _history(ticket_id: int, *, before_seq: int | None = None) -> list[Turn]:
    messages = Message.objects.filter(ticket_id=ticket_id).order_by("seq")
    if before_seq is not None:
        messages = messages.filter(seq__lt=before_seq)
    return [
        Turn(sender=sender, body=body) for sender, body in messages.values_list("sender", "body")
    ]


ASSISTANT_FALLBACK = gettext_lazy(
    "Sorry, I can't answer that right now. Ask again in a moment, or press "
    "“Talk to a person” and someone from our team will help you."
)


def _answered_since(ticket_id: int, customer_seq: int) -> bool:
    return Message.objects.filter(
        ticket_id=ticket_id, sender=Message.Sender.BOT, seq__gt=customer_seq
    ).exists()


def conversation_assistant_reply(*, ticket_id: int, customer_seq: int) -> None:
    """Answer the customer's message ``customer_seq``; safe to run twice."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.status != Ticket.Status.BOT:
        return
    if _answered_since(ticket_id, customer_seq):
        return  # answered already: this is a redelivery
    message = Message.objects.filter(ticket_id=ticket_id, seq=customer_seq).first()
    if message is None:
        return
    decision = respond(
        message=message.body,
        history=_history(ticket_id, before_seq=customer_seq),
        articles=published_articles(),
        language=ticket.language,
        is_vip=ticket.is_vip,
        unsure_in_a_row=ticket.unsure_answers_in_a_row,
        backend=assistant_backend(),
    )
    with transaction.atomic():
        if decision.answer:
            stored = messages.message_post_bot(
                ticket_id=ticket_id, body=decision.answer, article_id=decision.article_id
            )
            if stored is None:
                return
        Ticket.objects.filter(pk=ticket_id).update(
            unsure_answers_in_a_row=(ticket.unsure_answers_in_a_row + 1)
            if decision.is_unsure
            else 0
        )
        if decision.escalate:
            services.ticket_escalate(
                ticket_id=ticket_id,
                reason=decision.reason,
                actor_kind=services.Actor.SYSTEM,
                topic=decision.topic,
                priority=decision.priority,
                required_skills=list(decision.required_skills),
                summary=decision.summary,
            )


def conversation_assistant_failed(*, ticket_id: int, customer_seq: int) -> None:
    """The assistant could not answer ``customer_seq``: offer the customer a person instead.

    Safe to run twice, and silent once the conversation has left the assistant.
    """
    if _answered_since(ticket_id, customer_seq):
        return
    language = Ticket.objects.filter(pk=ticket_id).values_list("language", flat=True).first()
    with in_conversation_language(language or ""):
        body = str(ASSISTANT_FALLBACK)
    messages.message_post_bot(ticket_id=ticket_id, body=body)


def conversation_request_human(*, ticket_id: int) -> Ticket:
    """The customer pressed "Talk to a person": escalate now, whatever the assistant thinks."""
    ticket = Ticket.objects.get(pk=ticket_id)
    if ticket.status != Ticket.Status.BOT:
        return services.ticket_escalate(ticket_id=ticket_id, reason=ticket.escalation_reason)
    handover = summarize_handover(
        history=_history(ticket_id),
        articles=published_articles(),
        language=ticket.language,
        is_vip=ticket.is_vip,
        reason=Ticket.EscalationReason.CUSTOMER_REQUEST,
    )
    return services.ticket_escalate(
        ticket_id=ticket_id,
        reason=Ticket.EscalationReason.CUSTOMER_REQUEST,
        topic=handover.topic,
        priority=handover.priority,
        required_skills=list(handover.required_skills),
        summary=handover.summary,
    )
