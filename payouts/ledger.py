"""The earnings ledger: what an agent earned, line by line, and the hold before it is payable.

The ledger is a list of ``EarningLine`` rows, appended to and never edited. A line is created
in the same transaction as the event that earned it (a resolve, a rating, a completed shift:
``payouts.receivers`` hears of each), so there is never a resolved ticket without its line;
``source_key`` and a partial unique constraint make a second line for the same thing
impossible. Lines wait out the hold (``PAYOUT_HOLD_HOURS``) as pending, then become payable.
A ticket's pay line waits first as unconfirmed, until the customer confirms the resolution
or the reopen window passes; a reopen reverses it with a line of its own (docs/quality.md).

Everything that moves lines out of the payable balance takes the ledger lock (a PostgreSQL
advisory lock; SQLite's write transactions are serialised already).
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from agents.models import Agent
from payouts.models import EarningLine, Payout, RateCard, RateCardEntry
from payouts.money import format_multiplier
from tickets.models import Ticket
from workforce.surge import surge_languages_at

logger = logging.getLogger(__name__)

Kind = EarningLine.Kind
LineStatus = EarningLine.Status

# Arbitrary but fixed: the key of the PostgreSQL advisory lock that guards the payable balance.
LEDGER_LOCK_ID = 7_291_604_113


class PayoutError(Exception):
    """A payout request the caller must be told about; the message is written for people."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def ledger_lock() -> None:
    """Serialise the transactions that take lines out of the payable balance."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK_ID])


def _hold_ends(earned_at: datetime) -> datetime:
    return earned_at + timedelta(hours=settings.PAYOUT_HOLD_HOURS)


def rate_card_at(at: datetime) -> RateCard | None:
    """The rate card in force at ``at``: the latest to take effect by then."""
    return RateCard.objects.filter(effective_from__lte=at).order_by("-effective_from").first()


def surge_multiplier_pct(*, at: datetime) -> int:
    """The rate card's surge multiplier in force at ``at`` (percent; 150 = 1.5×)."""
    card = rate_card_at(at)
    return card.surge_multiplier_pct if card is not None else 100


