"""Quality metrics by week: confirmed-resolution rate, reopen rate, CSAT and QA, overall and by
tier, topic and agent (docs/quality.md §6). Reads for the admin's metrics page and the
portal's trend.

Three GROUP BY queries, one per source, whatever the number of agents and tickets:

- resolves and reopens from the tickets' audit trail (TicketEvent): each resolve counts in
  the week it happened, for the agent who resolved; each reopen (resolved → queued with a
  reason starting "reopened:") in the week it happened, for the agent whose resolve it undid;
- confirmations and ratings from the tickets, in the week of their last resolve, for the
  agent who resolved it (``resolved_by``);
- review scores in the week they were scored, for the reviewed agent.

A rate is counted over counts, never averaged over averages: the confirmed-resolution rate is
confirmed tickets over those confirmed or reopened (as the quality score counts it: a
resolution still within its reopen window counts for neither), the reopen rate reopens over
resolves, CSAT the share of ratings that are 4 or 5 stars, QA the mean review score. The
tier is the agent's tier now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agents.models import Agent
from quality.models import Review
from tickets.models import Ticket, TicketEvent

WEEKS = 12
# What CSAT counts as satisfied: 4 or 5 stars.
SATISFIED_FROM_STARS = 4
NO_TOPIC = "(no topic)"


@dataclass
class Counts:
    """What the rates are computed from, for one group and one week (or all weeks)."""

    resolves: int = 0
    reopens: int = 0
    confirmed: int = 0
    rated: int = 0
    satisfied: int = 0
    reviews: int = 0
    qa_sum: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @staticmethod
    def _pct(part: int, whole: int) -> int | None:
        # Rounded half up, in integers: 5 of 8 is 63%, as a person would round it.
        return (200 * part + whole) // (2 * whole) if whole else None

    @property
    def confirmed_pct(self) -> int | None:
        # Of the resolutions the customer (or the window) has answered for; those still in
        # their window count for neither, as in the quality score (quality.scoring).
        return self._pct(self.confirmed, self.confirmed + self.reopens)

    @property
    def reopen_pct(self) -> int | None:
        return self._pct(self.reopens, self.resolves)

    @property
    def csat_pct(self) -> int | None:
        return self._pct(self.satisfied, self.rated)

    @property
    def qa_pct(self) -> int | None:
        return (2 * self.qa_sum + self.reviews) // (2 * self.reviews) if self.reviews else None


# Their titles are lazy: the portal's trend shows them in the agent's language (the admin's
# metrics page is English whatever the browser says, marketplace/language.py).
RATES = [
    ("confirmed_pct", _("Confirmed resolution")),
    ("reopen_pct", _("Reopened")),
    ("csat_pct", _("CSAT")),
    ("qa_pct", _("QA")),
]


@dataclass
class Series:
    """One group's counts for each of the weeks, oldest first, and over all of them."""

    key: str
    label: str
    weeks: list[Counts]
    total: Counts = field(default_factory=Counts)
    agent_id: int | None = None

    def rate(self, name: str) -> list[int | None]:
        return [getattr(week, name) for week in self.weeks]


@dataclass
class QualityReport:
    week_starts: list[date]
    overall: Series
    by_tier: list[Series]
    by_topic: list[Series]
    by_agent: list[Series]


def week_starts(*, weeks: int = WEEKS, now: datetime | None = None) -> list[date]:
    """The Mondays (UTC) of the last ``weeks`` weeks, this one last."""
    today = (now or timezone.now()).astimezone(timezone.get_current_timezone()).date()
    this_week = today - timedelta(days=today.weekday())
    return [this_week - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]


@dataclass(frozen=True)
class _Row:
    week: date
    agent_id: int
    tier: str
    topic: str
    name: str
    counts: Counts


