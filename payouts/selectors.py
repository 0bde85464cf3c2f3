"""Reads of the earnings ledger for the agent's earnings page, each a fixed number of queries
whatever the number of lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from agents.models import Agent
from payouts.models import BankPayout, EarningLine, Payout

S = EarningLine.Status


@dataclass(frozen=True)
class EarningsTotals:
    currency: str
    # Ticket pay awaiting the customer's confirmation (docs/quality.md): not yet earned.
    unconfirmed: int
    pending: int
    payable: int
    in_payout: int
    paid: int

    @property
    def earned(self) -> int:
        return self.pending + self.payable + self.in_payout + self.paid


def earnings_totals(*, agent: Agent) -> list[EarningsTotals]:
    """The agent's balance by status, one row per currency they earned in."""
    rows = (
        EarningLine.objects.filter(agent=agent)
        .values("currency")
        .annotate(
            unconfirmed=Sum("amount_cents", filter=Q(status=S.UNCONFIRMED), default=0),
            pending=Sum("amount_cents", filter=Q(status=S.PENDING), default=0),
            payable=Sum("amount_cents", filter=Q(status=S.PAYABLE), default=0),
            in_payout=Sum("amount_cents", filter=Q(status=S.IN_PAYOUT), default=0),
            paid=Sum("amount_cents", filter=Q(status=S.PAID), default=0),
        )
        .order_by("currency")
    )
    return [EarningsTotals(**row) for row in rows]


def earning_lines(*, agent: Agent):
    """The agent's ledger, newest first, with what each line needs to be shown."""
    return (
        EarningLine.objects.filter(agent=agent)
        .select_related("ticket", "payout")
        .only(
            "kind",
            "status",
            "amount_cents",
            "currency",
            "description",
            "earned_at",
            "available_at",
            "paid_at",
            "ticket__id",
            "ticket__topic",
            "reverses_id",
            "payout__id",
            "payout__kind",
        )
        .order_by("-earned_at", "-id")
    )


def weekly_earnings(
    *, agent: Agent, currency: str, weeks: int = 8, now: datetime | None = None
) -> list[tuple[date, int]]:
    """What the agent earned in each of the last ``weeks`` weeks (Monday starts), oldest
    first, with empty weeks as zero; pay awaiting the customer's confirmation is not yet
    earned."""
    now = now or timezone.now()
    this_monday = (now - timedelta(days=now.weekday())).date()
    first_monday = this_monday - timedelta(weeks=weeks - 1)
    totals = dict(
        EarningLine.objects.filter(
            agent=agent, currency=currency, earned_at__date__gte=first_monday
        )
        .exclude(status=S.UNCONFIRMED)
        .annotate(week=TruncWeek("earned_at"))
        .values("week")
        .annotate(total=Sum("amount_cents"))
        .values_list("week", "total")
    )
    by_date = {_as_date(week): total for week, total in totals.items()}
    return [
        (monday, by_date.get(monday, 0))
        for monday in (first_monday + timedelta(weeks=n) for n in range(weeks))
    ]


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def recent_payouts(*, agent: Agent, limit: int = 10) -> list[Payout]:
    return list(Payout.objects.filter(agent=agent).order_by("-created_at", "-id")[:limit])


def recent_bank_payouts(*, agent: Agent, limit: int = 5) -> list[BankPayout]:
    return list(BankPayout.objects.filter(agent=agent).order_by("-arrival_date", "-id")[:limit])
