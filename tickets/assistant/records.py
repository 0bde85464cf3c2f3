"""The values that go into and come out of the assistant. Plain frozen dataclasses: the
assistant never touches the database, so callers convert their rows into these."""

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from tickets.assistant.confidence import CONFIDENCE_THRESHOLD


class Sender(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class Reason(StrEnum):
    """Why a conversation went to a person; the values match Ticket.EscalationReason."""

    CUSTOMER_REQUEST = "customer_request"
    LOW_CONFIDENCE = "low_confidence"
    FRUSTRATION = "frustration"
    SENSITIVE_TOPIC = "sensitive_topic"
    VIP = "vip"


class Priority(IntEnum):
    """Queue priority; the values match Ticket.Priority."""

    LOW = 1
    NORMAL = 2
    HIGH = 3
    URGENT = 4


class Skill(StrEnum):
    GENERAL = "general"
    BILLING = "billing"
    REFUNDS = "refunds"
    DISPUTES = "disputes"
    TECHNICAL = "technical"
    FRAUD = "fraud"
    ACCOUNTS = "accounts"


@dataclass(frozen=True, kw_only=True)
class Article:
    id: int
    title: str
    body: str
    topic: str
    language: str
    keywords: tuple[str, ...] = ()
    # Questions customers ask that the article answers, written by the operator.
    example_questions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Turn:
    sender: str  # one of Sender
    body: str


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What the assistant does with one customer message.

    answer is the text to send back (a handover sentence when escalating). confidence is
    the assistant's confidence in its answer, 0.0 when it escalated without trying one.
    summary is for the agent and is empty unless escalate is set.
    """

    answer: str | None
    article_id: int | None
    article_title: str | None
    confidence: float
    escalate: bool
    reason: str | None  # one of Reason, set only when escalate is
    topic: str
    priority: int  # one of Priority
    required_skills: tuple[str, ...]
    summary: str

    @property
    def is_unsure(self) -> bool:
        """Whether this answer counts towards the caller's unsure-answers-in-a-row counter."""
        return not self.escalate and self.confidence < CONFIDENCE_THRESHOLD


@dataclass(frozen=True, kw_only=True)
class Handover:
    """What an agent's queue needs to know about an escalated conversation."""

    reason: str
    topic: str
    priority: int
    required_skills: tuple[str, ...]
    summary: str
