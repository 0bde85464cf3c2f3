"""Reads of tickets and messages that more than one edge uses."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from agents.models import Agent
from tickets.dispatch_ranking import can_take
from tickets.models import AnswerFeedback, KnowledgeArticle, Message, Offer, Ticket, TicketNote
from tickets.signals import help_expected

QUEUE_SNAPSHOT_LIMIT = 200
DEFAULT_HANDLE_SECONDS = 300


def agent_is_eligible(*, agent: Agent, ticket: Ticket) -> bool:
    return can_take(
        language=ticket.language,
        required_skills=ticket.required_skills,
        languages=agent.languages,
        skills=agent.skills,
    )


def queue_for_agent(*, agent: Agent) -> list[Ticket]:
    """Queued tickets this agent could claim, in queue order: one query.

    Language is filtered by the index; skills in Python, since JSON containment is not
    portable to SQLite and the list is already bounded.
    """
    candidates = (
        Ticket.objects.filter(status=Ticket.Status.QUEUED, language__in=agent.languages)
        .order_by("-priority", "escalated_at", "id")
        .only(*SUMMARY_FIELDS)[:QUEUE_SNAPSHOT_LIMIT]
    )
    skills = set(agent.skills)
    return [ticket for ticket in candidates if set(ticket.required_skills) <= skills]


def queued_beyond_skills(*, languages: list[str], skills: list[str]) -> list[dict[str, Any]]:
    """How many queued tickets in ``languages`` an agent with ``skills`` cannot take for want
    of a skill, by the skills it lacks, most waiting first: ``[{"skills": [...], "waiting":
    n}]``. Counts and skill codes only, nothing of the tickets themselves. One grouped query
    (ticket_queue_idx), grouped again in Python by what is missing."""
    rows = (
        Ticket.objects.filter(status=Ticket.Status.QUEUED, language__in=languages)
        .order_by()
        .values_list("language", "required_skills")
        .annotate(waiting=Count("pk"))
    )
    lacking: dict[tuple[str, ...], int] = {}
    for language, required, waiting in rows:
        if can_take(
            language=language, required_skills=required, languages=languages, skills=skills
        ):
            continue
        missing = tuple(sorted(set(required) - set(skills)))
        lacking[missing] = lacking.get(missing, 0) + waiting
    return [
        {"skills": list(missing), "waiting": waiting}
        for missing, waiting in sorted(lacking.items(), key=lambda item: (-item[1], item[0]))
    ]


SUMMARY_FIELDS = (
    "id",
    "status",
    "topic",
    "language",
    "priority",
    "escalation_reason",
    "required_skills",
    "summary",
    "customer_name",
    "escalated_at",
    "created_at",
    "reply_email_requested_at",  # the summary's reply_by_email, not the address
    "reopen_count",  # with resolved_by, the agent a reopened ticket is offered first
    "resolved_by_id",
)


def tickets_held_by(*, agent_id: int) -> list[Ticket]:
    return list(
        Ticket.objects.filter(agent_id=agent_id, status=Ticket.Status.ASSIGNED)
        .order_by("claimed_at", "id")
        .only(*SUMMARY_FIELDS, "agent_id", "last_seq")
    )


def messages_after(*, ticket_id: int, after_seq: int, limit: int = 1000) -> list[Message]:
    return list(
        Message.objects.filter(ticket_id=ticket_id, seq__gt=after_seq)
        .select_related("agent__user")
        .order_by("seq")[:limit]
    )


def messages_for_customer_after(
    *, ticket_id: int, after_seq: int, limit: int = 1000
) -> list[Message]:
    """The customer's transcript after a seq: each message with its agent, the article an
    answer came from (title only) and the customer's verdict on it (``feedback_verdict``,
    None if not given), in the one query."""
    return list(
        Message.objects.filter(ticket_id=ticket_id, seq__gt=after_seq)
        .select_related("agent__user", "article")
        .defer("article__body", "article__keywords", "article__example_questions")
        .annotate(feedback_verdict=F("feedback__verdict"))
        .order_by("seq")[:limit]
    )


def notes_by_ticket(*, ticket_ids: list[int]) -> dict[int, list[TicketNote]]:
    """The private notes of some tickets, oldest first, in one query (none for no ids)."""
    notes: dict[int, list[TicketNote]] = {ticket_id: [] for ticket_id in ticket_ids}
    if not ticket_ids:
        return notes
    for note in (
        TicketNote.objects.filter(ticket_id__in=ticket_ids)
        .select_related("agent__user")
        .order_by("created_at", "id")
    ):
        notes[note.ticket_id].append(note)
    return notes


def queue_positions(*, language: str) -> list[tuple[int, int]]:
    """(ticket id, 1-based position) for the queued tickets of one language, in one query."""
    ids = Ticket.objects.filter(status=Ticket.Status.QUEUED, language=language).order_by(
        "-priority", "escalated_at", "id"
    )
    return [(ticket_id, i) for i, ticket_id in enumerate(ids.values_list("id", flat=True), 1)]


@dataclass(frozen=True)
class QueuePlace:
    """A queued ticket's place, with what its wait estimate and status depend on."""

    ticket_id: int
    position: int  # 1-based, in the language's queue order
    required_skills: tuple[str, ...]
    email_reply: bool  # the customer asked to be answered by email


