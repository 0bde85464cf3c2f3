"""The summary an agent reads when a conversation is handed over.

Agents are gig workers who see many customers: the summary goes through both maskers, so
it never shows a card number, security code, email address or phone number, even if the
caller forgot to mask what it stored.
"""

from collections.abc import Sequence

from tickets.assistant.records import Article, Sender, Turn
from tickets.masking import mask_contact_details, mask_secrets

CUSTOMER_MESSAGES_SHOWN = 4
QUOTE_MAX_CHARS = 240


def handover_summary(
    *,
    topic: str,
    why: str,
    message: str | None,
    history: Sequence[Turn],
    related_article: Article | None,
) -> str:
    """message is the customer's latest message when it is not in history yet."""
    customer_messages = [turn.body for turn in history if turn.sender == Sender.CUSTOMER]
    if message is not None:
        customer_messages.append(message)
    bot_answers = [turn.body for turn in history if turn.sender == Sender.BOT]

    lines = [f"Topic: {topic}", f"Why a person: {why}", "Customer said:"]
    lines += [f'- "{_quote(body)}"' for body in customer_messages[-CUSTOMER_MESSAGES_SHOWN:]]
    if not customer_messages:
        lines.append("- nothing yet.")
    if bot_answers:
        lines.append(f'Assistant last answered: "{_quote(bot_answers[-1])}"')
    else:
        lines.append("Assistant last answered: nothing yet.")
    if related_article is not None:
        lines.append(f'Related article: "{related_article.title}"')
    return "\n".join(lines)


def _quote(text: str) -> str:
    safe = mask_contact_details(mask_secrets(text))
    flattened = " ".join(safe.split())
    if len(flattened) <= QUOTE_MAX_CHARS:
        return flattened
    return flattened[: QUOTE_MAX_CHARS - 1].rstrip() + "…"
