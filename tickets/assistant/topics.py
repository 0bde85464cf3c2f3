"""Topics, the agent skills they need, and the topics a bot must never handle alone."""

from dataclasses import dataclass

from tickets.assistant.records import Priority, Skill

GENERAL_TOPIC = "general"


@dataclass(frozen=True, kw_only=True)
class SensitiveTopic:
    name: str
    skill: Skill
    priority: Priority


# Problems only a person may handle, and on the customer's first message: the harm of a
# wrong or slow answer is too high. Each goes to the agents with its skill, at its priority.
LOST_OR_STOLEN = SensitiveTopic(name="lost_or_stolen", skill=Skill.FRAUD, priority=Priority.URGENT)
UNRECOGNISED_PAYMENT = SensitiveTopic(
    name="unrecognised_payment", skill=Skill.FRAUD, priority=Priority.URGENT
)
ACCOUNT_COMPROMISED = SensitiveTopic(
    name="account_compromised", skill=Skill.FRAUD, priority=Priority.URGENT
)
FRAUD_OR_SCAM = SensitiveTopic(name="fraud_or_scam", skill=Skill.FRAUD, priority=Priority.URGENT)
THREAT_OF_HARM = SensitiveTopic(
    name="threat_of_harm", skill=Skill.GENERAL, priority=Priority.URGENT
)
BEREAVEMENT = SensitiveTopic(name="bereavement", skill=Skill.ACCOUNTS, priority=Priority.HIGH)
FINANCIAL_HARDSHIP = SensitiveTopic(
    name="financial_hardship", skill=Skill.BILLING, priority=Priority.HIGH
)
COMPLAINT = SensitiveTopic(name="complaint", skill=Skill.GENERAL, priority=Priority.HIGH)

SENSITIVE_TOPICS: tuple[SensitiveTopic, ...] = (
    LOST_OR_STOLEN,
    UNRECOGNISED_PAYMENT,
    ACCOUNT_COMPROMISED,
    FRAUD_OR_SCAM,
    THREAT_OF_HARM,
    BEREAVEMENT,
    FINANCIAL_HARDSHIP,
    COMPLAINT,
)
SENSITIVE_TOPIC_BY_NAME = {topic.name: topic for topic in SENSITIVE_TOPICS}

# Article topics (and sensitive topic names) to the skill an agent needs. Knowledge-base
# editors may invent topics; anything unknown goes to agents with the general skill.
SKILL_FOR_TOPIC: dict[str, Skill] = {
    "general": Skill.GENERAL,
    "shipping": Skill.GENERAL,
    "delivery": Skill.GENERAL,
    "orders": Skill.GENERAL,
    "billing": Skill.BILLING,
    "payments": Skill.BILLING,
    "invoices": Skill.BILLING,
    "refunds": Skill.REFUNDS,
    "returns": Skill.REFUNDS,
    "disputes": Skill.DISPUTES,
    "chargebacks": Skill.DISPUTES,
    "technical": Skill.TECHNICAL,
    "app": Skill.TECHNICAL,
    "fraud": Skill.FRAUD,
    "security": Skill.FRAUD,
    "accounts": Skill.ACCOUNTS,
    "account": Skill.ACCOUNTS,
    "login": Skill.ACCOUNTS,
    **{topic.name: topic.skill for topic in SENSITIVE_TOPICS},
}


def skills_for_topic(topic: str) -> tuple[str, ...]:
    """Always at least one skill, so every escalated ticket can be routed."""
    skill = SKILL_FOR_TOPIC.get(topic.strip().lower(), Skill.GENERAL)
    return (str(skill),)
