"""The operator's cockpit in figures (docs/ops.md, "The live view"): ``live_snapshot``.

Every figure is read in a fixed number of aggregate queries (LIVE_SNAPSHOT_QUERIES), whatever
the number of tickets and agents: the queue grouped by language and skills, the online agents
with their open chats counted in the same query, and one aggregate each for offers, today's
escalations, surges and money. What is matched in Python is needs × online agents (both
bounded by the vocabulary and the staff, never by tickets).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from agents.models import Agent
from payouts.models import EarningLine, Payout
from tickets import selectors as ticket_selectors
from tickets.dispatch_ranking import can_take
from tickets.models import Ticket
from workforce.models import SurgePeriod
from workforce.selectors import HalfHourStaffing, week_staffing

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Today's average and p90 time to a person are taken over at most this many of the day's
# latest claims: one bounded read on the busiest day.
TIME_TO_PERSON_SAMPLE = 10_000
# What live_snapshot costs, asserted by tests/ops/test_selectors.py.
LIVE_SNAPSHOT_QUERIES = 10


@dataclass(frozen=True)
class NeedRow:
    """Queued tickets of one language and set of skills, and who online could take them."""

    language: str
    skills: tuple[str, ...]
    waiting: int
    oldest_wait_seconds: int | None
    agents_online: int  # online agents who can take them (can_take), away or not
    agents_available: int  # of those, available for offers
    free_slots: int  # free chat slots of the available ones

    @property
    def label(self) -> str:
        return f"{self.language} / {', '.join(self.skills) or 'no particular skill'}"


@dataclass(frozen=True)
class LanguageRow:
    language: str
    waiting: int
    oldest_wait_seconds: int | None


@dataclass(frozen=True)
class AgentCounts:
    online: int
    available: int  # online, taking offers, no chat open
    busy: int  # online, taking offers, at least one chat open
    away: int  # online but away: no offers
    free_slots: int  # free chat slots of the online agents taking offers


@dataclass(frozen=True)
class TodayFigures:
    """Today's escalations (since midnight UTC) and how they reached a person."""

    escalated: int
    reached: int  # with a person now or before (claimed_at set)
    within_target: int
    counted: int  # the service level's denominator (docs/ops.md)
    abandoned: int  # left before a person joined
    average_seconds: float | None
    p90_seconds: float | None
    ratings: int  # ratings of the tickets resolved today
    good_ratings: int  # of those, 4 or 5 stars

    @property
    def service_level(self) -> float | None:
        return self.within_target / self.counted if self.counted else None

    @property
    def abandonment(self) -> float | None:
        return self.abandoned / self.escalated if self.escalated else None

    @property
    def csat(self) -> float | None:
        return self.good_ratings / self.ratings if self.ratings else None


@dataclass(frozen=True)
class MoneyRow:
    currency: str
    count: int
    amount_minor: int  # minor units of ``currency``


@dataclass(frozen=True)
class PayoutFigures:
    pending: list[MoneyRow]  # payouts made and not yet paid
    payable: list[MoneyRow]  # earning lines past their hold, in no payout yet
    failed: int  # all time
    failed_recent: int  # failed in the last 24 hours
    last_failed_at: datetime | None


@dataclass(frozen=True)
class LiveSnapshot:
    now: datetime
    day_start: datetime
    target_seconds: int
    needs: list[NeedRow]
    languages: list[LanguageRow]
    agents: AgentCounts
    offers: dict[str, int]
    today: TodayFigures
    staffing: list[HalfHourStaffing]
    surges: list[SurgePeriod]
    payouts: PayoutFigures
    alerts: list = field(default_factory=list)  # ops.alerts.Alert, filled by the view

    @property
    def waiting(self) -> int:
        return sum(row.waiting for row in self.languages)

    @property
    def oldest_wait_seconds(self) -> int | None:
        waits = [row.oldest_wait_seconds for row in self.languages if row.oldest_wait_seconds]
        return max(waits, default=None)

    @property
    def offers_sent(self) -> int:
        return sum(self.offers.values())


def day_start_of(now: datetime) -> datetime:
    return now.astimezone(timezone.get_default_timezone()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def _wait_seconds(now: datetime, since: datetime | None) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds()))


def _nearest_rank(ordered: list[float], quantile: float) -> float:
    return ordered[max(1, math.ceil(quantile * len(ordered))) - 1]


def online_agents() -> list[tuple[list[str], list[str], int, str, int]]:
    """(languages, skills, capacity, availability, open chats) of every active online agent,
    in one query: the open chats are counted in it, not asked per agent."""
    return list(
        Agent.objects.filter(status=Agent.Status.ACTIVE, is_online=True)
        .order_by()
        .annotate(held=Count("tickets", filter=Q(tickets__status=Ticket.Status.ASSIGNED)))
        .values_list("languages", "skills", "capacity", "availability", "held")
    )


def _agent_counts(agents: list[tuple[list[str], list[str], int, str, int]]) -> AgentCounts:
    taking = [a for a in agents if a[3] == Agent.Availability.AVAILABLE]
    return AgentCounts(
        online=len(agents),
        available=sum(1 for a in taking if a[4] == 0),
        busy=sum(1 for a in taking if a[4] > 0),
        away=len(agents) - len(taking),
        free_slots=sum(max(0, a[2] - a[4]) for a in taking),
    )


