from rest_framework import serializers


class SessionLoginInput(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class SessionLoginOutput(serializers.Serializer):
    email = serializers.EmailField()
    agent_id = serializers.IntegerField(allow_null=True)
