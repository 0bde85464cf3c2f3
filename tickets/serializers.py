from rest_framework import serializers

from agents.vocabulary import Language
from core.api_fields import (
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
    StrictIntegerField,
)
from tickets.models import AnswerFeedback

# Message.seq is a PositiveIntegerField: PostgreSQL's integer, at most 2**31 - 1.
MAX_SEQ = 2**31 - 1


class ConversationCreateInput(serializers.Serializer):
    name = StrictCharField(max_length=120, required=False, allow_blank=True, default="")
    email = StrictEmailField(required=False, allow_blank=True, default="")
    language = StrictChoiceField(choices=Language.choices, required=False, default="en")


class ConversationCreateOutput(serializers.Serializer):
    token = serializers.CharField()
    ws_url = serializers.CharField()
    chat_url = serializers.CharField()
    status = serializers.CharField()


class TranscriptQuery(serializers.Serializer):
    after_seq = StrictIntegerField(min_value=0, max_value=MAX_SEQ, required=False, default=0)


class ArticleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class MessageOutput(serializers.Serializer):
    type = serializers.CharField()
    seq = serializers.IntegerField()
    sender = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.CharField()
    agent_name = serializers.CharField(required=False)
    # An answer from a help article, and the customer's verdict on it once given.
    article = ArticleOutput(required=False)
    feedback = serializers.ChoiceField(choices=AnswerFeedback.Verdict.values, required=False)


class TranscriptOutput(serializers.Serializer):
    status = serializers.CharField()
    messages = MessageOutput(many=True)
