"""The closed vocabularies agents and tickets are matched on."""

from django.db import models


class Skill(models.TextChoices):
    GENERAL = "general", "General questions"
    BILLING = "billing", "Billing"
    REFUNDS = "refunds", "Refunds"
    DISPUTES = "disputes", "Disputes"
    TECHNICAL = "technical", "Technical"
    FRAUD = "fraud", "Fraud and scams"
    ACCOUNTS = "accounts", "Accounts"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"
    FRENCH = "fr", "French"
    GERMAN = "de", "German"
    PORTUGUESE = "pt", "Portuguese"
    ITALIAN = "it", "Italian"
    DUTCH = "nl", "Dutch"
    POLISH = "pl", "Polish"
    HINDI = "hi", "Hindi"
    ARABIC = "ar", "Arabic"
    CHINESE = "zh", "Chinese"
    JAPANESE = "ja", "Japanese"
    SWEDISH = "sv", "Swedish"


SKILL_CODES = frozenset(Skill.values)
LANGUAGE_CODES = frozenset(Language.values)
