"""The demo agents' past work for `seed_demo`: ten weeks of resolved conversations with the
audit trail, confirmations, reopens, ratings and rubric reviews the quality score and metrics
read (docs/quality.md), so the quality pages show what the product computes from a believable
history rather than invented numbers.

Written in bulk (a few hundred conversations in a fixed number of queries), bypassing the
services on purpose: those act at the present moment and announce to pay, dispatch and the
customer, while this is the past. Every row is what the services would have written, dated
when it would have been. Deterministic per agent: every demo has the same history, shifted to
its own dates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import F

from agents.models import Agent, User
from quality.models import Review, ReviewScore, RubricCriterion
from quality.reviews import score_percent
from tickets.models import Message, Ticket, TicketEvent

Status = Ticket.Status
Actor = TicketEvent.Actor


@dataclass(frozen=True)
class DemoRecord:
    """How one demo agent has worked. Percentages are chances per conversation."""

    weeks: int  # weeks of history, counting back from now
    per_week: tuple[int, int]  # conversations resolved a week, fewest and most
    reopened_pct: int  # reopened by the customer, then resolved again
    customer_confirms_pct: int  # confirmed by the customer; the rest by the window
    low_rating_pct: int  # of the ratings, 1 to 3 stars
    review_scores: tuple[int, ...]  # what a reviewer gives on each criterion, drawn from these


# By demo agent in turn (agent01 first). One excellent expert; standard agents of varying
# strength; two newer agents on probation, with fewer than PROBATION_TICKETS (20)
# conversations in all so they cannot have left it, and weaker numbers.
DEMO_RECORDS = [
    DemoRecord(10, (14, 20), 2, 45, 4, (5, 5, 5, 4)),
    DemoRecord(10, (9, 13), 8, 35, 14, (5, 4, 4, 4, 3)),
    DemoRecord(10, (8, 12), 11, 30, 18, (4, 4, 3, 4, 3)),
    DemoRecord(2, (7, 9), 16, 30, 28, (4, 3, 3, 4, 2)),
    DemoRecord(10, (10, 14), 8, 40, 12, (4, 4, 3, 4, 3)),
    DemoRecord(10, (8, 12), 17, 25, 30, (3, 3, 4, 3, 2)),
    DemoRecord(3, (4, 6), 12, 35, 20, (4, 4, 3, 4, 3)),
    DemoRecord(10, (9, 13), 7, 35, 16, (4, 3, 4, 4, 3)),
]
# The demo help centre's topics (tickets/assistant/data/demo_help_centre.json), each with
# what the customer wrote first; an agent gets those among its skills.
TOPICS = {
    "general": "Hi, I have a question about my Acme Pay account, can someone help?",
    "billing": "I was charged twice for my last invoice, can you check?",
    "refunds": "I returned my order two weeks ago and still have no refund.",
    "accounts": "I can't log in to my account any more, the code never arrives.",
    "disputes": "I don't recognise a payment on my statement and want to dispute it.",
}
CUSTOMERS = ["Alex", "Sam", "Maria", "Tom", "Aisha", "Luis", "Mei", "Jonas", "Zara", "Noah"]
REVIEW_COMMENTS = [
    (85, "Clear, kind and complete: the customer knew exactly what happens next."),
    (65, "Solved it; confirm the customer's details before acting and summarise at the end."),
    (0, "The answer missed the actual question. Read the policy article before replying."),
]
SAMPLE_PCT = 8  # reviewed at random, besides every reopen and 1-2 star rating
RATED_PCT = 70  # confirmed conversations the customer rated
BUSY_FROM, BUSY_HOURS = 8, 12  # escalations 08:00-20:00 UTC, as the forecast's demo history


@dataclass
class _Built:
    tickets: list[Ticket]
    events: list[TicketEvent]
    messages: list[Message]
    reviews: list[tuple[Review, dict[int, int]]]


def demo_history_create(*, agents: list[Agent], reviewer: User, now: datetime) -> int:
    """Write the history of each of ``agents`` (demo agents numbered by their email,
    agentNN@example.com, that have resolved nothing yet); returns how many conversations.
    Inserted in batches of 500 rows, then the auto-dated columns set to the past."""
    criteria = dict(RubricCriterion.objects.filter(is_active=True).values_list("pk", "weight"))
    built = _Built([], [], [], [])
    for agent in agents:
        number = int(agent.user.email[5:7])
        record = DEMO_RECORDS[(number - 1) % len(DEMO_RECORDS)]
        rng = random.Random(f"demo-{number}")  # noqa: S311 - demo data, not a secret
        _agent_history(built, agent=agent, record=record, criteria=criteria, now=now, rng=rng)

    Ticket.objects.bulk_create(built.tickets, batch_size=500)
    # created_at is auto_now_add, so the past dates go in after the insert. The agents had
    # resolved nothing before: their resolved tickets are these.
    Ticket.objects.filter(resolved_by__in=agents).update(
        created_at=F("escalated_at") - timedelta(minutes=2),
        last_customer_activity_at=F("resolved_at"),
    )
    _insert_dated(TicketEvent, built.events)
    _insert_dated(Message, built.messages)
    reviews = [review for review, _ in built.reviews]
    for review in reviews:
        if review.status == Review.Status.SCORED:
            review.reviewer = reviewer
    _insert_dated(Review, reviews)
    ReviewScore.objects.bulk_create(
        [
            ReviewScore(review=review, criterion_id=criterion_id, score=score)
            for review, scores in built.reviews
            if review.status == Review.Status.SCORED
            for criterion_id, score in scores.items()
        ],
        batch_size=500,
    )
    return len(built.tickets)


def _insert_dated(model, rows: list) -> None:
    dated = [row.created_at for row in rows]
    model.objects.bulk_create(rows, batch_size=500)
    for row, created_at in zip(rows, dated, strict=True):
        row.created_at = created_at
    model.objects.bulk_update(rows, ["created_at"], batch_size=500)


def _agent_history(
    built: _Built,
    *,
    agent: Agent,
    record: DemoRecord,
    criteria: dict[int, int],
    now: datetime,
    rng: random.Random,
) -> None:
    topics = [topic for topic in TOPICS if topic in agent.skills] or ["general"]
    # English, and Spanish now and then for those who speak it: the forecast's demo queues.
    languages = ["en", "en", "en", "es"] if "es" in agent.languages else ["en"]
    for week in range(record.weeks):
        for _ in range(rng.randint(*record.per_week)):
            day = (now - timedelta(days=7 * week + rng.randrange(7))).date()
            escalated = datetime.combine(day, time(BUSY_FROM), tzinfo=now.tzinfo) + timedelta(
                minutes=rng.randrange(BUSY_HOURS * 60), seconds=rng.randrange(60)
            )
            if escalated > now - timedelta(hours=1):
                continue  # later today: not yet
            _conversation(
                built,
                agent=agent,
                record=record,
                criteria=criteria,
                now=now,
                rng=rng,
                escalated=escalated,
                topic=rng.choice(topics),
                language=rng.choice(languages),
            )


def _conversation(
    built: _Built,
    *,
    agent: Agent,
    record: DemoRecord,
    criteria: dict[int, int],
    now: datetime,
    rng: random.Random,
    escalated: datetime,
    topic: str,
    language: str,
) -> None:
    claimed = escalated + timedelta(seconds=rng.randint(20, 150))
    resolved = claimed + timedelta(minutes=rng.randint(4, 18), seconds=rng.randrange(60))
    ticket = Ticket(
        status=Status.RESOLVED,
        customer_name=rng.choice(CUSTOMERS),
        language=language,
        topic=topic,
        priority=Ticket.Priority.NORMAL,
        escalation_reason=Ticket.EscalationReason.CUSTOMER_REQUEST,
        agent=agent,
        resolved_by=agent,
        escalated_at=escalated,
        last_seq=2,
    )
    events = [_event(ticket, Status.QUEUED, Status.ASSIGNED, agent, "claimed", claimed)]
    events.append(_event(ticket, Status.ASSIGNED, Status.RESOLVED, agent, "resolved", resolved))
    reviews: list[tuple[str, datetime]] = []

    reopened = resolved + timedelta(hours=rng.randint(1, 30), minutes=rng.randrange(60))
    if rng.randrange(100) < record.reopened_pct and reopened + timedelta(hours=1) < now:
        reason = rng.choice(["not_solved", "wrote_again"])
        events.append(
            TicketEvent(
                ticket=ticket,
                from_status=Status.RESOLVED,
                to_status=Status.QUEUED,
                actor_kind=Actor.CUSTOMER,
                agent=agent,
                reason=f"{TicketEvent.REOPEN_REASON_PREFIX} {reason}",
                created_at=reopened,
            )
        )
        # Offered first to the agent who resolved it, who takes it again.
        claimed = reopened + timedelta(minutes=rng.randint(1, 6))
        resolved = claimed + timedelta(minutes=rng.randint(5, 15))
        events.append(_event(ticket, Status.QUEUED, Status.ASSIGNED, agent, "claimed", claimed))
        events.append(_event(ticket, Status.ASSIGNED, Status.RESOLVED, agent, "resolved", resolved))
        ticket.reopen_count = 1
        reviews.append((Review.Reason.REOPENED, reopened))
    ticket.claimed_at, ticket.resolved_at = claimed, resolved

    confirmed_by_customer = resolved + timedelta(minutes=rng.randint(2, 90))
    confirmed_by_window = resolved + timedelta(hours=settings.REOPEN_WINDOW_HOURS, minutes=5)
    if rng.randrange(100) < record.customer_confirms_pct and confirmed_by_customer < now:
        ticket.resolution_confirmed_at = confirmed_by_customer
        ticket.resolution_confirmed_by = Ticket.ResolutionConfirmation.CUSTOMER
    elif confirmed_by_window < now:
        ticket.resolution_confirmed_at = confirmed_by_window
        ticket.resolution_confirmed_by = Ticket.ResolutionConfirmation.WINDOW
    # Still in its reopen window: unconfirmed and, like most such, not yet rated.
    if ticket.resolution_confirmed_at and rng.randrange(100) < RATED_PCT:
        if rng.randrange(100) < record.low_rating_pct:
            ticket.rating = rng.choice([1, 2, 3, 3])
        else:
            ticket.rating = 5 if rng.randrange(100) < 65 else 4
    if ticket.rating is not None and ticket.rating <= 2:
        reviews.append((Review.Reason.LOW_RATING, resolved))
    if rng.randrange(100) < SAMPLE_PCT:
        reviews.append((Review.Reason.SAMPLE, resolved))

    built.tickets.append(ticket)
    built.events += events
    built.messages += [
        Message(
            ticket=ticket,
            seq=1,
            sender=Message.Sender.CUSTOMER,
            body=TOPICS[topic],
            created_at=escalated - timedelta(minutes=1),
        ),
        Message(
            ticket=ticket,
            seq=2,
            sender=Message.Sender.AGENT,
            agent=agent,
            body=f"Hi {ticket.customer_name}, I'm {agent.display_name}. Let me look into that.",
            created_at=ticket.claimed_at + timedelta(seconds=30),
        ),
    ]
    for reason, queued_at in reviews:
        built.reviews.append(
            _review(
                ticket,
                reason=reason,
                queued_at=queued_at,
                record=record,
                criteria=criteria,
                now=now,
                rng=rng,
            )
        )


def _event(
    ticket: Ticket, from_status: str, to_status: str, agent: Agent, reason: str, at: datetime
) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        from_status=from_status,
        to_status=to_status,
        actor_kind=Actor.AGENT,
        actor=agent.user,
        agent=agent,
        reason=reason,
        created_at=at,
    )


def _review(
    ticket: Ticket,
    *,
    reason: str,
    queued_at: datetime,
    record: DemoRecord,
    criteria: dict[int, int],
    now: datetime,
    rng: random.Random,
) -> tuple[Review, dict[int, int]]:
    """A review of the conversation for ``reason``, scored on every active criterion up to
    a couple of days after it was queued. Scored by now at the latest, so the review queue
    holds only the live demo's conversations (and the screenshots open one of those)."""
    review = Review(ticket=ticket, agent=ticket.agent, reason=reason, created_at=queued_at)
    if not criteria:
        return review, {}  # an operator retired the whole rubric: left in the queue
    # Queued at least half an hour ago (a resolve or reopen an hour before now at the latest).
    scored_at = min(queued_at + timedelta(hours=rng.randint(4, 60)), now - timedelta(minutes=5))
    # A reopened or badly rated conversation usually went less well than a sampled one.
    worse = 1 if reason != Review.Reason.SAMPLE and rng.randrange(2) else 0
    scores = {
        criterion_id: max(1, rng.choice(record.review_scores) - worse) for criterion_id in criteria
    }
    review.status = Review.Status.SCORED
    review.scored_at = scored_at
    review.score_pct = score_percent(scores, criteria)
    review.comments = next(text for floor, text in REVIEW_COMMENTS if review.score_pct >= floor)
    return review, scores
