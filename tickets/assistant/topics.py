"""Topics, the agent skills they need, and the topics a bot must never handle alone."""

from dataclasses import dataclass

from tickets.assistant.records import Priority, Skill

GENERAL_TOPIC = "general"


@dataclass(frozen=True, kw_only=True)
class SensitiveTopic:
    name: str
    skill: Skill
    priority: Priority


FRAUD = SensitiveTopic(name="fraud", skill=Skill.FRAUD, priority=Priority.URGENT)
DISPUTES = SensitiveTopic(name="disputes", skill=Skill.DISPUTES, priority=Priority.HIGH)
HARDSHIP = SensitiveTopic(name="hardship", skill=Skill.BILLING, priority=Priority.HIGH)
ACCOUNT_CLOSURE = SensitiveTopic(
    name="account_closure", skill=Skill.ACCOUNTS, priority=Priority.HIGH
)
COMPLAINT = SensitiveTopic(name="complaint", skill=Skill.GENERAL, priority=Priority.HIGH)

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
    **{
        topic.name: topic.skill for topic in (FRAUD, DISPUTES, HARDSHIP, ACCOUNT_CLOSURE, COMPLAINT)
    },
}


def skills_for_topic(topic: str) -> tuple[str, ...]:
    """Always at least one skill, so every escalated ticket can be routed."""
    skill = SKILL_FOR_TOPIC.get(topic.strip().lower(), Skill.GENERAL)
    return (str(skill),)
