"""Payouts: paying what the ledger says is payable, exactly once, through Stripe Connect.

Paying is in two steps with a commit between them:

1. ``payouts_assemble`` (and ``instant_payout_request``) move payable lines into a new
   ``Payout`` in one transaction. A pending payout is the intent to pay: the outbox row.
2. ``payout_send`` sends one pending payout to Stripe as a transfer whose idempotency key and
   transfer group are derived from the payout's id, then records the transfer. A crash
   between Stripe's answer and our commit leaves the payout pending; the next attempt sends
   the same key and Stripe answers with the same transfer. Stripe forgets keys after about
   24 hours, so an attempt on a payout first tried longer ago than that looks the transfer
   up by its group first.

Everything that moves lines out of the payable balance takes the ledger lock
(``payouts.ledger.ledger_lock``), so two payout runs, or a run and a cash-out, cannot take
the same line. No Stripe call is made inside a transaction. The lines themselves, and how
they are earned, are ``payouts.ledger``'s.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import stripe
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from agents.models import Agent
from core.jobs import enqueue_on_commit
from payouts.ledger import (
    Kind,
    LineStatus,
    PayoutError,
    ledger_lock,
    rate_card_at,
    release_held_lines,
)
from payouts.models import EarningLine, Payout, RateCard
from payouts.stripe_connect import PayoutSetupError, stripe_client

logger = logging.getLogger(__name__)


# Stripe keeps idempotency keys for "at least 24 hours"; look a transfer up before trusting a
# key this old. An hour's margin, because "at least" is not "exactly".
IDEMPOTENCY_KEY_TRUST = timedelta(hours=23)
RETRY_BACKOFF_BASE = timedelta(seconds=30)
RETRY_BACKOFF_MAX = timedelta(hours=1)


def send_lease() -> timedelta:
    """How long one worker may hold a payout while it talks to Stripe; a worker killed
    holding one delays its payout by this much, then the drain sends it again."""
    return timedelta(seconds=settings.PAYOUT_SEND_LEASE_SECONDS)


class TransientPayoutError(Exception):
    """Stripe could not be reached or asked us to slow down; the payout is tried again."""


# --- Gathering lines into payouts -----------------------------------------------------------


def payouts_assemble(*, now: datetime | None = None) -> list[int]:
    """Gather each payout-ready agent's payable lines, if they reach ``PAYOUT_MINIMUM_CENTS``,
    into one pending payout per agent and currency. Returns the new payouts' ids.

    Set-based, so its cost does not grow with the number of agents in queries: one aggregate,
    one insert, one update of the lines and one of the payouts' amounts. Agents without a
    payout-ready account are left out and keep accruing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ledger_lock()
        release_held_lines(now)
        totals = list(
            EarningLine.objects.filter(
                status=LineStatus.PAYABLE,
                agent__payouts_enabled=True,
                agent__stripe_account_id__gt="",
            )
            .values("agent_id", "currency", "agent__stripe_account_id")
            .annotate(total=Sum("amount_cents"))
            .filter(total__gte=max(settings.PAYOUT_MINIMUM_CENTS, 1))
            .order_by("agent_id", "currency")
        )
        if not totals:
            return []
        payouts = Payout.objects.bulk_create(
            [
                Payout(
                    agent_id=row["agent_id"],
                    kind=Payout.Kind.SCHEDULED,
                    amount_cents=row["total"],
                    currency=row["currency"],
                    destination=row["agent__stripe_account_id"],
                    requested_on=now.date(),
                    next_attempt_at=now,
                )
                for row in totals
            ]
        )
        first_id = min(payout.pk for payout in payouts)
        last_id = max(payout.pk for payout in payouts)
        with connection.cursor() as cursor:
            # Every payable line of an agent and currency that has a payout in this batch
            # joins it. One join, where the ORM would run a subquery per line; the same SQL
            # on PostgreSQL and SQLite (3.33+). The id range is this batch's alone: every
            # payout is created under the ledger lock held here.
            cursor.execute(
                f"""
                UPDATE {EarningLine._meta.db_table} AS line
                SET payout_id = payout.id, status = %s
                FROM {Payout._meta.db_table} AS payout
                WHERE payout.id BETWEEN %s AND %s
                  AND payout.agent_id = line.agent_id
                  AND payout.currency = line.currency
                  AND line.status = %s
                """,  # noqa: S608 - table names from the models, values as parameters
                [LineStatus.IN_PAYOUT, first_id, last_id, LineStatus.PAYABLE],
            )
        # A payout's amount is the sum of its lines, whatever moved since the aggregate.
        Payout.objects.filter(pk__gte=first_id, pk__lte=last_id).update(
            amount_cents=Subquery(
                EarningLine.objects.filter(payout_id=OuterRef("pk"))
                .values("payout_id")
                .annotate(total=Sum("amount_cents"))
                .values("total")
            )
        )
        batch_ids = [payout.pk for payout in payouts]
    logger.info("assembled %d payouts", len(batch_ids))
    return batch_ids


