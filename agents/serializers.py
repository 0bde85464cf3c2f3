from rest_framework import serializers

from core.api_fields import StrictCharField, StrictEmailField


class SessionLoginInput(serializers.Serializer):
    email = StrictEmailField()
    password = StrictCharField(max_length=256, trim_whitespace=False)


class SessionLoginOutput(serializers.Serializer):
    email = serializers.EmailField()
    agent_id = serializers.IntegerField(allow_null=True)