def queue_places(*, language: str) -> list[QueuePlace]:
    """Every queued ticket of one language in queue order, in one query (ticket_queue_idx)."""
    rows = (
        Ticket.objects.filter(status=Ticket.Status.QUEUED, language=language)
        .order_by("-priority", "escalated_at", "id")
        .values_list("id", "required_skills", "reply_email_requested_at")
    )
    return [
        QueuePlace(
            ticket_id=ticket_id,
            position=position,
            required_skills=tuple(sorted(skills)),
            email_reply=requested_at is not None,
        )
        for position, (ticket_id, skills, requested_at) in enumerate(rows, 1)
    ]


def tickets_being_offered(*, ticket_ids: list[int]) -> set[int]:
    """Those of ``ticket_ids`` with an offer out to an agent right now, in one query."""
    return set(
        Offer.objects.filter(ticket_id__in=ticket_ids, outcome=Offer.Outcome.PENDING)
        .order_by()
        .values_list("ticket_id", flat=True)
    )


def queue_position(*, ticket: Ticket) -> int:
    ahead = Ticket.objects.filter(status=Ticket.Status.QUEUED, language=ticket.language).filter(
        Q(priority__gt=ticket.priority)
        | Q(priority=ticket.priority, escalated_at__lt=ticket.escalated_at)
        | Q(priority=ticket.priority, escalated_at=ticket.escalated_at, id__lt=ticket.pk)
    )
    return ahead.count() + 1


def average_handle_seconds() -> int:
    """Mean claim-to-resolve time of the last resolved tickets, cached for a minute."""
    cached = cache.get("tickets:avg-handle-seconds")
    if cached is not None:
        return cached
    recent = list(
        Ticket.objects.filter(status=Ticket.Status.RESOLVED, claimed_at__isnull=False)
        .order_by("-resolved_at")
        .values_list("claimed_at", "resolved_at")[:200]
    )
    if recent:
        seconds = int(sum((r - c).total_seconds() for c, r in recent) / len(recent))
    else:
        seconds = DEFAULT_HANDLE_SECONDS
    cache.set("tickets:avg-handle-seconds", seconds, 60)
    return seconds


# The customer's wait, from the dispatcher's view (docs/dispatch.md, "What a customer is
# told"). Every escalation and every 5-second broadcast asks it, so what it reads is cached
# for a second per language and skills: an estimate a second old is as good.
DISPATCH_VIEW_CACHE_SECONDS = 1
# How far back the service rate and the time to take a ticket are measured.
SERVICE_RATE_WINDOW = timedelta(minutes=5)
# The measured rate counts once this many tickets were taken over at least this long; before
# that it says too little (two claims a second apart are not a rate of one a second).
RATE_MIN_SERVED, RATE_MIN_SECONDS = 5, 30
# How many of the latest takes the time to take a ticket is the median of.
TAKE_SAMPLE = 200
# The time from escalation to an agent taking a ticket, before any was measured.
DEFAULT_TAKE_SECONDS = 10