@dataclass(frozen=True)
class InstantPayoutQuote:
    payable_cents: int
    fee_cents: int
    net_cents: int
    currency: str
    available: bool
    reason: str  # why not, when not available; in the viewer's language (shown to the agent)


def instant_payout_fee(payable_cents: int, card: RateCard | None) -> int:
    if card is None:
        return 0
    proportional = -(-payable_cents * card.instant_payout_fee_bps // 10_000)  # rounded up
    return max(proportional, card.instant_payout_fee_min_cents)


def instant_payout_quote(*, agent: Agent, now: datetime | None = None) -> InstantPayoutQuote:
    """What an instant cash-out would pay the agent now, and the fee, before they confirm."""
    now = now or timezone.now()
    currency = settings.PAYOUT_CURRENCY
    payable = (
        EarningLine.objects.filter(
            Q(status=LineStatus.PAYABLE) | Q(status=LineStatus.PENDING, available_at__lte=now),
            agent=agent,
            currency=currency,
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    fee = instant_payout_fee(payable, rate_card_at(now))
    net = payable - fee
    reason = ""
    if not (agent.payouts_enabled and agent.stripe_account_id):
        reason = gettext("Connect a payout account first.")
    elif (
        Payout.objects.filter(agent=agent, kind=Payout.Kind.INSTANT, requested_on=now.date())
        .exclude(status=Payout.Status.FAILED)
        .exists()
    ):
        reason = gettext("You have already cashed out today. You can again tomorrow (UTC).")
    elif net <= 0:
        reason = gettext("Your payable balance does not cover the fee yet.")
    return InstantPayoutQuote(payable, fee, net, currency, available=not reason, reason=reason)


def instant_payout_request(
    *, agent_id: int, expected_net_cents: int, now: datetime | None = None
) -> Payout:
    """Pay the agent's payable balance now, less the fee they were shown.

    ``expected_net_cents`` is the amount on the page they confirmed; if the balance moved
    since, nothing happens and they are asked to look again. At most once a UTC day (a
    constraint holds that under any race).
    """
    now = now or timezone.now()
    with transaction.atomic():
        ledger_lock()
        agent = Agent.objects.select_for_update().get(pk=agent_id)
        release_held_lines(now, agent=agent)
        quote = instant_payout_quote(agent=agent, now=now)
        if not quote.available:
            raise PayoutError(quote.reason, code="instant_unavailable")
        if quote.net_cents != expected_net_cents:
            raise PayoutError(
                gettext(
                    "Your balance changed since you looked. Check the new amount and confirm again."
                ),
                code="balance_changed",
            )
        payout = _payout_of_payable_lines(
            agent, Payout.Kind.INSTANT, quote.currency, amount_cents=quote.net_cents, now=now
        )
        if quote.fee_cents:
            EarningLine.objects.create(
                agent=agent,
                kind=Kind.INSTANT_FEE,
                status=LineStatus.IN_PAYOUT,
                payout=payout,
                amount_cents=-quote.fee_cents,
                currency=quote.currency,
                description=f"Instant cash-out fee (payout #{payout.pk})",
                source_key=f"instant-fee:{payout.pk}",
                earned_at=now,
                available_at=now,
            )
        _send_after_commit(payout.pk)
    return payout


def _payout_of_payable_lines(
    agent: Agent, kind: str, currency: str, *, amount_cents: int, now: datetime
) -> Payout:
    """A pending payout of all the agent's payable lines in ``currency`` (under the ledger
    lock, so no other transaction is moving them)."""
    payout = Payout.objects.create(
        agent=agent,
        kind=kind,
        amount_cents=amount_cents,
        currency=currency,
        destination=agent.stripe_account_id,
        requested_on=now.date(),
        next_attempt_at=now,
    )
    EarningLine.objects.filter(agent=agent, status=LineStatus.PAYABLE, currency=currency).update(
        payout=payout, status=LineStatus.IN_PAYOUT
    )
    return payout


def _send_after_commit(payout_id: int) -> None:
    # A lost enqueue leaves the payout pending and due: the periodic drain sends it.
    enqueue_on_commit("payouts.tasks.send_payout", payout_id)


# --- Sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str


# Stripe's refusals in words an admin and the agent can act on. Keyed by Stripe's error code.
REFUSAL_REASONS = {
    "insufficient_capabilities_for_transfer": (
        "The agent's Stripe account cannot receive transfers yet: its transfers capability "
        "is not active. The agent needs to finish or update their Stripe details."
    ),
    "balance_insufficient": (
        "Humanline's Stripe balance is too low to make this transfer. An admin needs to add "
        "funds, then retry the payout."
    ),
    "account_invalid": (
        "The agent's Stripe account is no longer connected to Humanline. The agent needs to "
        "connect a payout account again."
    ),
    "resource_missing": (
        "Stripe does not know the agent's payout account. The agent needs to connect a "
        "payout account again."
    ),
    "transfers_not_allowed": (
        "Stripe does not allow transfers to this agent's account (for example because of its "
        "country). Contact Stripe support."
    ),
    "amount_too_small": "The amount is below Stripe's minimum transfer.",
}


def stripe_refusal(error: stripe.StripeError) -> Refusal | None:
    """The reason for a permanent refusal, or None when the error is worth retrying."""
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        return None
    if isinstance(error, stripe.AuthenticationError):
        return None  # Our key is wrong: an operator fixes it; the payouts stay due.
    status = error.http_status or 0
    if status >= 500 or status == 409 or isinstance(error, stripe.APIError):
        return None
    code = error.code or type(error).__name__
    reason = REFUSAL_REASONS.get(code) or f"Stripe refused the transfer: {error.user_message}"
    return Refusal(code=code, reason=reason)


def _retry_delay(attempts: int) -> timedelta:
    return min(RETRY_BACKOFF_BASE * (2 ** max(attempts - 1, 0)), RETRY_BACKOFF_MAX)


def _transfer_params(payout: Payout) -> dict:
    return {
        "amount": payout.amount_cents,
        "currency": payout.currency,
        "destination": payout.destination,
        "transfer_group": payout.transfer_group,
        "description": f"Humanline payout #{payout.pk}",
        "metadata": {"payout_id": str(payout.pk), "agent_id": str(payout.agent_id)},
    }


def _transfer_metadata(transfer) -> dict:
    return transfer.metadata.to_dict() if transfer.metadata else {}


def _transfer_already_made(client: stripe.StripeClient, payout: Payout):
    """The transfer an earlier attempt made for this payout, if Stripe has one."""
    transfers = client.v1.transfers.list(
        params={"transfer_group": payout.transfer_group, "limit": 100}
    )
    for transfer in transfers.data:
        if _transfer_metadata(transfer).get("payout_id") == str(payout.pk):
            return transfer
    return None


def payout_send(*, payout_id: int, now: datetime | None = None) -> Payout:
    """Send one pending payout to Stripe and record the result. Safe to call any number of
    times, from any number of workers: only one holds the payout at a time, and every
    attempt asks Stripe for the same transfer.

    Raises ``TransientPayoutError`` when Stripe could not be reached; the payout stays
    pending with its next attempt scheduled.
    """
    now = now or timezone.now()
    leased = (
        Payout.objects.filter(pk=payout_id, status=Payout.Status.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            lease_until=now + send_lease(),
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            first_attempt_at=Coalesce(F("first_attempt_at"), Value(now)),
        )
    )
    payout = Payout.objects.get(pk=payout_id)
    if not leased:
        return payout
    try:
        client = stripe_client()
    except PayoutSetupError as error:
        _retry_later(payout, now=now, code="not_configured", detail=str(error))
        raise TransientPayoutError(str(error)) from error
    try:
        transfer = None
        if payout.first_attempt_at < now - IDEMPOTENCY_KEY_TRUST:
            transfer = _transfer_already_made(client, payout)
        if transfer is None:
            transfer = client.v1.transfers.create(
                params=_transfer_params(payout),
                options={"idempotency_key": payout.idempotency_key},
            )
    except stripe.StripeError as error:
        refusal = stripe_refusal(error)
        if refusal is None:
            code = error.code or type(error).__name__
            _retry_later(payout, now=now, code=code, detail=str(error.user_message or error))
            raise TransientPayoutError(str(error)) from error
        return payout_fail(payout_id=payout_id, code=refusal.code, reason=refusal.reason)
    return payout_record_transfer(payout_id=payout_id, transfer_id=transfer.id, now=now)


def _retry_later(payout: Payout, *, now: datetime, code: str, detail: str) -> None:
    logger.warning("payout %s not sent (%s); retrying later", payout.pk, code)
    Payout.objects.filter(pk=payout.pk, status=Payout.Status.PENDING).update(
        lease_until=None,
        next_attempt_at=now + _retry_delay(payout.attempts),
        failure_code=code,
        failure_reason=f"Retrying: {detail}",
    )


@transaction.atomic
def payout_record_transfer(*, payout_id: int, transfer_id: str, now=None) -> Payout:
    """Mark a pending payout paid by this transfer, and its lines paid. Idempotent."""
    now = now or timezone.now()
    recorded = Payout.objects.filter(pk=payout_id, status=Payout.Status.PENDING).update(
        status=Payout.Status.PAID,
        stripe_transfer_id=transfer_id,
        paid_at=now,
        lease_until=None,
        next_attempt_at=None,
        failure_code="",
        failure_reason="",
    )
    if recorded:
        EarningLine.objects.filter(payout_id=payout_id, status=LineStatus.IN_PAYOUT).update(
            status=LineStatus.PAID, paid_at=now
        )
        logger.info("payout %s paid by %s", payout_id, transfer_id)
    return Payout.objects.get(pk=payout_id)


@transaction.atomic
def payout_fail(*, payout_id: int, code: str, reason: str) -> Payout:
    """Stripe refused: mark the payout failed with the reason and return its lines to the
    payable balance (an instant cash-out's fee is refunded by a line of its own)."""
    now = timezone.now()
    failed = Payout.objects.filter(pk=payout_id, status=Payout.Status.PENDING).update(
        status=Payout.Status.FAILED,
        failure_code=code,
        failure_reason=reason,
        failed_at=now,
        lease_until=None,
        next_attempt_at=None,
    )
    if failed:
        payout = Payout.objects.get(pk=payout_id)
        fee = EarningLine.objects.filter(payout_id=payout_id, kind=Kind.INSTANT_FEE).first()
        EarningLine.objects.filter(payout_id=payout_id, status=LineStatus.IN_PAYOUT).update(
            status=LineStatus.PAYABLE, payout=None
        )
        if fee is not None:
            EarningLine.objects.create(
                agent_id=payout.agent_id,
                kind=Kind.INSTANT_FEE,
                status=LineStatus.PAYABLE,
                amount_cents=-fee.amount_cents,
                currency=fee.currency,
                description=f"Fee refunded: cash-out #{payout_id} failed",
                source_key=f"instant-fee-refund:{payout_id}",
                earned_at=now,
                available_at=now,
            )
        logger.warning("payout %s failed: %s", payout_id, code)
    return Payout.objects.get(pk=payout_id)


def payouts_due(*, now: datetime | None = None) -> list[int]:
    """Pending payouts whose next attempt is due and that no worker holds: the outbox."""
    now = now or timezone.now()
    return list(
        Payout.objects.filter(status=Payout.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )


def payout_retry(*, payout_id: int) -> Payout | None:
    """An admin's retry of a failed payout, once its cause is fixed: a new payout of the
    agent's payable lines (which include the failed one's), under a new key, since Stripe
    would replay the old key's refusal. None when nothing is payable."""
    with transaction.atomic():
        ledger_lock()
        failed = Payout.objects.select_for_update().get(pk=payout_id)
        if failed.status != Payout.Status.FAILED or failed.retried_as_id is not None:
            raise PayoutError("Only a failed payout can be retried, once.", code="not_retryable")
        agent = Agent.objects.get(pk=failed.agent_id)
        if not (agent.payouts_enabled and agent.stripe_account_id):
            raise PayoutError(
                "The agent has no payout-ready Stripe account.", code="account_not_ready"
            )
        now = timezone.now()
        total = (
            EarningLine.objects.filter(
                agent=agent, status=LineStatus.PAYABLE, currency=failed.currency
            ).aggregate(total=Sum("amount_cents"))["total"]
            or 0
        )
        if total <= 0:
            return None
        retry = _payout_of_payable_lines(
            agent, Payout.Kind.SCHEDULED, failed.currency, amount_cents=total, now=now
        )
        Payout.objects.filter(pk=failed.pk).update(retried_as=retry)
        _send_after_commit(retry.pk)
    return retry


# --- What Stripe tells us afterwards (webhooks) ---------------------------------------------


def payout_apply_reversal(*, transfer) -> int:
    """Record a transfer's reversals, from Stripe's current copy of the transfer.

    The ledger gains a paid line of minus the newly reversed amount in the payout, so the
    payout's lines still add up to what the agent kept. Returns the amount newly recorded;
    zero for a replayed or out-of-date event.
    """
    with transaction.atomic():
        payout = Payout.objects.select_for_update().filter(stripe_transfer_id=transfer.id).first()
        if payout is None:
            return 0
        newly_reversed = int(transfer.amount_reversed or 0) - payout.amount_reversed_cents
        if newly_reversed <= 0:
            return 0
        total = payout.amount_reversed_cents + newly_reversed
        now = timezone.now()
        EarningLine.objects.create(
            agent_id=payout.agent_id,
            kind=Kind.REVERSAL,
            status=LineStatus.PAID,
            payout=payout,
            amount_cents=-newly_reversed,
            currency=payout.currency,
            description=f"Transfer for payout #{payout.pk} reversed by Humanline",
            source_key=f"reversal:{transfer.id}:{total}",
            earned_at=now,
            available_at=now,
            paid_at=now,
        )
        Payout.objects.filter(pk=payout.pk).update(amount_reversed_cents=total)
    return newly_reversed


def payout_confirm_from_transfer(*, transfer) -> Payout | None:
    """A transfer Stripe reports for one of our payouts, seen before our own record of it
    (a worker lost after Stripe answered): record it now."""
    payout_id = _transfer_metadata(transfer).get("payout_id")
    if not (payout_id and str(payout_id).isdigit()):
        return None
    payout = Payout.objects.filter(pk=int(payout_id)).first()
    if payout is None or payout.destination != transfer.destination:
        return None
    if payout.status == Payout.Status.PENDING and payout.amount_cents == transfer.amount:
        return payout_record_transfer(payout_id=payout.pk, transfer_id=transfer.id)
    return payout
