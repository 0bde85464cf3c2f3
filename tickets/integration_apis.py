"""The escalations API: a company's own assistant hands a conversation to our agents."""

from __future__ import annotations

import re

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core import api_errors
from tickets import integrations
from tickets.apis import websocket_url
from tickets.integration_serializers import EscalationInput, EscalationOutput
from tickets.models import Integration

WEBHOOK_DOCUMENTATION = """
Hand a conversation from your own assistant to Humanline's agents. Authenticate with the
integration's API key (created and revoked in the Humanline admin): `Authorization: Bearer
hl_…`. A missing or unknown key gets 401, a revoked key 403.

**Retries.** Send an `Idempotency-Key` header (1 to 255 printable ASCII characters, not
starting or ending with a space, e.g. a UUID, fresh per conversation) to make a POST safe to
retry: a repeat with the same key and the same body gets the same ticket (`201`, with
`Idempotent-Replayed: true`) instead of a second one. Keys belong to your integration and
are kept; reusing one with a different body is refused with `422` and changes nothing.

The conversation goes straight to the human queue. Send the customer to `chat_url` to
continue with a person.

**Language.** Send `language` when your assistant knows it: it is used as given, whatever
the transcript says. Leave it out and Humanline detects it from the customer's turns in the
transcript; when they are too short or too mixed to tell ("ok", an order number), the
conversation is in English.

**Webhook.** When an agent resolves the conversation, Humanline POSTs JSON to the
integration's webhook URL:

```
{"id": <delivery id>, "created_at": "…", "type": "ticket.resolved",
 "conversation": {"id", "customer_reference", "status", "topic", "escalated_at",
                  "resolved_at"}}
```

with headers `Humanline-Event: ticket.resolved`, `Humanline-Delivery: <delivery id>` and
`Humanline-Signature: t=<unix time>,v1=<hex>`, where `v1` is HMAC-SHA256, keyed with the
integration's webhook secret, of `"<t>.<raw body>"`. Check it with a constant-time
comparison and refuse timestamps older than a few minutes. Any 2xx answer within 5 seconds
is success; anything else is retried with exponential backoff (30 s doubling, at most hourly,
10 attempts). Delivery is at least once: dedupe by `Humanline-Delivery`.
"""


class IntegrationKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer <api key>``; the integration becomes ``request.auth``."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword or len(header) != 2:
            raise exceptions.AuthenticationFailed("Use the header: Authorization: Bearer <key>.")
        try:
            api_key = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid API key.") from None
        integration = integrations.integration_for_api_key(api_key)
        if integration is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        # Authenticated even when revoked, so the permission answers 403, not 401: the
        # caller held a real key and should learn it was switched off, not mistyped.
        return AnonymousUser(), integration

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class IsActiveIntegration(BasePermission):
    message = "This API key was revoked."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Integration) and not request.auth.is_revoked


class IntegrationKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tickets.integration_apis.IntegrationKeyAuthentication"
    name = "IntegrationKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An integration's API key."}


IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_CHARS = 255
# 1 to 255 printable ASCII characters, the first and last not a space: HTTP drops a header
# value's surrounding spaces on the way, so a key that had them could never arrive as sent.
# The schema's pattern; re.fullmatch reads its $ as the end of the text, as JSON Schema does.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$"


class IdempotencyKeyConflict(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def _idempotency_key(request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
    if key is None:
        return None
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        raise serializers.ValidationError(
            {
                IDEMPOTENCY_KEY_HEADER: [
                    f"1 to {IDEMPOTENCY_KEY_MAX_CHARS} printable ASCII characters, "
                    "not starting or ending with a space."
                ]
            }
        )
    return key


class EscalationCreateApi(APIView):
    """Hand a conversation over from a company's assistant to the human queue."""

    authentication_classes = [IntegrationKeyAuthentication]
    permission_classes = [IsActiveIntegration]

    @extend_schema(
        operation_id="escalations_create",
        description=WEBHOOK_DOCUMENTATION,
        request=EscalationInput,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_KEY_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                pattern=IDEMPOTENCY_KEY_PATTERN,
                description="Makes retries safe: one ticket per key (see above).",
            ),
            OpenApiParameter(
                "WWW-Authenticate",
                str,
                OpenApiParameter.HEADER,
                required=True,
                response=[401],
                description='`Bearer realm="api"`',
            ),
            api_errors.retry_after(503),
        ],
        responses={
            201: EscalationOutput,
            400: api_errors.BAD_REQUEST,
            401: api_errors.refusal("Missing or unknown API key."),
            403: api_errors.refusal("Revoked API key."),
            406: api_errors.NOT_ACCEPTABLE,
            415: api_errors.UNSUPPORTED_MEDIA_TYPE,
            422: api_errors.refusal("Idempotency-Key reused with a different body."),
            503: api_errors.UNAVAILABLE,
        },
    )
    def post(self, request):
        data = EscalationInput(data=request.data)
        data.is_valid(raise_exception=True)
        key = _idempotency_key(request)
        fields = dict(data.validated_data)
        transcript = [integrations.HandedOverTurn(**turn) for turn in fields["transcript"]]
        handover = {name: value for name, value in fields.items() if name != "transcript"}
        replayed = False
        if key is None:
            ticket = integrations.escalation_handover(
                integration=request.auth, transcript=transcript, **handover
            )
        else:
            try:
                ticket, created = integrations.escalation_handover_once(
                    integration=request.auth,
                    idempotency_key=key,
                    body_sha256=integrations.request_body_sha256(fields),
                    transcript=transcript,
                    **handover,
                )
            except integrations.IdempotencyKeyReused as error:
                raise IdempotencyKeyConflict(str(error)) from None
            replayed = not created
        output = {
            "id": ticket.pk,
            "token": ticket.token,
            "chat_url": request.build_absolute_uri(f"/chat/?c={ticket.token}"),
            "ws_url": websocket_url(request, ticket.token),
            "status": ticket.status,
        }
        response = Response(EscalationOutput(output).data, status=status.HTTP_201_CREATED)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response
