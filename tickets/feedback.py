"""Customers' verdicts on the assistant's answers: "That helped" or "Talk to a person".

Only an answer the assistant gave from a help article takes a verdict, once: the row is
unique per message (``AnswerFeedback.message`` is a OneToOne), a resend of the same verdict
is answered as the first was, and a different one is refused. "Talk to a person" also hands
a conversation still with the assistant to a person, as the ``request_human`` frame does.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from tickets import assistant_flow
from tickets.masking import mask_contact_details, mask_secrets
from tickets.models import AnswerFeedback, Message, Ticket
from tickets.services import TicketError, locked_ticket

Verdict = AnswerFeedback.Verdict


class NotAnAnswer(TicketError):
    """The seq names no answer from a help article in this conversation."""

    code = "not_an_answer"


class FeedbackGiven(TicketError):
    """The answer already has the other verdict."""

    code = "feedback_given"


def _question_before(*, ticket_id: int, seq: int) -> str:
    """The customer's latest message before ``seq``, masked: what operators read in the
    admin, so no card number, IBAN, email address or phone number reaches them."""
    body = (
        Message.objects.filter(ticket_id=ticket_id, seq__lt=seq, sender=Message.Sender.CUSTOMER)
        .order_by("-seq")
        .values_list("body", flat=True)
        .first()
    )
    return mask_contact_details(mask_secrets(body or ""))


def answer_feedback_give(*, ticket_id: int, seq: int, verdict: str) -> tuple[AnswerFeedback, bool]:
    """Record the customer's verdict on the answer ``seq`` of their conversation; returns
    (feedback, created).

    Preconditions: message ``seq`` of this ticket is a ``bot`` message with an article (else
    ``NotAnAnswer``, whatever other conversation has such a seq); it has no verdict yet, or
    this same one (else ``FeedbackGiven``). The verdict is taken whatever the conversation's
    status: an answer can be judged after a person took over.

    "person" escalates in the same transaction while the assistant still has the
    conversation (``conversation_request_human``, as the request_human frame does), so the
    verdict is never stored without its handover; a resend escalates if somehow still
    needed, and is otherwise a no-op. Pushes leave after commit.
    """
    if verdict not in Verdict.values:
        choices = ", ".join(Verdict.values)
        raise TicketError(f"verdict: Must be one of {choices}.", code="invalid_field")
    with transaction.atomic():
        # The conversation's row lock orders this against its other writes (a second tab's
        # verdict on the same answer, the assistant's escalation), as messages are ordered.
        ticket = locked_ticket(ticket_id)
        message = (
            Message.objects.filter(ticket_id=ticket.pk, seq=seq)
            .only("id", "sender", "article_id")
            .first()
        )
        if message is None:
            raise NotAnAnswer(f"There is no message {seq} in this conversation.")
        if message.sender != Message.Sender.BOT or message.article_id is None:
            raise NotAnAnswer(
                f"Message {seq} is not an answer from a help article; only those take feedback."
            )
        feedback = AnswerFeedback.objects.filter(message_id=message.pk).first()
        created = feedback is None
        if feedback is None:
            try:
                with transaction.atomic():
                    feedback = AnswerFeedback.objects.create(
                        message=message,
                        article_id=message.article_id,
                        verdict=verdict,
                        question=_question_before(ticket_id=ticket.pk, seq=seq),
                    )
            except IntegrityError:
                # Only reachable if the lock were bypassed; the OneToOne keeps one verdict.
                feedback = AnswerFeedback.objects.get(message_id=message.pk)
                created = False
        if feedback.verdict != verdict:
            raise FeedbackGiven(
                f"Message {seq} already has the answer “{feedback.get_verdict_display()}”; "
                "it cannot be changed."
            )
        if verdict == Verdict.PERSON and ticket.status == Ticket.Status.BOT:
            assistant_flow.conversation_request_human(ticket_id=ticket.pk)
    return feedback, created
