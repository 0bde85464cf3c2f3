"""Agents' payout accounts on Stripe Connect (Express), and the configured Stripe client.

Network calls to Stripe are never made inside a database transaction: a slow or failing
Stripe must not hold row locks. The library is configured per call from settings (never at
import), so tests point ``STRIPE_API_BASE`` at a local fake and nothing reaches the network.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.conf import settings
from django.utils import timezone

from agents.models import Agent
from agents.onboarding import PAYOUT_SETUP_STATUSES

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