def need_rows(
    now: datetime,
    needs: list[ticket_selectors.QueuedNeed],
    agents: list[tuple[list[str], list[str], int, str, int]],
) -> list[NeedRow]:
    # Every need in the queue, and each language an online agent speaks (with no particular
    # skill) so that supply shows where nobody waits yet.
    keys = {(n.language, n.skills): n for n in needs}
    for languages, *_ in agents:
        for language in languages:
            keys.setdefault((language, ()), None)
    rows = []
    for (language, skills), need in sorted(keys.items()):
        able = [
            a
            for a in agents
            if can_take(language=language, required_skills=skills, languages=a[0], skills=a[1])
        ]
        taking = [a for a in able if a[3] == Agent.Availability.AVAILABLE]
        rows.append(
            NeedRow(
                language=language,
                skills=skills,
                waiting=need.waiting if need else 0,
                oldest_wait_seconds=_wait_seconds(now, need.oldest_escalated_at) if need else None,
                agents_online=len(able),
                agents_available=len(taking),
                free_slots=sum(max(0, a[2] - a[4]) for a in taking),
            )
        )
    return rows


def language_rows(now: datetime, needs: list[ticket_selectors.QueuedNeed]) -> list[LanguageRow]:
    return [
        LanguageRow(
            language=language, waiting=waiting, oldest_wait_seconds=_wait_seconds(now, oldest)
        )
        for language, (waiting, oldest) in ticket_selectors.queue_by_language(needs).items()
    ]


def payouts_failed_since(since: datetime) -> int:
    """Payouts that failed since ``since``: one count (the alerts' in /metrics)."""
    return Payout.objects.filter(status=Payout.Status.FAILED, failed_at__gte=since).count()


def _today(now: datetime, day_start: datetime, target: timedelta) -> TodayFigures:
    escalated_today = Q(escalated_at__gte=day_start, escalated_at__lte=now)
    resolved_today = Q(resolved_at__gte=day_start, resolved_at__lte=now)
    within = Q(claimed_at__isnull=False, claimed_at__lte=F("escalated_at") + target)
    # Counted: reached a person (in time or not), or still waiting past the target, or left
    # before a person after waiting past it. Those still waiting within the target, and
    # those who left sooner, are not yet (or never) a verdict on the service.
    counted = (
        Q(claimed_at__isnull=False)
        | Q(status=Ticket.Status.QUEUED, escalated_at__lt=now - target)
        | Q(
            status=Ticket.Status.ABANDONED,
            claimed_at__isnull=True,
            abandoned_at__gt=F("escalated_at") + target,
        )
    )
    figures = Ticket.objects.filter(escalated_today | resolved_today).aggregate(
        escalated=Count("id", filter=escalated_today),
        reached=Count("id", filter=escalated_today & Q(claimed_at__isnull=False)),
        within_target=Count("id", filter=escalated_today & within),
        counted=Count("id", filter=escalated_today & counted),
        abandoned=Count(
            "id",
            filter=escalated_today & Q(status=Ticket.Status.ABANDONED, claimed_at__isnull=True),
        ),
        ratings=Count("id", filter=resolved_today & Q(rating__isnull=False)),
        good_ratings=Count("id", filter=resolved_today & Q(rating__gte=4)),
    )
    pairs = (
        Ticket.objects.filter(escalated_today, claimed_at__isnull=False)
        .order_by("-claimed_at")
        .values_list("escalated_at", "claimed_at")[:TIME_TO_PERSON_SAMPLE]
    )
    waits = sorted(max(0.0, (claimed - escalated).total_seconds()) for escalated, claimed in pairs)
    return TodayFigures(
        **figures,
        average_seconds=sum(waits) / len(waits) if waits else None,
        p90_seconds=_nearest_rank(waits, 0.9) if waits else None,
    )


def _payouts(now: datetime) -> PayoutFigures:
    """Money owed: payouts pending (made, not yet paid) and earning lines payable (past their
    hold, in no payout yet); failed payouts all time and in the last day. Two queries."""
    rows = list(
        Payout.objects.values("status", "currency")
        .annotate(
            count=Count("id"),
            amount=Sum("amount_cents"),
            recent=Count("id", filter=Q(failed_at__gte=now - DAY)),
            last_failed=Max("failed_at"),
        )
        .order_by("status", "currency")
    )
    failed = [row for row in rows if row["status"] == Payout.Status.FAILED]
    payable = (
        EarningLine.objects.filter(status=EarningLine.Status.PAYABLE)
        .values("currency")
        .annotate(count=Count("id"), amount=Sum("amount_cents"))
        .order_by("currency")
    )
    return PayoutFigures(
        pending=[
            MoneyRow(currency=row["currency"], count=row["count"], amount_minor=row["amount"])
            for row in rows
            if row["status"] == Payout.Status.PENDING
        ],
        payable=[
            MoneyRow(currency=row["currency"], count=row["count"], amount_minor=row["amount"] or 0)
            for row in payable
        ],
        failed=sum(row["count"] for row in failed),
        failed_recent=sum(row["recent"] for row in failed),
        last_failed_at=max(
            (row["last_failed"] for row in failed if row["last_failed"]), default=None
        ),
    )


def live_snapshot(*, now: datetime | None = None) -> LiveSnapshot:
    """Every figure of the live view, now, in LIVE_SNAPSHOT_QUERIES queries."""
    now = now or timezone.now()
    day_start = day_start_of(now)
    target_seconds = settings.SERVICE_LEVEL_TARGET_SECONDS
    needs = ticket_selectors.queued_needs()
    agents = online_agents()
    return LiveSnapshot(
        now=now,
        day_start=day_start,
        target_seconds=target_seconds,
        needs=need_rows(now, needs, agents),
        languages=language_rows(now, needs),
        agents=_agent_counts(agents),
        offers=ticket_selectors.offers_by_outcome(since=now - HOUR),
        today=_today(now, day_start, timedelta(seconds=target_seconds)),
        staffing=week_staffing(
            week_start=day_start, days=1, now=now, with_erlang_a=False
        ).half_hours,
        surges=list(SurgePeriod.objects.filter(ended_at__isnull=True).order_by("language")),
        payouts=_payouts(now),
    )