def _scaled(amount_cents: int, *multipliers_pct: int) -> int:
    # Integer arithmetic, rounding half up to the minor unit once, however many multipliers
    # (surge and tier), so the order they apply in never changes a cent.
    scale = 100 ** len(multipliers_pct)
    return (amount_cents * math.prod(multipliers_pct) + scale // 2) // scale


def tier_multiplier_pct(card: RateCard | None, tier: str | None) -> int:
    """The card's pay multiplier for an agent of quality ``tier`` (percent; 110 = 1.1×);
    100 without a card or a tier."""
    if card is None or tier is None:
        return 100
    return {
        Agent.QualityTier.PROBATION: card.probation_multiplier_pct,
        Agent.QualityTier.STANDARD: card.standard_multiplier_pct,
        Agent.QualityTier.EXPERT: card.expert_multiplier_pct,
    }.get(tier, 100)


def tier_multipliers_at(at: datetime) -> dict[str, int]:
    """Each quality tier's pay multiplier (percent) on the card in force at ``at``: what the
    agents' quality page shows beside the tier."""
    card = rate_card_at(at)
    return {tier: tier_multiplier_pct(card, tier) for tier in Agent.QualityTier.values}


def ticket_base_amount(card: RateCard, ticket: Ticket) -> int | None:
    """The card's amount for the ticket's priority: the best entry for one of its skills,
    else the entry for any skill; None when the card has neither."""
    return _base_amount(_card_entries(card, priorities={ticket.priority}), ticket)


def _card_entries(card: RateCard, *, priorities: set[int]) -> dict[tuple[int, str], int]:
    entries = RateCardEntry.objects.filter(rate_card=card, priority__in=priorities)
    return {(e.priority, e.skill): e.amount_cents for e in entries}


def _base_amount(entries: dict[tuple[int, str], int], ticket: Ticket) -> int | None:
    skilled = [
        entries[(ticket.priority, skill)]
        for skill in ticket.required_skills or []
        if skill and (ticket.priority, skill) in entries
    ]
    if skilled:
        return max(skilled)
    return entries.get((ticket.priority, ""))


@dataclass(frozen=True)
class PayQuote:
    """What handling a ticket pays: ``amount_minor`` in minor units of ``currency`` (None
    when no card is in force or it has no amount for the ticket), surge and the agent's tier
    multiplier included."""

    amount_minor: int | None
    currency: str
    card: RateCard | None
    surge: bool
    # The quality tier of the agent paid, and the card's multiplier for it (100 = 1×).
    tier: str | None = None
    tier_multiplier_pct: int = 100


def ticket_pay_quote(
    *, ticket: Ticket, at: datetime, surge_at: datetime | None, tier: str | None = None
) -> PayQuote:
    """The pay for ``ticket`` under the card in force at ``at``: the card's amount for its
    priority and skills (``ticket_base_amount``), times the card's surge multiplier if a
    surge of its language was open at ``surge_at`` (no surge when None), times the card's
    multiplier for the paid agent's quality ``tier`` (none when None). The one home of
    those rules: the pay line of a resolved ticket and the pay shown on an offer both come
    from here."""
    tiers = {ticket.pk: tier} if tier else None
    return ticket_pay_quotes(tickets=[ticket], at=at, surge_at=surge_at, tiers=tiers)[ticket.pk]


def ticket_pay_quotes(
    *,
    tickets: Sequence[Ticket],
    at: datetime,
    surge_at: datetime | None,
    tiers: Mapping[int, str] | None = None,
) -> dict[int, PayQuote]:
    """``ticket_pay_quote`` for many tickets, by ticket id, in a fixed number of queries
    (the card; then its entries and the surges open): a dispatch round quotes all its offers
    at once. ``tiers`` maps a ticket's id to the quality tier of the agent it would pay."""
    tiers = tiers or {}
    card = rate_card_at(at)
    if card is None:
        none = PayQuote(
            amount_minor=None, currency=settings.PAYOUT_CURRENCY, card=None, surge=False
        )
        return {ticket.pk: none for ticket in tickets}
    entries = _card_entries(card, priorities={ticket.priority for ticket in tickets})
    surging = (
        surge_languages_at(languages={ticket.language for ticket in tickets}, at=surge_at)
        if surge_at is not None
        else set()
    )
    quotes: dict[int, PayQuote] = {}
    for ticket in tickets:
        amount = _base_amount(entries, ticket)
        surge = amount is not None and ticket.language in surging
        tier = tiers.get(ticket.pk)
        tier_pct = tier_multiplier_pct(card, tier)
        if amount is not None:
            amount = _scaled(amount, card.surge_multiplier_pct if surge else 100, tier_pct)
        quotes[ticket.pk] = PayQuote(
            amount_minor=amount,
            currency=card.currency,
            card=card,
            surge=surge,
            tier=tier,
            tier_multiplier_pct=tier_pct,
        )
    return quotes


def ticket_pay_line_create(*, ticket: Ticket) -> EarningLine:
    """The pay line of a ticket its agent just resolved (call inside the resolve transaction).

    It is held UNCONFIRMED until the resolution is confirmed (``ticket_pay_line_release``)
    or reversed when the ticket is reopened (``ticket_pay_line_reverse``); each resolution of
    a ticket has its own line, to the agent who resolved it.

    A ticket whose card has no amount for it gets a line of zero, described as such, so the
    gap is visible to the agent and to admins (who correct it with an adjustment) instead of
    being a ticket that silently earned nothing.
    """
    earned_at = ticket.resolved_at or timezone.now()
    # The card of the resolve; the surge of the claim (a ticket taken during a surge pays it);
    # the resolving agent's tier at the resolve.
    quote = ticket_pay_quote(
        ticket=ticket, at=earned_at, surge_at=ticket.claimed_at, tier=_agent_tier(ticket)
    )
    card, amount, surge = quote.card, quote.amount_minor, quote.surge
    if amount is None:
        logger.warning("no rate for ticket %s (priority %s)", ticket.pk, ticket.priority)
        description = f"Ticket #{ticket.pk}: no rate set for this priority, an admin will review"
        amount, surge = 0, False
    else:
        description = f"Ticket #{ticket.pk} ({ticket.get_priority_display().lower()} priority)"
        if surge:
            description += f", surge ×{format_multiplier(card.surge_multiplier_pct)}"
        if quote.tier_multiplier_pct != 100:
            description += f", {quote.tier} ×{format_multiplier(quote.tier_multiplier_pct)}"
    # Numbered by resolution: the first keeps the key ticket lines always had.
    resolution = ticket.reopen_count + 1
    source_key = f"ticket:{ticket.pk}" if resolution == 1 else f"ticket:{ticket.pk}:r{resolution}"
    line, _ = EarningLine.objects.get_or_create(
        source_key=source_key,
        defaults={
            "agent_id": ticket.resolved_by_id or ticket.agent_id,
            "kind": Kind.TICKET,
            # Held until the customer confirms or the reopen window passes (docs/quality.md).
            "status": LineStatus.UNCONFIRMED,
            "resolution": resolution,
            "ticket": ticket,
            "rate_card": card,
            "surge_applied": surge,
            "amount_cents": amount,
            "currency": card.currency if card else settings.PAYOUT_CURRENCY,
            "description": description,
            "earned_at": earned_at,
            "available_at": _hold_ends(earned_at),
        },
    )
    return line


def _agent_tier(ticket: Ticket) -> str | None:
    """The quality tier of the agent who resolved the ticket: from the loaded agent, else
    one query."""
    agent_id = ticket.resolved_by_id or ticket.agent_id
    if agent_id is None:
        return None
    if agent_id == ticket.agent_id and Ticket.agent.is_cached(ticket):
        return ticket.agent.quality_tier
    return Agent.objects.filter(pk=agent_id).values_list("quality_tier", flat=True).first()


def _current_pay_line(ticket: Ticket, *, resolution: int) -> EarningLine | None:
    return (
        EarningLine.objects.select_for_update()
        .filter(ticket=ticket, kind=Kind.TICKET, resolution=resolution)
        .first()
    )


def ticket_pay_line_release(*, ticket: Ticket, now: datetime | None = None) -> int:
    """The ticket's resolution was confirmed (inside that transaction): its pay line leaves
    UNCONFIRMED for PENDING, to be payable when its hold ends, or now if that passed while
    it waited. One conditional UPDATE; a second call finds nothing to do. Returns 0 or 1."""
    now = now or timezone.now()
    return EarningLine.objects.filter(
        ticket=ticket,
        kind=Kind.TICKET,
        resolution=ticket.reopen_count + 1,
        status=LineStatus.UNCONFIRMED,
    ).update(status=LineStatus.PENDING, available_at=Greatest(F("available_at"), Value(now)))


REOPEN_REASON_TEXT = {
    "not_solved": "the customer said it was not solved",
    "wrote_again": "the customer wrote again within {hours} h",
}


def ticket_pay_line_reverse(
    *, ticket: Ticket, reason: str, now: datetime | None = None
) -> EarningLine | None:
    """The ticket was reopened (inside that transaction): the pay line of the resolution it
    reopened is reversed by a TICKET_REVERSAL line of the opposite amount, to the same agent,
    saying why. Both become PENDING with the same end of hold, so they net to zero and are
    released together; neither amount is edited. Idempotent: a reversed line is reversed
    once (its source key and the one-to-one ``reverses``). None when there is no line held.
    """
    now = now or timezone.now()
    # reopen_count was bumped by the reopen: the reopened resolution is its number.
    original = _current_pay_line(ticket, resolution=ticket.reopen_count)
    if original is None:
        return None
    if original.status != LineStatus.UNCONFIRMED:
        return EarningLine.objects.filter(reverses=original).first()
    available_at = max(original.available_at, now)
    why = REOPEN_REASON_TEXT.get(reason, "it was reopened").format(
        hours=settings.REOPEN_WINDOW_HOURS
    )
    reversal, _ = EarningLine.objects.get_or_create(
        source_key=f"reversal:{original.pk}",
        defaults={
            "agent_id": original.agent_id,
            "kind": Kind.TICKET_REVERSAL,
            "status": LineStatus.PENDING,
            "ticket": ticket,
            "reverses": original,
            "rate_card": original.rate_card,
            "amount_cents": -original.amount_cents,
            "currency": original.currency,
            "description": f"Ticket #{ticket.pk} reopened: {why}"[:200],
            "earned_at": now,
            "available_at": available_at,
        },
    )
    EarningLine.objects.filter(pk=original.pk, status=LineStatus.UNCONFIRMED).update(
        status=LineStatus.PENDING, available_at=available_at
    )
    return reversal


def top_rating_bonus_line_create(*, ticket: Ticket) -> EarningLine | None:
    """The bonus for a top (5 of 5) rating, if the card pays one. Written once the ticket
    is both rated 5 and its resolution confirmed, by whichever of the two comes second
    (inside its transaction), to the agent of the confirmed resolution: a rating given
    before a reopen pays the resolution that is finally confirmed. Its own hold starts then.
    """
    agent_id = ticket.resolved_by_id or ticket.agent_id
    if ticket.rating != 5 or agent_id is None or ticket.resolution_confirmed_at is None:
        return None
    card = rate_card_at(ticket.resolved_at or timezone.now())
    if card is None or card.top_rating_bonus_cents == 0:
        return None
    earned_at = timezone.now()
    line, _ = EarningLine.objects.get_or_create(
        source_key=f"rating-bonus:{ticket.pk}",
        defaults={
            "agent_id": agent_id,
            "kind": Kind.TOP_RATING_BONUS,
            "ticket": ticket,
            "rate_card": card,
            "amount_cents": card.top_rating_bonus_cents,
            "currency": card.currency,
            "description": f"Top rating on ticket #{ticket.pk}",
            "earned_at": earned_at,
            "available_at": _hold_ends(earned_at),
        },
    )
    return line


def shift_bonus_line_create(
    *, agent_id: int, assignment_id: int, earned_at: datetime
) -> EarningLine | None:
    """The bonus for a completed shift (inside the transaction that marks it completed)."""
    card = rate_card_at(earned_at)
    if card is None or card.shift_completion_bonus_cents == 0:
        return None
    line, _ = EarningLine.objects.get_or_create(
        source_key=f"shift:{assignment_id}",
        defaults={
            "agent_id": agent_id,
            "kind": Kind.SHIFT_BONUS,
            "rate_card": card,
            "amount_cents": card.shift_completion_bonus_cents,
            "currency": card.currency,
            "description": f"Completed shift #{assignment_id}",
            "earned_at": earned_at,
            "available_at": _hold_ends(earned_at),
        },
    )
    return line


@transaction.atomic
def adjustment_line_create(
    *, agent_id: int, amount_cents: int, description: str, created_by=None, currency: str = ""
) -> EarningLine:
    """An admin's correction: a new line, positive or negative, never an edit of a paid one.

    It waits out the hold like any other line, so a mistaken correction can be corrected
    before it is paid.
    """
    if amount_cents == 0:
        raise PayoutError("An adjustment must be a non-zero amount.", code="zero_adjustment")
    description = description.strip()
    if not description:
        raise PayoutError("Say why the adjustment is made.", code="no_description")
    now = timezone.now()
    return EarningLine.objects.create(
        agent_id=agent_id,
        kind=Kind.ADJUSTMENT,
        amount_cents=amount_cents,
        currency=(currency or settings.PAYOUT_CURRENCY).lower(),
        description=description[:200],
        source_key=f"adjustment:{uuid.uuid4().hex}",
        created_by=created_by,
        earned_at=now,
        available_at=_hold_ends(now),
    )


def release_held_lines(now: datetime, **filters) -> int:
    return EarningLine.objects.filter(
        status=LineStatus.PENDING, available_at__lte=now, **filters
    ).update(status=LineStatus.PAYABLE)


def earning_lines_release_held(*, now: datetime | None = None) -> int:
    """Make every pending line whose hold has ended payable. Returns how many."""
    with transaction.atomic():
        ledger_lock()
        return release_held_lines(now or timezone.now())


def ledger_totals(*, agent_id: int | None = None) -> dict[str, int]:
    """Sums for the ledger's balance check: lines against where their money is."""
    lines = EarningLine.objects.all()
    payouts = Payout.objects.all()
    if agent_id is not None:
        lines, payouts = lines.filter(agent_id=agent_id), payouts.filter(agent_id=agent_id)
    by_status = dict(
        lines.values("status").annotate(total=Sum("amount_cents")).values_list("status", "total")
    )
    paid = payouts.filter(status=Payout.Status.PAID).aggregate(
        total=Sum(F("amount_cents") - F("amount_reversed_cents")), count=Count("pk")
    )
    in_flight = payouts.filter(status=Payout.Status.PENDING).aggregate(total=Sum("amount_cents"))
    return {
        "lines": sum(by_status.values()),
        "unconfirmed": by_status.get(LineStatus.UNCONFIRMED, 0),
        "pending": by_status.get(LineStatus.PENDING, 0),
        "payable": by_status.get(LineStatus.PAYABLE, 0),
        "in_payout": by_status.get(LineStatus.IN_PAYOUT, 0),
        "paid_lines": by_status.get(LineStatus.PAID, 0),
        "paid_payouts": paid["total"] or 0,
        "pending_payouts": in_flight["total"] or 0,
    }
