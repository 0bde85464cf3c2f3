from rest_framework import serializers

from agents.vocabulary import Language


class ConversationCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=Language.choices, required=False, default="en")


class ConversationCreateOutput(serializers.Serializer):
    token = serializers.CharField()
    ws_url = serializers.CharField()
    chat_url = serializers.CharField()
    status = serializers.CharField()


class TranscriptQuery(serializers.Serializer):
    after_seq = serializers.IntegerField(min_value=0, required=False, default=0)


class MessageOutput(serializers.Serializer):
    type = serializers.CharField()
    seq = serializers.IntegerField()
    sender = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.CharField()
    agent_name = serializers.CharField(required=False)


class TranscriptOutput(serializers.Serializer):
    status = serializers.CharField()
    messages = MessageOutput(many=True)