def online_agent_profiles() -> list[tuple[int, list[str], list[str], int]]:
    """(id, languages, skills, capacity) of the agents who may be offered work now: active,
    online and available (not away). One query; who among them can take a ticket is
    ``can_take``'s to say."""
    return list(
        Agent.objects.filter(
            status=Agent.Status.ACTIVE,
            is_online=True,
            availability=Agent.Availability.AVAILABLE,
        )
        .order_by()
        .values_list("id", "languages", "skills", "capacity")
    )


@dataclass(frozen=True)
class WaitEstimate:
    """What a queued customer is told of its wait (docs/protocol.md, ``status``)."""

    seconds: int | None  # None: nobody can honestly say yet
    agent_online: bool  # someone who can take the ticket is online now

    def status_fields(self) -> dict[str, Any]:
        """The fields of the customer's ``status`` frame: ``eta_seconds`` only when known,
        ``no_agent_online`` only when true."""
        return {
            "eta_seconds": self.seconds,
            "no_agent_online": None if self.agent_online else True,
        }


@dataclass(frozen=True)
class DispatchView:
    """What the dispatcher sees of the supply for one language and set of skills, for the
    waits it promises. Only the agents who can take such a ticket count (``can_take``)."""

    capacity: int  # chat slots of the online, available agents who can take it
    free: int  # how many of those slots are free
    served_in_window: int  # tickets of the language agents took in SERVICE_RATE_WINDOW
    served_over_seconds: float  # from the first of those takes to now
    take_seconds: int  # median escalation-to-take of the latest takes
    handle_seconds: int  # average handle time (claim to resolve)
    # Without anyone who can take it online: when the first such agent is expected (a booked
    # shift's start, from the apps that plan shifts), or None if nobody knows.
    next_help_at: datetime | None = None

    def service_rate(self) -> float:
        """Tickets a second that the agents take: the measured rate, floored by the
        qualified agents' whole capacity turning over once per average handle time (a quiet
        hour measures few services, yet agents are free to serve more). Zero without anyone
        to serve."""
        if not self.capacity:
            return 0.0
        measured = 0.0
        if self.served_in_window >= RATE_MIN_SERVED and self.served_over_seconds >= (
            RATE_MIN_SECONDS
        ):
            measured = self.served_in_window / self.served_over_seconds
        turnover = self.capacity / self.handle_seconds if self.handle_seconds else 0.0
        return max(measured, turnover)

    def eta_seconds(self, position: int, *, now: datetime | None = None) -> int | None:
        """The wait of the ticket at ``position`` (1-based) in the language's queue: the
        tickets ahead that the free slots cannot take at once wait for the service rate.

        None when nobody who can take it is online and no arrival is expected: the rate of
        other agents says nothing about this ticket (issue #19: "under a minute" was told
        while nobody with the skill was online). With an arrival expected, the time until
        then and a handle time for each place ahead: one agent's honest worst case."""
        if not self.capacity:
            if self.next_help_at is None:
                return None
            until = (self.next_help_at - (now or timezone.now())).total_seconds()
            return max(0, math.ceil(until)) + self.handle_seconds * (position - 1)
        if position <= self.free:
            return self.take_seconds
        rate = self.service_rate()
        return self.take_seconds + math.ceil((position - self.free) / rate)

    def estimate(self, position: int, *, now: datetime | None = None) -> WaitEstimate:
        return WaitEstimate(
            seconds=self.eta_seconds(position, now=now), agent_online=self.capacity > 0
        )


def _dispatch_view_key(language: str, skills: frozenset[str]) -> str:
    return f"tickets:dispatch-view:{language}:{','.join(sorted(skills))}"


