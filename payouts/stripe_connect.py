"""Agents' payout accounts on Stripe Connect (Express), and the webhook events that follow.

Network calls to Stripe are never made inside a database transaction: a slow or failing
Stripe must not hold row locks. The library is configured per call from settings (never at
import), so tests point ``STRIPE_API_BASE`` at a local fake and nothing reaches the network.

Webhook events are stored once by id (``StripeEvent``) and then handled; handlers act on
Stripe's *current* state, fetched again, rather than on the event's snapshot, which makes
them idempotent and indifferent to the order in which events arrive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agents.models import Agent
from agents.onboarding import PAYOUT_SETUP_STATUSES
from payouts.models import StripeEvent

logger = logging.getLogger(__name__)


class PayoutSetupError(Exception):
    """The agent cannot set up payouts now; the message is written for the agent."""


def stripe_client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise PayoutSetupError("Payouts are not configured on this server yet.")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        # The library retries connection errors and 5xx itself, reusing the idempotency key.
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def account_idempotency_key(agent: Agent) -> str:
    # Derived from the agent, so every attempt to create its account (a double click, a retry
    # after a timeout in which Stripe did create it) asks Stripe for the same one.
    return f"humanline-agent-{agent.pk}-express-account"


def payout_account_create(*, agent_id: int) -> str:
    """Return the agent's connected account id, creating the Express account the first time.

    Precondition: the agent is approved, active or suspended. Calling it again, or twice at
    once, yields one account: the id is kept once saved, and until then every call sends the
    same idempotency key.
    """
    agent = Agent.objects.select_related("user").get(pk=agent_id)
    if agent.status not in PAYOUT_SETUP_STATUSES:
        raise PayoutSetupError("You can set up payouts once your application is approved.")
    if agent.stripe_account_id:
        return agent.stripe_account_id
    params: dict[str, Any] = {
        "type": "express",
        "email": agent.user.email,
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {"agent_id": str(agent.pk)},
    }
    if agent.country:
        params["country"] = agent.country
    account = stripe_client().v1.accounts.create(
        params=params, options={"idempotency_key": account_idempotency_key(agent)}
    )
    # Compare-and-set: a concurrent call got the same account from Stripe and may have saved
    # it first; either way the stored id is this one.
    Agent.objects.filter(pk=agent.pk, stripe_account_id="").update(
        stripe_account_id=account.id, updated_at=timezone.now()
    )
    return Agent.objects.values_list("stripe_account_id", flat=True).get(pk=agent.pk)


def payout_onboarding_link(*, agent_id: int, return_url: str, refresh_url: str) -> str:
    """A fresh, single-use Stripe onboarding URL for the agent's account (created if needed).

    Account links expire within minutes and work once, so one is made per visit and never
    stored.
    """
    account_id = payout_account_create(agent_id=agent_id)
    link = stripe_client().v1.account_links.create(
        params={
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
    )
    return link.url


def payout_account_sync(*, agent_id: int) -> bool:
    """Ask Stripe whether the agent's account can receive payouts and record the answer.

    Returns the recorded ``payouts_enabled``. Used by the return URL and by the
    ``account.updated`` handler.
    """
    account_id = Agent.objects.values_list("stripe_account_id", flat=True).get(pk=agent_id)
    if not account_id:
        return False
    account = stripe_client().v1.accounts.retrieve(account_id)
    enabled = bool(account.payouts_enabled)
    # Conditioned on the account id, so a sync cannot write onto an agent whose account was
    # changed meanwhile; the value is Stripe's state as of this fetch, which is never older
    # than any event that prompted it.
    updated = Agent.objects.filter(pk=agent_id, stripe_account_id=account_id).exclude(
        payouts_enabled=enabled
    )
    if updated.update(payouts_enabled=enabled, updated_at=timezone.now()):
        logger.info("agent %s payouts_enabled=%s (account %s)", agent_id, enabled, account_id)
    return enabled


# --- Webhook events ------------------------------------------------------------------------


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
    from payouts import services

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
    from payouts.models import BankPayout

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
