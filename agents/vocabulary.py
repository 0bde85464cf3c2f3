"""The closed vocabularies agents and tickets are matched on."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Skill(models.TextChoices):
    GENERAL = "general", _("General questions")
    BILLING = "billing", _("Billing")
    REFUNDS = "refunds", _("Refunds")
    DISPUTES = "disputes", _("Disputes")
    TECHNICAL = "technical", _("Technical")
    FRAUD = "fraud", _("Fraud and scams")
    ACCOUNTS = "accounts", _("Accounts")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")
    FRENCH = "fr", _("French")
    GERMAN = "de", _("German")
    PORTUGUESE = "pt", _("Portuguese")
    ITALIAN = "it", _("Italian")
    DUTCH = "nl", _("Dutch")
    POLISH = "pl", _("Polish")
    HINDI = "hi", _("Hindi")
    ARABIC = "ar", _("Arabic")
    CHINESE = "zh", _("Chinese")
    JAPANESE = "ja", _("Japanese")
    SWEDISH = "sv", _("Swedish")


SKILL_CODES = frozenset(Skill.values)
LANGUAGE_CODES = frozenset(Language.values)
