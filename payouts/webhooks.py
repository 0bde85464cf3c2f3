"""Stripe's webhook: the endpoint (verify, store once, handle) and its events' handlers.

Events are stored once by id (``StripeEvent``) and then handled; handlers act on Stripe's
*current* state, fetched again, rather than on the event's snapshot, which makes them
idempotent and indifferent to the order in which events arrive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from agents.models import Agent
from core.json_input import load_json_body
from payouts import services
from payouts.models import BankPayout, StripeEvent
from payouts.stripe_connect import payout_account_sync, stripe_client

logger = logging.getLogger(__name__)


class EventIgnored(Exception):
    """A handler has nothing to do for this event; the message says why."""


def _event_object_id(event: StripeEvent, *, kind: str = "object") -> str:
    object_id = ((event.payload.get("data") or {}).get("object") or {}).get("id")
    if not isinstance(object_id, str) or not object_id:
        raise EventIgnored(f"the event names no {kind}")
    return object_id


def _agent_id_for_account(account_id: str) -> int:
    agent_id = (
        Agent.objects.filter(stripe_account_id=account_id).values_list("pk", flat=True).first()
    )
    if agent_id is None:
        raise EventIgnored(f"no agent has account {account_id}")
    return agent_id


def _on_account_updated(event: StripeEvent) -> None:
    account_id = _event_object_id(event, kind="account")
    payout_account_sync(agent_id=_agent_id_for_account(account_id))


def _retrieve_current(retrieve: Callable[[], Any], object_id: str) -> Any:
    """Stripe's current copy of the event's object; an object Stripe does not have (for
    example from another platform's test) is nothing for us to act on."""
    try:
        return retrieve()
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            raise EventIgnored(f"Stripe has no {object_id}") from error
        raise


def _on_transfer_event(event: StripeEvent) -> None:
    """transfer.created/updated/reversed: record what Stripe's current copy of the transfer
    says: that it pays one of our payouts, and how much of it was reversed."""
    transfer_id = _event_object_id(event)
    transfer = _retrieve_current(
        lambda: stripe_client().v1.transfers.retrieve(transfer_id), transfer_id
    )
    payout = services.payout_confirm_from_transfer(transfer=transfer)
    if payout is None:
        raise EventIgnored(f"transfer {transfer.id} pays no payout of ours")
    services.payout_apply_reversal(transfer=transfer)


def _on_connected_payout_event(event: StripeEvent) -> None:
    """payout.*: a connected account's payout to its bank; mirrored from Stripe's current
    copy, so a late "created" cannot undo a "paid" that came first."""
    if not event.account:
        raise EventIgnored("a payout of the platform's own account, not an agent's")
    agent_id = _agent_id_for_account(event.account)
    payout_id = _event_object_id(event)
    payout = _retrieve_current(
        lambda: stripe_client().v1.payouts.retrieve(
            payout_id, options={"stripe_account": event.account}
        ),
        payout_id,
    )
    arrival = payout.arrival_date
    BankPayout.objects.update_or_create(
        stripe_payout_id=payout.id,
        defaults={
            "agent_id": agent_id,
            "amount_cents": payout.amount,
            "currency": payout.currency,
            "status": payout.status,
            "arrival_date": (
                datetime.fromtimestamp(arrival, tz=UTC) if isinstance(arrival, int) else None
            ),
            "failure_code": payout.failure_code or "",
            "failure_message": payout.failure_message or "",
        },
    )


EVENT_HANDLERS: dict[str, Callable[[StripeEvent], None]] = {
    "account.updated": _on_account_updated,
    "transfer.created": _on_transfer_event,
    "transfer.updated": _on_transfer_event,
    "transfer.reversed": _on_transfer_event,
    "payout.created": _on_connected_payout_event,
    "payout.updated": _on_connected_payout_event,
    "payout.paid": _on_connected_payout_event,
    "payout.failed": _on_connected_payout_event,
    "payout.canceled": _on_connected_payout_event,
}


def stripe_event_receive(*, payload: dict[str, Any]) -> StripeEvent:
    """Store a verified webhook event once and handle it unless that was already done.

    Precondition: the caller verified the signature. A redelivered event that was handled (or
    ignored) is returned as it is: no second effect. One that failed is handled again.
    """
    data_object = (payload.get("data") or {}).get("object") or {}
    account = payload.get("account") or (
        data_object.get("id", "") if data_object.get("object") == "account" else ""
    )
    event, created = StripeEvent.objects.get_or_create(
        id=payload["id"],
        defaults={"type": payload["type"], "account": account or "", "payload": payload},
    )
    if not created and event.processed_at is not None:
        return event
    return stripe_event_process(event_id=event.pk)


def stripe_event_process(*, event_id: str) -> StripeEvent:
    """Run the handler for a stored event and record the outcome.

    A Stripe error while handling marks the event failed and is raised, so the webhook
    answers with an error and Stripe delivers the event again later.
    """
    event = StripeEvent.objects.get(pk=event_id)
    if event.processed_at is not None:
        return event
    handler = EVENT_HANDLERS.get(event.type)
    status, detail = StripeEvent.Status.PROCESSED, ""
    if handler is None:
        status, detail = StripeEvent.Status.IGNORED, "no handler for this event type"
    else:
        try:
            handler(event)
        except EventIgnored as reason:
            status, detail = StripeEvent.Status.IGNORED, str(reason)
        except stripe.StripeError as error:
            StripeEvent.objects.filter(pk=event_id, processed_at=None).update(
                status=StripeEvent.Status.FAILED, detail=f"{type(error).__name__}: {error}"
            )
            raise
    with transaction.atomic():
        StripeEvent.objects.filter(pk=event_id, processed_at=None).update(
            status=status, detail=detail, processed_at=timezone.now()
        )
    event.refresh_from_db()
    return event


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
        payload = load_json_body(request.body)
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
        event = stripe_event_receive(payload=payload)
    except stripe.StripeError:
        logger.exception("handling Stripe event %s failed; Stripe will redeliver", payload["id"])
        return JsonResponse({"error": "temporarily unable to handle the event"}, status=503)
    return JsonResponse({"id": event.id, "status": event.status})
