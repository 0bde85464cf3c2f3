from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import api_errors
from core.throttles import AddressRateThrottle
from tickets import protocol, services
from tickets.models import Ticket
from tickets.serializers import (
    ConversationCreateInput,
    ConversationCreateOutput,
    TranscriptOutput,
    TranscriptQuery,
)


class ConversationCreateThrottle(AddressRateThrottle):
    """Per client address; X-Forwarded-For counts only from a trusted proxy."""

    scope = "conversation_create"


def websocket_url(request, token: str) -> str:
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/ws/chat/{token}/"


class ConversationCreateApi(APIView):
    """Start a conversation; the token in the reply is the customer's credential."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ConversationCreateThrottle]

    @extend_schema(
        request=ConversationCreateInput,
        parameters=[api_errors.retry_after(429, 503)],
        responses={
            201: ConversationCreateOutput,
            400: api_errors.BAD_REQUEST,
            406: api_errors.NOT_ACCEPTABLE,
            415: api_errors.UNSUPPORTED_MEDIA_TYPE,
            429: api_errors.refusal("Over CONVERSATION_CREATE_RATE from this client address."),
            503: api_errors.UNAVAILABLE,
        },
    )
    def post(self, request):
        data = ConversationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.conversation_start(**data.validated_data)
        output = {
            "token": ticket.token,
            "ws_url": websocket_url(request, ticket.token),
            "chat_url": request.build_absolute_uri(f"/chat/?c={ticket.token}"),
            "status": ticket.status,
        }
        return Response(ConversationCreateOutput(output).data, status=status.HTTP_201_CREATED)


class ConversationMessagesApi(APIView):
    """The customer's transcript after a seq: what a reconnecting client replays."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[TranscriptQuery, api_errors.retry_after(503)],
        responses={
            200: TranscriptOutput,
            400: api_errors.INVALID_QUERY,
            404: api_errors.refusal("No conversation has this token."),
            406: api_errors.NOT_ACCEPTABLE,
            503: api_errors.UNAVAILABLE,
        },
    )
    def get(self, request, token: str):
        query = TranscriptQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        ticket = get_object_or_404(Ticket.objects.only("id", "status"), token=token)
        messages = protocol.transcript_for_customer(
            ticket_id=ticket.pk, after_seq=query.validated_data["after_seq"]
        )
        return Response({"status": ticket.status, "messages": messages})
