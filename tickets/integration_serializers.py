from django.conf import settings
from rest_framework import serializers

from agents.vocabulary import Language
from core.api_fields import StrictCharField, StrictChoiceField
from tickets.integrations import HANDOVER_PRIORITIES

MAX_HANDED_OVER_TURNS = 200


class HandedOverTurnInput(serializers.Serializer):
    sender = StrictChoiceField(choices=[("customer", "The customer"), ("bot", "Your assistant")])
    body = StrictCharField(max_length=settings.CHAT_MAX_BODY_CHARS)


class EscalationInput(serializers.Serializer):
    transcript = HandedOverTurnInput(
        many=True,
        allow_empty=False,
        max_length=MAX_HANDED_OVER_TURNS,
        help_text="The conversation so far, oldest first. Card numbers are masked on arrival.",
    )
    reason = StrictCharField(
        max_length=500, help_text="Why your assistant hands over, in words an agent reads."
    )
    # No default: "not given" must stay apart from "en", so that it can be detected.
    language = StrictChoiceField(
        choices=Language.choices,
        required=False,
        help_text=(
            "The customer's language; agents who speak it get the conversation. When "
            "omitted, it is detected from the customer's turns in the transcript, and is "
            "English when they are too short or too mixed to tell."
        ),
    )
    topic = StrictCharField(
        pattern=r"^[A-Za-z0-9_\- ]+$",
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Routes the ticket to agents with the matching skill, e.g. billing.",
    )
    priority = StrictChoiceField(
        choices=list(HANDOVER_PRIORITIES), required=False, default="normal"
    )
    customer_reference = StrictCharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your id for the customer or conversation; echoed in the webhook.",
    )
    customer_name = StrictCharField(max_length=120, required=False, allow_blank=True, default="")


class EscalationOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The conversation's id, as in the webhook.")
    token = serializers.CharField(help_text="The customer's credential for the conversation.")
    chat_url = serializers.CharField(help_text="Send the customer here to continue the chat.")
    ws_url = serializers.CharField()
    status = serializers.CharField()
