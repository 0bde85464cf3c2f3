"""Celery tasks of payouts: ids in, a service call. Every one is safe to run twice.

Delivery is at least once (``acks_late`` with ``reject_on_worker_lost``): a worker lost in
the middle of ``send_payout`` leaves its payout pending, and the next run asks Stripe for the
same transfer under the same idempotency key. Retries of transient Stripe errors are not
Celery's: the payout stores its next attempt (with backoff) and ``drain_payouts`` picks it up,
so the backoff survives restarts and works alike in the embedded profile, where tasks run
eagerly.
"""

from celery import shared_task

from core.jobs import AT_LEAST_ONCE, MAIL_RETRY
from payouts import ledger, services
from payouts.money import format_multiplier
from workforce import surge


# Stripe's client waits up to 80 s a try and retries (STRIPE_MAX_NETWORK_RETRIES); the hard
# limit stays under the send lease (PAYOUT_SEND_LEASE_SECONDS, 5 min), so a payout cut short
# is sent again by a later drain, under the same idempotency key, never by two at once.
@shared_task(**AT_LEAST_ONCE, soft_time_limit=4 * 60, time_limit=4 * 60 + 30)
def send_payout(payout_id: int) -> str:
    try:
        payout = services.payout_send(payout_id=payout_id)
    except services.TransientPayoutError:
        return "retry scheduled"
    return payout.status


@shared_task(**AT_LEAST_ONCE)
def drain_payouts() -> int:
    """Send every pending payout that is due: the outbox drain."""
    due = services.payouts_due()
    for payout_id in due:
        send_payout.delay(payout_id)
    return len(due)


# Payout batches: every line of every agent, in transactions of their own.
@shared_task(**AT_LEAST_ONCE, soft_time_limit=4 * 60, time_limit=4 * 60 + 30)
def release_held_earnings() -> int:
    return ledger.earning_lines_release_held()


@shared_task(**AT_LEAST_ONCE, soft_time_limit=4 * 60, time_limit=4 * 60 + 30)
def run_payouts() -> int:
    """The periodic payout run: gather payable lines into payouts, then send what is due."""
    services.payouts_assemble()
    return drain_payouts()


# One email per recipient, one after the other: a large roster on a slow mail server takes
# minutes. Cut short, the remaining recipients are not emailed: a time limit is not among
# MAIL_RETRY's retried errors, as a retry would email the first ones again.
@shared_task(
    name="agents.tasks.send_surge_offers", **MAIL_RETRY, soft_time_limit=4 * 60, time_limit=5 * 60
)
def send_surge_offers(surge_period_id: int) -> int:
    """Email the surge offer: workforce knows who to ask, the rate card what a surge pays.
    (Named as when it lived in agents.tasks, for messages queued before a deploy.)"""
    return surge.surge_offers_send(
        surge_period_id=surge_period_id,
        multiplier_at=lambda at: format_multiplier(ledger.surge_multiplier_pct(at=at)),
    )
