"""Payouts listens: what other apps announce that earns an agent money, or asks for it.

Nobody calls payouts; the apps below it announce what happened (``tickets.signals``,
``workforce.signals``) inside the transaction of the change, and the receivers here write
the ledger line in that same transaction, so the change and its line commit together or
not at all. Connected in ``PayoutsConfig.ready``.
"""

from django.dispatch import receiver

from agents.models import Agent
from core.jobs import enqueue_on_commit
from payouts import ledger
from tickets import dispatch
from tickets.models import Offer
from tickets.signals import (
    offers_made,
    resolution_confirmed,
    ticket_rated,
    ticket_reopened,
    ticket_resolved,
)
from workforce.signals import shift_completed, surge_started


@receiver(ticket_resolved, dispatch_uid="payouts.ticket_pay_line")
def write_ticket_pay_line(sender, *, ticket, **kwargs) -> None:
    ledger.ticket_pay_line_create(ticket=ticket)


@receiver(resolution_confirmed, dispatch_uid="payouts.ticket_pay_line_release")
def release_ticket_pay_line(sender, *, ticket, **kwargs) -> None:
    ledger.ticket_pay_line_release(ticket=ticket)
    # A top rating given before the confirmation is paid now (ledger.top_rating_bonus_line_create).
    ledger.top_rating_bonus_line_create(ticket=ticket)


@receiver(ticket_reopened, dispatch_uid="payouts.ticket_pay_line_reverse")
def reverse_ticket_pay_line(sender, *, ticket, reason, **kwargs) -> None:
    ledger.ticket_pay_line_reverse(ticket=ticket, reason=reason)


@receiver(offers_made, dispatch_uid="payouts.offer_pay_quote")
def quote_offer_pay(sender, *, offers, **kwargs) -> None:
    """What each new offer pays, as its pay line would if the agent accepted now: the card
    in force, the surge open when the offer is made and the offered agent's tier multiplier
    (ledger.ticket_pay_quote). Recorded on the offers in the round's transaction; offers with
    no rate show no pay."""
    if not offers:
        return
    at = offers[0].sent_at  # one round, one time
    quotes = ledger.ticket_pay_quotes(
        tickets=[offer.ticket for offer in offers],
        at=at,
        surge_at=at,
        tiers=_offered_tiers(offers),
    )
    pay = {
        offer.pk: (quote.amount_minor, quote.currency)
        for offer in offers
        if (quote := quotes[offer.ticket_id]).amount_minor is not None
    }
    dispatch.offers_pay_record(offers=offers, pay=pay)


def _offered_tiers(offers) -> dict[int, str]:
    """Each offered agent's quality tier, by ticket: from the agent rows the round loaded
    (no query), else in one query."""
    if all(Offer.agent.is_cached(offer) for offer in offers):
        return {offer.ticket_id: offer.agent.quality_tier for offer in offers}
    tiers = dict(
        Agent.objects.filter(pk__in={offer.agent_id for offer in offers}).values_list(
            "id", "quality_tier"
        )
    )
    return {offer.ticket_id: tiers[offer.agent_id] for offer in offers}


@receiver(ticket_rated, dispatch_uid="payouts.top_rating_bonus")
def write_top_rating_bonus_line(sender, *, ticket, **kwargs) -> None:
    ledger.top_rating_bonus_line_create(ticket=ticket)


@receiver(shift_completed, dispatch_uid="payouts.shift_bonus")
def write_shift_bonus_line(sender, *, agent_id, assignment_id, ended_at, **kwargs) -> None:
    ledger.shift_bonus_line_create(
        agent_id=agent_id, assignment_id=assignment_id, earned_at=ended_at
    )


@receiver(surge_started, dispatch_uid="payouts.surge_offers")
def email_surge_offers(sender, *, surge_period_id, **kwargs) -> None:
    enqueue_on_commit("agents.tasks.send_surge_offers", surge_period_id)
