"""The Stripe webhook endpoint: verify, store once, handle (payouts/stripe_connect.py)."""

from __future__ import annotations

import json
import logging

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payouts import stripe_connect

logger = logging.getLogger(__name__)


@csrf_exempt  # Stripe cannot send a CSRF token; the signature is the authentication.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        # An empty secret would make any signature computable, so refuse rather than verify.
        # 503 makes Stripe try again once the secret is configured.
        logger.error("Stripe webhook received but STRIPE_WEBHOOK_SECRET is not set")
        return JsonResponse({"error": "webhooks are not configured"}, status=503)
    # The shape is checked before the signature only because the library assumes an object;
    # nothing is acted on, or stored, until the signature has been verified.
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "invalid payload"}, status=400)
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("id"), str)
        and isinstance(payload.get("type"), str)
    ):
        return JsonResponse({"error": "not a Stripe event"}, status=400)
    try:
        stripe.Webhook.construct_event(
            request.body, request.headers.get("Stripe-Signature", ""), secret
        )
    except stripe.SignatureVerificationError:
        return JsonResponse({"error": "invalid signature"}, status=400)
    try:
        event = stripe_connect.stripe_event_receive(payload=payload)
    except stripe.StripeError:
        logger.exception("handling Stripe event %s failed; Stripe will redeliver", payload["id"])
        return JsonResponse({"error": "temporarily unable to handle the event"}, status=503)
    return JsonResponse({"id": event.id, "status": event.status})