def next_help_expected(*, language: str, skills: Iterable[str], now: datetime) -> datetime | None:
    """When an agent who can take a ticket of ``language`` needing ``skills`` is expected
    online, as the apps that plan shifts answer ``help_expected``; None if none can say."""
    answers = help_expected.send(
        sender=Ticket, language=language, skills=frozenset(skills), now=now
    )
    expected = [answer for _, answer in answers if isinstance(answer, datetime)]
    return min(expected, default=None)


def dispatch_view(
    *, language: str, skills: Iterable[str] = (), now: datetime | None = None
) -> DispatchView:
    """The dispatcher's view for tickets of ``language`` needing ``skills``, in five queries
    (cached for a second), and a look at the shifts when nobody who can take them is online.
    """
    needs = frozenset(skills)
    key = _dispatch_view_key(language, needs)
    cached = cache.get(key)
    if cached is not None:
        return DispatchView(*cached)
    now = now or timezone.now()
    qualified = {
        agent_id: capacity
        for agent_id, languages, agent_skills, capacity in online_agent_profiles()
        if can_take(
            language=language, required_skills=needs, languages=languages, skills=agent_skills
        )
    }
    capacity = sum(qualified.values())
    held = Ticket.objects.filter(status=Ticket.Status.ASSIGNED, agent_id__in=qualified).count()
    taken = Ticket.objects.filter(
        language=language, claimed_at__gte=now - SERVICE_RATE_WINDOW, escalated_at__isnull=False
    )
    served = taken.aggregate(count=Count("id"), first=Min("claimed_at"))
    takes = sorted(
        (claimed - escalated).total_seconds()
        for claimed, escalated in taken.order_by("-claimed_at").values_list(
            "claimed_at", "escalated_at"
        )[:TAKE_SAMPLE]
    )
    view = DispatchView(
        capacity=capacity,
        free=max(0, capacity - held),
        served_in_window=served["count"],
        served_over_seconds=(now - served["first"]).total_seconds() if served["first"] else 0.0,
        take_seconds=max(1, round(takes[len(takes) // 2])) if takes else DEFAULT_TAKE_SECONDS,
        handle_seconds=average_handle_seconds(),
        next_help_at=None
        if capacity
        else next_help_expected(language=language, skills=needs, now=now),
    )
    cache.set(key, astuple(view), DISPATCH_VIEW_CACHE_SECONDS)
    return view


def wait_estimator(*, language: str, skills: Iterable[str] = ()) -> Callable[[int], WaitEstimate]:
    """Estimate waits by queue position for tickets of one language needing ``skills``
    (see DispatchView.eta_seconds)."""
    return dispatch_view(language=language, skills=skills).estimate


@dataclass(frozen=True)
class AgentPerformance:
    # Confirmed resolutions only (docs/quality.md); the rest await the customer's answer.
    tickets_resolved: int
    awaiting_confirmation: int
    ratings: int
    average_rating: float | None
    satisfied_share: float | None  # share of ratings of 4 or 5: customer satisfaction
    reliability_pct: int


def agent_performance(*, agent: Agent) -> AgentPerformance:
    """Everything the profile shows, in one aggregate query."""
    totals = Ticket.objects.filter(agent=agent, status=Ticket.Status.RESOLVED).aggregate(
        resolved=Count("id", filter=Q(resolution_confirmed_at__isnull=False)),
        awaiting=Count("id", filter=Q(resolution_confirmed_at__isnull=True)),
        ratings=Count("rating"),
        average=Avg("rating"),
        satisfied=Count("id", filter=Q(rating__gte=4)),
    )
    ratings = totals["ratings"]
    return AgentPerformance(
        tickets_resolved=totals["resolved"],
        awaiting_confirmation=totals["awaiting"],
        ratings=ratings,
        average_rating=round(totals["average"], 2) if totals["average"] is not None else None,
        satisfied_share=(totals["satisfied"] / ratings) if ratings else None,
        reliability_pct=agent.reliability_pct,
    )


# The dispatcher's tie-breakers (tickets.dispatch_ranking), read for every free agent in every
# round: cached per agent for a minute, so that a round aggregates offers and ratings once a
# minute at most rather than each time. A rate a minute old breaks a tie as well.
STANDING_CACHE_SECONDS = 60
ACCEPTANCE_WINDOW = timedelta(days=7)
RATING_WINDOW = timedelta(days=30)


# What an acceptance rate counts: the offers an agent accepted, declined or let run out.
# Withdrawn offers were not the agent's to answer, and pending ones are not decided yet.
ANSWERED_OUTCOMES = (Offer.Outcome.ACCEPTED, Offer.Outcome.DECLINED, Offer.Outcome.EXPIRED)
_ACCEPTED = Count("id", filter=Q(outcome=Offer.Outcome.ACCEPTED))


def _answered_offers(*, since: datetime) -> QuerySet[Offer]:
    """The offers an acceptance rate counts, made since ``since``: every rate (the ranking's,
    the profile's, the admin's) starts here (offer_agent_recent_idx)."""
    return Offer.objects.filter(sent_at__gte=since, outcome__in=ANSWERED_OUTCOMES)


@dataclass(frozen=True)
class AgentStanding:
    # Accepted / (accepted + declined + expired) offers of the last ACCEPTANCE_WINDOW:
    # withdrawn ones were not the agent's to answer. None without any.
    acceptance_rate: float | None
    # Average rating of the tickets it resolved in the last RATING_WINDOW; None without any.
    rating: float | None


def _standing_key(agent_id: int) -> str:
    return f"tickets:agent-standing:{agent_id}"


def agent_standings(*, agent_ids: list[int], now: datetime) -> dict[int, AgentStanding]:
    """Each agent's acceptance rate and rating: one cache read, and for the agents not
    cached two grouped queries (offer_agent_recent_idx, ticket_agent_status_idx)."""
    if not agent_ids:
        return {}
    cached = cache.get_many([_standing_key(agent_id) for agent_id in agent_ids])
    standings = {
        agent_id: AgentStanding(*cached[_standing_key(agent_id)])
        for agent_id in agent_ids
        if _standing_key(agent_id) in cached
    }
    missing = [agent_id for agent_id in agent_ids if agent_id not in standings]
    if not missing:
        return standings
    answered = (
        _answered_offers(since=now - ACCEPTANCE_WINDOW)
        .filter(agent_id__in=missing)
        .order_by()
        .values("agent_id")
        .annotate(offers=Count("id"), accepted=_ACCEPTED)
    )
    rates = {row["agent_id"]: row["accepted"] / row["offers"] for row in answered}
    ratings = dict(
        Ticket.objects.filter(
            agent_id__in=missing,
            status=Ticket.Status.RESOLVED,
            rating__isnull=False,
            resolved_at__gte=now - RATING_WINDOW,
        )
        .order_by()
        .values("agent_id")
        .annotate(average=Avg("rating"))
        .values_list("agent_id", "average")
    )
    fresh = {
        agent_id: AgentStanding(
            acceptance_rate=rates.get(agent_id),
            rating=float(ratings[agent_id]) if agent_id in ratings else None,
        )
        for agent_id in missing
    }
    cache.set_many(
        {
            _standing_key(agent_id): (standing.acceptance_rate, standing.rating)
            for agent_id, standing in fresh.items()
        },
        STANDING_CACHE_SECONDS,
    )
    return standings | fresh


@dataclass(frozen=True)
class OfferAcceptance:
    """An agent's offers of the last ACCEPTANCE_WINDOW that it accepted, declined or let run
    out (``offers``), and how many of them it accepted."""

    offers: int
    accepted: int

    @property
    def rate(self) -> float | None:
        return self.accepted / self.offers if self.offers else None

    @property
    def percent(self) -> int | None:
        """The rate in whole percent, rounded half up, in integers."""
        return (self.accepted * 200 + self.offers) // (2 * self.offers) if self.offers else None


def agent_offer_acceptance(*, agent_id: int, now: datetime) -> OfferAcceptance:
    """The agent's acceptance rate as the ranking counts it, but exact: one aggregate query,
    not agent_standings' minute-old cache (the profile shows the agent its own record)."""
    totals = (
        _answered_offers(since=now - ACCEPTANCE_WINDOW)
        .filter(agent_id=agent_id)
        .aggregate(offers=Count("id"), accepted=_ACCEPTED)
    )
    return OfferAcceptance(offers=totals["offers"], accepted=totals["accepted"])


def agents_with_offer_record(agents: QuerySet[Agent], *, now: datetime) -> QuerySet[Agent]:
    """``agents`` annotated with their offers of the last ACCEPTANCE_WINDOW: ``offers_accepted``,
    ``offers_declined``, ``offers_expired`` and ``offer_acceptance`` (accepted ÷ those three,
    NULL without any), for the admin's list of agents.

    Correlated subqueries rather than a join and GROUP BY: the list stays one query, each
    count reads only the agent's recent offers (offer_agent_recent_idx) for the rows of the
    page, and the other annotations and filters of the admin are not multiplied by a join.
    """
    recent = _answered_offers(since=now - ACCEPTANCE_WINDOW).filter(agent=OuterRef("pk"))

    def per_agent(offers: QuerySet[Offer], **aggregate) -> Subquery:
        (name,) = aggregate
        return Subquery(
            offers.order_by().values("agent").annotate(**aggregate).values(name),
            output_field=aggregate[name].output_field,
        )

    def counted(outcome: str) -> Coalesce:
        return Coalesce(
            per_agent(recent.filter(outcome=outcome), n=Count("id")),
            Value(0),
            output_field=IntegerField(),
        )

    return agents.annotate(
        offers_accepted=counted(Offer.Outcome.ACCEPTED),
        offers_declined=counted(Offer.Outcome.DECLINED),
        offers_expired=counted(Offer.Outcome.EXPIRED),
        offer_acceptance=per_agent(
            recent, rate=Cast(_ACCEPTED, FloatField()) / Cast(Count("id"), FloatField())
        ),
    )


@dataclass(frozen=True)
class DeclineReasonCount:
    reason: str  # the reason's label
    recent: int  # in the last ACCEPTANCE_WINDOW
    total: int


def agent_declines_by_reason(*, agent_id: int, now: datetime) -> list[DeclineReasonCount]:
    """The agent's declined offers by reason, recent and all told, most declined first: one
    grouped query (offer_agent_recent_idx)."""
    rows = (
        Offer.objects.filter(agent_id=agent_id, outcome=Offer.Outcome.DECLINED)
        .order_by()
        .values("decline_reason")
        .annotate(
            recent=Count("id", filter=Q(sent_at__gte=now - ACCEPTANCE_WINDOW)), total=Count("id")
        )
    )
    labels = dict(Offer.DeclineReason.choices)
    counts = [
        DeclineReasonCount(
            reason=labels.get(row["decline_reason"], row["decline_reason"]),
            recent=row["recent"],
            total=row["total"],
        )
        for row in rows
    ]
    return sorted(counts, key=lambda count: (-count.recent, -count.total, count.reason))


# --- Answer feedback ---------------------------------------------------------------------

# How many of an article's latest "Talk to a person" questions its admin page lists.
ARTICLE_PERSON_QUESTIONS_SHOWN = 20


def articles_with_feedback_counts(articles: QuerySet[KnowledgeArticle]) -> QuerySet:
    """``articles`` annotated with ``helped_count`` and ``person_count``: how many of their
    answers customers said helped, and after how many they asked for a person.

    Correlated subqueries, as in agents_with_offer_record: the admin's list stays one query,
    each count reads the article's feedback of one verdict (feedback_article_verdict_idx),
    and the list's counts and filters are not joined to every feedback row.
    """

    def counted(verdict: str) -> Coalesce:
        per_article = (
            AnswerFeedback.objects.filter(article=OuterRef("pk"), verdict=verdict)
            .order_by()
            .values("article")
            .annotate(n=Count("id"))
            .values("n")
        )
        return Coalesce(
            Subquery(per_article, output_field=IntegerField()),
            Value(0),
            output_field=IntegerField(),
        )

    return articles.annotate(
        helped_count=counted(AnswerFeedback.Verdict.HELPED),
        person_count=counted(AnswerFeedback.Verdict.PERSON),
    )


def article_person_questions(*, article_id: int) -> list[AnswerFeedback]:
    """The latest questions whose answer from this article left the customer wanting a
    person, newest first (already masked when stored)."""
    return list(
        AnswerFeedback.objects.filter(article_id=article_id, verdict=AnswerFeedback.Verdict.PERSON)
        .select_related("message")
        .only("question", "created_at", "message__ticket_id")
        .order_by("-created_at", "-id")[:ARTICLE_PERSON_QUESTIONS_SHOWN]
    )


# --- Confirmed resolution (docs/quality.md) -------------------------------------------------


def reopen_window_ends(ticket: Ticket) -> datetime | None:
    """Until when the customer may still reopen a resolved, unconfirmed ticket; None when
    it cannot be reopened at all (not resolved, or confirmed)."""
    if (
        ticket.status != Ticket.Status.RESOLVED
        or ticket.resolution_confirmed_at is not None
        or ticket.resolved_at is None
    ):
        return None
    return ticket.resolved_at + timedelta(hours=settings.REOPEN_WINDOW_HOURS)


def confirmation_asked(ticket: Ticket, *, now: datetime | None = None) -> bool:
    """Whether the customer is still asked "Did this solve your problem?"."""
    ends = reopen_window_ends(ticket)
    return ends is not None and (now or timezone.now()) < ends


# --- The queue and offers in aggregate (/metrics and the operator's cockpit, /ops/) ---------


@dataclass(frozen=True)
class QueuedNeed:
    """The queued tickets of one language and set of required skills."""

    language: str
    skills: tuple[str, ...]
    waiting: int
    oldest_escalated_at: datetime | None


def queued_needs() -> list[QueuedNeed]:
    """The queue now, grouped by language and required skills (sorted, so that the same
    skills in another order are one need), in one grouped query (ticket_queue_idx)."""
    rows = (
        Ticket.objects.filter(status=Ticket.Status.QUEUED)
        .order_by()
        .values_list("language", "required_skills")
        .annotate(waiting=Count("pk"), oldest=Min("escalated_at"))
    )
    grouped: dict[tuple[str, tuple[str, ...]], tuple[int, datetime | None]] = {}
    for language, required, waiting, oldest in rows:
        key = (language, tuple(sorted(required or ())))
        if key in grouped:
            before_waiting, before_oldest = grouped[key]
            waiting += before_waiting
            oldest = min((t for t in (oldest, before_oldest) if t is not None), default=None)
        grouped[key] = (waiting, oldest)
    return [
        QueuedNeed(language=language, skills=skills, waiting=waiting, oldest_escalated_at=oldest)
        for (language, skills), (waiting, oldest) in sorted(grouped.items())
    ]


def queue_by_language(needs: Iterable[QueuedNeed]) -> dict[str, tuple[int, datetime | None]]:
    """The needs summed per language: {language: (waiting, oldest escalation)}."""
    by_language: dict[str, tuple[int, datetime | None]] = {}
    for need in needs:
        waiting, oldest = by_language.get(need.language, (0, None))
        stamps = [t for t in (oldest, need.oldest_escalated_at) if t is not None]
        by_language[need.language] = (waiting + need.waiting, min(stamps, default=None))
    return dict(sorted(by_language.items()))


def offers_by_outcome(*, since: datetime) -> dict[str, int]:
    """Offers sent since ``since``, by how each has ended so far (pending: not decided), with
    0 for every outcome none had. One grouped query (offer_sent_idx)."""
    counts = dict(
        Offer.objects.filter(sent_at__gte=since)
        .values_list("outcome")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {outcome: counts.get(outcome, 0) for outcome in Offer.Outcome.values}