def _week(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _name(first_name: str, email: str) -> str:
    return first_name or email.split("@")[0]


def _since(starts: list[date]) -> datetime:
    return datetime.combine(starts[0], datetime.min.time(), tzinfo=timezone.get_current_timezone())


def _rows(*, starts: list[date], agent_id: int | None = None) -> Iterable[_Row]:
    """The three GROUP BY queries: one row per week, agent and topic in each."""
    since = _since(starts)
    reopen = Q(
        from_status=Ticket.Status.RESOLVED,
        to_status=Ticket.Status.QUEUED,
        reason__startswith=TicketEvent.REOPEN_REASON_PREFIX,
    )
    resolve = Q(to_status=Ticket.Status.RESOLVED)
    events = TicketEvent.objects.filter(
        resolve | reopen, created_at__gte=since, agent__isnull=False
    )
    tickets = Ticket.objects.filter(
        status=Ticket.Status.RESOLVED, resolved_at__gte=since, resolved_by__isnull=False
    )
    reviews = Review.objects.filter(score_pct__isnull=False, scored_at__gte=since)
    if agent_id is not None:
        events = events.filter(agent_id=agent_id)
        tickets = tickets.filter(resolved_by_id=agent_id)
        reviews = reviews.filter(agent_id=agent_id)

    def grouped(queryset, *, when: str, agent: str, topic: str, **aggregates):
        return (
            queryset.annotate(week=TruncWeek(when))
            .values(
                "week",
                agent_key := f"{agent}_id",
                tier_key := f"{agent}__quality_tier",
                topic,
                first_key := f"{agent}__user__first_name",
                email_key := f"{agent}__user__email",
            )
            .annotate(**aggregates)
            .order_by()
        ), (agent_key, tier_key, topic, first_key, email_key)

    sources = [
        grouped(
            events,
            when="created_at",
            agent="agent",
            topic="ticket__topic",
            resolves=Count("id", filter=resolve),
            reopens=Count("id", filter=reopen),
        ),
        grouped(
            tickets,
            when="resolved_at",
            agent="resolved_by",
            topic="topic",
            confirmed=Count("id", filter=Q(resolution_confirmed_at__isnull=False)),
            rated=Count("rating"),
            satisfied=Count("id", filter=Q(rating__gte=SATISFIED_FROM_STARS)),
        ),
        grouped(
            reviews,
            when="scored_at",
            agent="agent",
            topic="ticket__topic",
            reviews=Count("id"),
            qa_sum=Sum("score_pct"),
        ),
    ]
    count_names = set(Counts.__dataclass_fields__)
    for queryset, (agent_key, tier_key, topic_key, first_key, email_key) in sources:
        for row in queryset:
            yield _Row(
                week=_week(row["week"]),
                agent_id=row[agent_key],
                tier=row[tier_key],
                topic=row[topic_key] or NO_TOPIC,
                name=_name(row[first_key], row[email_key]),
                counts=Counts(**{k: v or 0 for k, v in row.items() if k in count_names}),
            )


class _Groups:
    def __init__(self, starts: list[date]) -> None:
        self.index = {start: k for k, start in enumerate(starts)}
        self.series: dict[str, Series] = {}

    def add(self, key: str, label: str, row: _Row, *, agent_id: int | None = None) -> None:
        k = self.index.get(row.week)
        if k is None:
            return  # a week outside the range (time zones at the edge)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series(
                key=key,
                label=label,
                weeks=[Counts() for _ in self.index],
                agent_id=agent_id,
            )
        series.weeks[k].add(row.counts)
        series.total.add(row.counts)


def quality_metrics(*, weeks: int = WEEKS, now: datetime | None = None) -> QualityReport:
    """The last ``weeks`` weeks of quality, overall and by tier, topic and agent."""
    starts = week_starts(weeks=weeks, now=now)
    overall, tiers, topics, agents = (_Groups(starts) for _ in range(4))
    for row in _rows(starts=starts):
        overall.add("all", "All agents", row)
        tiers.add(row.tier, Agent.QualityTier(row.tier).label, row)
        topics.add(row.topic, row.topic, row)
        agents.add(str(row.agent_id), row.name, row, agent_id=row.agent_id)
    tier_order = list(Agent.QualityTier.values)
    return QualityReport(
        week_starts=starts,
        overall=overall.series.get("all") or _empty("all", "All agents", starts),
        by_tier=sorted(tiers.series.values(), key=lambda s: tier_order.index(s.key)),
        by_topic=sorted(topics.series.values(), key=lambda s: (-s.total.resolves, s.label)),
        by_agent=sorted(agents.series.values(), key=lambda s: (s.label.lower(), s.agent_id)),
    )


def agent_quality_trend(
    *, agent_id: int, weeks: int = WEEKS, now: datetime | None = None
) -> Series:
    """One agent's own four rates by week, for the portal (three queries)."""
    starts = week_starts(weeks=weeks, now=now)
    groups = _Groups(starts)
    label = gettext("You")
    for row in _rows(starts=starts, agent_id=agent_id):
        groups.add("agent", label, row, agent_id=agent_id)
    return groups.series.get("agent") or _empty("agent", label, starts, agent_id=agent_id)


def _empty(key: str, label: str, starts: list[date], *, agent_id: int | None = None) -> Series:
    return Series(key=key, label=label, weeks=[Counts() for _ in starts], agent_id=agent_id)
