"""The dispatcher (docs/dispatch.md): each queued ticket offered to the best free agent, one
agent at a time, with an accept timeout; an accepted offer is the ticket's claim.

Run by ``tickets.tasks.dispatch_offers`` (expiry, then a round) in offer and hybrid routing:
on commit of every change that may make an offer possible (``services.dispatch_soon``) and
every second as the safety net (CELERY_BEAT_SCHEDULE). The agent socket's ``accept``,
``decline`` and ``presence`` frames call the services below (tickets.protocol).

Exactly one pending offer per ticket, and one per agent, however many processes run rounds
at once, is decided in the database:

* a round takes the free agents, then the tickets it may offer, with ``SELECT … FOR UPDATE
  SKIP LOCKED``: two rounds never hold the same row and neither waits for the other;
* holding them, it reads their pending offers again in a fresh statement. Offers are made
  only by a round holding both the agent's and the ticket's row, so what that read sees
  cannot change before the round commits, even when the round's first look at the queue
  was taken before another round committed;
* the partial unique constraints (one pending offer per ticket, one per agent) stand behind
  both: a mistake here would fail a round, never reserve a ticket twice.

Lock order, as in tickets.services: agent, then ticket, then offer. Accepting takes all three
(waiting); a withdrawal (tickets.services.offers_withdraw) the ticket, then its offer; the
expiry sweep and a decline the agent, then its offer. A round takes agents then tickets too,
and since it skips what is locked instead of waiting, it cannot be part of a deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from agents import services as agent_services
from agents.models import Agent, User
from tickets import announce, selectors, services
from tickets.dispatch_ranking import Candidate, can_take, rank_agents, rank_tickets
from tickets.models import Offer, Ticket
from tickets.services import TicketError
from tickets.signals import offers_made

Outcome = Offer.Outcome
Status = Ticket.Status

# A round offers at most this many tickets: bounded work and lock time whatever the queue's
# length. Free agents are fewer than this in practice; a longer queue waits for the next round.
DISPATCH_ROUND_TICKETS = 100
# How far down the queue a round looks for tickets some free agent could take, so that tickets
# nobody free can take (a language or skill in short supply) do not hide the rest.
QUEUE_SCAN_TICKETS = 1000
# An agent who declined a ticket or let it run out is not offered it again for this long:
# the next agents are tried first, and a ticket only that agent can take comes back to it.
REOFFER_AFTER_SECONDS = 60
# ... unless no other free agent can take it: then it comes back to them after this long, rather
# than leave its customer waiting while the only agents able to help sit free.
REOFFER_SOLE_AFTER_SECONDS = 15
# The expiry sweep decides at most this many offers per call (one per agent at most).
EXPIRE_BATCH = 500


class OfferGone(TicketError):
    """The offer can no longer be accepted or declined; ``reason`` is the protocol's:
    expired | withdrawn | taken | capacity | not_yours | not_found."""

    code = "offer_gone"

    def __init__(self, reason: str):
        super().__init__(f"The offer is gone: {reason}.")
        self.reason = reason


# --- Rounds ------------------------------------------------------------------------------


def dispatch_round(*, now: datetime | None = None) -> list[int]:
    """Offer queued tickets that have no offer out to free agents; returns the new offers'
    ids, in queue order of their tickets.

    Safe to run in any number of processes at once (see the module's docstring). A fixed
    number of queries, whatever the number of tickets and agents; the matching itself is in
    Python, at most DISPATCH_ROUND_TICKETS tickets against the free agents.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The queue first: a plain read of its head, and a round with nothing to offer (most
        # sweeps, most triggers after a busy spell) ends there without locking every free agent.
        head = _queue_head()
        if not head:
            return []
        agents = _lock_free_agents()
        if not agents:
            return []
        tickets = _lock_takeable_tickets(agents, head)
        if not tickets:
            return []
        agents_with_offer, tickets_with_offer, passed_by = _offers_standing(
            ticket_ids=[ticket.pk for ticket in tickets],
            agent_ids=[agent.pk for agent in agents],
            now=now,
        )
        free = [agent for agent in agents if agent.pk not in agents_with_offer]
        standings = selectors.agent_standings(agent_ids=[agent.pk for agent in free], now=now)
        pool = {agent.pk: _candidate(agent, standings[agent.pk]) for agent in free}
        by_id = {agent.pk: agent for agent in free}
        expires_at = now + timedelta(seconds=settings.OFFER_TIMEOUT_SECONDS)
        offers: list[Offer] = []
        waiting = [ticket for ticket in tickets if ticket.pk not in tickets_with_offer]
        for ticket in rank_tickets(waiting):
            if not pool:
                break
            passed = passed_by.get(ticket.pk, {})
            ranked = rank_agents(
                ticket, (c for c in pool.values() if c.agent_id not in passed), now
            )
            if not ranked and passed:
                while_ago = now - timedelta(seconds=REOFFER_SOLE_AFTER_SECONDS)
                ranked = rank_agents(
                    ticket,
                    (c for c in pool.values() if passed.get(c.agent_id, now) <= while_ago),
                    now,
                )
            if not ranked:
                continue
            # One offer out per agent at a time: the chosen one leaves this round's pool.
            chosen = pool.pop(ranked[0].agent_id)
            # The agent row goes with the offer: payouts' quote reads its tier from it.
            offers.append(
                Offer(
                    ticket=ticket, agent=by_id[chosen.agent_id], sent_at=now, expires_at=expires_at
                )
            )
        if not offers:
            return []
        Offer.objects.bulk_create(offers)
        agent_services.agents_offered(agent_ids=[offer.agent_id for offer in offers], at=now)
        offers_made.send(sender=Offer, offers=offers)
        announce.offers_made(offers)
    return [offer.pk for offer in offers]


def _lock_free_agents() -> list[Agent]:
    """The agents who may be offered a ticket now, locked: active, online with a live socket
    (not in the grace period after losing its last one, when nobody would see the offer),
    available, no offer out, a free chat slot. Skips agents another transaction holds (a
    round, a claim, a presence write): they are seen again in the next round."""
    open_chats = (
        Ticket.objects.filter(agent_id=OuterRef("pk"), status=Status.ASSIGNED)
        .order_by()
        .values("agent_id")
        .annotate(held=Count("pk"))
        .values("held")
    )
    return list(
        Agent.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=Agent.Status.ACTIVE,
            is_online=True,
            connection_count__gt=0,
            availability=Agent.Availability.AVAILABLE,
            user__is_active=True,
        )
        .filter(~Exists(Offer.objects.filter(agent_id=OuterRef("pk"), outcome=Outcome.PENDING)))
        .annotate(open_chats=Coalesce(Subquery(open_chats), 0))
        .filter(open_chats__lt=F("capacity"))
        .only(
            "id",
            "languages",
            "skills",
            "capacity",
            "last_offered_at",
            "last_assigned_at",
            "quality_tier",
            "quality_score",
        )
        .order_by("pk")
    )


def _queue_head() -> list[tuple[int, str, list[str]]]:
    """(id, language, required skills) of the first QUEUE_SCAN_TICKETS queued tickets without
    an offer out, in queue order: a plain read of the queue index."""
    return list(
        Ticket.objects.filter(status=Status.QUEUED)
        .filter(~Exists(Offer.objects.filter(ticket_id=OuterRef("pk"), outcome=Outcome.PENDING)))
        .order_by("-priority", "escalated_at", "id")
        .values_list("id", "language", "required_skills")[:QUEUE_SCAN_TICKETS]
    )


def _lock_takeable_tickets(
    agents: list[Agent], head: list[tuple[int, str, list[str]]]
) -> list[Ticket]:
    """Up to DISPATCH_ROUND_TICKETS tickets of the queue's ``head`` that one of ``agents``
    could take, first in queue order, locked (skipping those another round holds).

    Matched to the agents' languages and skills in Python, since JSON containment is not
    portable to SQLite; then locked by id, which re-checks that each is still queued.
    """
    profiles = {(frozenset(agent.languages), frozenset(agent.skills)) for agent in agents}
    takeable_needs: dict[tuple[str, frozenset[str]], bool] = {}
    takeable: list[int] = []
    for ticket_id, language, required_skills in head:
        needs = (language, frozenset(required_skills))
        if needs not in takeable_needs:
            takeable_needs[needs] = any(
                can_take(
                    language=language, required_skills=needs[1], languages=speaks, skills=skills
                )
                for speaks, skills in profiles
            )
        if takeable_needs[needs]:
            takeable.append(ticket_id)
            if len(takeable) == DISPATCH_ROUND_TICKETS:
                break
    if not takeable:
        return []
    return list(
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=takeable, status=Status.QUEUED)
        .only(*selectors.SUMMARY_FIELDS, "is_vip")
    )


def _offers_standing(
    *, ticket_ids: list[int], agent_ids: list[int], now: datetime
) -> tuple[set[int], set[int], dict[int, dict[int, datetime]]]:
    """Under the round's locks, in one query: the agents and tickets with an offer out, and
    for each ticket the agents who passed it up (declined, or let it run out) lately, and when
    they last did."""
    recently = now - timedelta(seconds=REOFFER_AFTER_SECONDS)
    rows = (
        Offer.objects.filter(
            Q(outcome=Outcome.PENDING) & (Q(ticket_id__in=ticket_ids) | Q(agent_id__in=agent_ids))
            | Q(
                ticket_id__in=ticket_ids,
                outcome__in=[Outcome.DECLINED, Outcome.EXPIRED],
                decided_at__gte=recently,
            )
        )
        .order_by()
        .values_list("ticket_id", "agent_id", "outcome", "decided_at")
    )
    agents_with_offer: set[int] = set()
    tickets_with_offer: set[int] = set()
    passed_by: dict[int, dict[int, datetime]] = defaultdict(dict)
    for ticket_id, agent_id, outcome, decided_at in rows:
        if outcome == Outcome.PENDING:
            agents_with_offer.add(agent_id)
            tickets_with_offer.add(ticket_id)
        else:
            passed = passed_by[ticket_id]
            passed[agent_id] = max(decided_at, passed.get(agent_id, decided_at))
    return agents_with_offer, tickets_with_offer, passed_by


def _candidate(agent: Agent, standing: selectors.AgentStanding) -> Candidate:
    # Online, available, active and with a free slot: _lock_free_agents selected only those.
    return Candidate(
        agent_id=agent.pk,
        languages=frozenset(agent.languages),
        skills=frozenset(agent.skills),
        capacity=agent.capacity,
        open_chats=agent.open_chats,
        last_offered_at=agent.last_offered_at,
        last_assigned_at=agent.last_assigned_at,
        acceptance_rate=standing.acceptance_rate,
        rating=standing.rating,
        quality_tier=agent.quality_tier,
        quality_score=agent.quality_score,
    )


def offers_pay_record(*, offers: list[Offer], pay: dict[int, tuple[int, str]]) -> None:
    """Record what each offer pays (``pay``: offer id -> amount in minor units, currency),
    on the rows and on the objects: payouts' quote, heard on ``offers_made`` inside the
    round's transaction, so the round's push (built after the signal) carries it and the
    offer keeps what the agent was promised. Offers not in ``pay`` have no rate. One query.
    """
    quoted = [offer for offer in offers if offer.pk in pay]
    for offer in quoted:
        amount, currency = pay[offer.pk]
        if amount < 0:
            raise ValueError(f"offer {offer.pk}: a negative pay")
        offer.pay_amount_minor, offer.pay_currency = amount, currency
    if quoted:
        Offer.objects.bulk_update(quoted, ["pay_amount_minor", "pay_currency"])


# --- An agent's answer -------------------------------------------------------------------


def _gone_reason(offer: Offer, *, now: datetime) -> str | None:
    """Why this offer can no longer be answered, or None while it stands."""
    if offer.outcome == Outcome.PENDING:
        # Past its time but not yet swept: the sweep will expire it (and count the miss).
        return "expired" if offer.expires_at <= now else None
    if offer.outcome == Outcome.EXPIRED:
        return "expired"
    if offer.outcome == Outcome.ACCEPTED:
        return "taken"
    if offer.outcome == Outcome.WITHDRAWN:
        # Withdrawn because somebody claimed the ticket, or because it left the queue.
        status = Ticket.objects.filter(pk=offer.ticket_id).values_list("status", flat=True)
        return "taken" if status.first() in (Status.ASSIGNED, Status.RESOLVED) else "withdrawn"
    # Declined (from another tab): it is not offered to this agent any more.
    return "withdrawn"


def offer_accept(*, offer_id: int, agent_id: int) -> Ticket:
    """Accept an offer: the agent claims the ticket. Returns the ticket, now assigned.

    Raises ``OfferGone`` with the reason, having changed nothing, when the offer is unknown
    (``not_found``), another agent's (``not_yours``), past its time (``expired``),
    withdrawn, already accepted or its ticket claimed (``taken``), or the agent's chats are
    full (``capacity``). One exception changes something: an agent who may no longer take
    the ticket (suspended, or its languages or skills changed since the offer) has the offer
    withdrawn, so the ticket goes to someone else, and hears ``withdrawn``.

    The claim's rules are ``tickets.services``' own (``claim_refusal``, ``ticket_assign``):
    the agent's row is locked first, so its capacity count cannot be outrun, then the
    ticket's, then the offer is read again: every change of an offer holds one of those two
    locks, so of an accept racing an expiry, a withdrawal or another accept exactly one wins.
    """
    withdrawn = False
    with transaction.atomic():
        agent = Agent.objects.select_for_update().select_related("user").filter(pk=agent_id).first()
        offer = Offer.objects.filter(pk=offer_id).only("id", "agent_id", "ticket_id").first()
        if offer is None:
            raise OfferGone("not_found")
        if agent is None or offer.agent_id != agent.pk:
            raise OfferGone("not_yours")
        ticket = (
            Ticket.objects.select_for_update()
            .filter(pk=offer.ticket_id)
            .only("id", "status", "language", "required_skills")
            .first()
        )
        offer = Offer.objects.filter(pk=offer_id).first()
        if ticket is None or offer is None:
            raise OfferGone("not_found")
        now = timezone.now()
        reason = _gone_reason(offer, now=now)
        if reason is None and ticket.status != Status.QUEUED:
            reason = "taken"  # cannot be: every way out of the queue withdraws the offer
        if reason is not None:
            raise OfferGone(reason)
        if agent.may_work:
            refusal = services.claim_refusal(agent=agent, ticket=ticket)
        else:
            refusal = "not_eligible"
        if refusal == "capacity":
            raise OfferGone("capacity")
        if refusal == "not_eligible":
            services.offers_withdraw(ticket_id=ticket.pk, reason="withdrawn", now=now)
            services.dispatch_soon()
            withdrawn = True
        else:
            accepted = Offer.objects.filter(pk=offer_id, outcome=Outcome.PENDING).update(
                outcome=Outcome.ACCEPTED, decided_at=now
            )
            if accepted != 1:
                raise OfferGone("taken")  # cannot be under the agent's and ticket's locks
            claimed = services.ticket_assign(
                ticket_id=ticket.pk, agent=agent, reason="offer accepted"
            )
            if claimed is None:
                raise OfferGone("taken")  # cannot be under the ticket's lock; rolls back
            agent_services.agent_answered_offer(agent=agent)
    if withdrawn:
        raise OfferGone("withdrawn")
    return claimed


def offer_decline(*, offer_id: int, agent_id: int, reason: str, note: str = "") -> Offer:
    """Decline an offer, with a reason (busy | not_my_skill | other) and an optional note;
    the ticket is free for the next agent at once, and not offered to this one again for
    REOFFER_AFTER_SECONDS. Answering breaks the agent's row of missed offers.

    Refused as ``offer_accept`` is (``OfferGone``, nothing changed); an unknown reason is a
    ``TicketError`` with code ``invalid_field``.
    """
    if reason not in Offer.DeclineReason.values:
        raise TicketError(
            f"reason must be one of {', '.join(Offer.DeclineReason.values)}.",
            code="invalid_field",
        )
    note = note.strip()[: Offer._meta.get_field("decline_note").max_length]
    with transaction.atomic():
        agent = Agent.objects.select_for_update().filter(pk=agent_id).first()
        offer = Offer.objects.filter(pk=offer_id).first()
        if offer is None:
            raise OfferGone("not_found")
        if agent is None or offer.agent_id != agent.pk:
            raise OfferGone("not_yours")
        now = timezone.now()
        gone = _gone_reason(offer, now=now)
        if gone is not None:
            raise OfferGone(gone)
        # The agent's lock holds off an expiry or an accept, not a withdrawal (which holds the
        # ticket's): the conditional UPDATE decides between those two.
        declined = Offer.objects.filter(
            pk=offer_id, outcome=Outcome.PENDING, expires_at__gt=now
        ).update(outcome=Outcome.DECLINED, decline_reason=reason, decline_note=note, decided_at=now)
        if declined != 1:
            offer.refresh_from_db()
            raise OfferGone(_gone_reason(offer, now=now) or "withdrawn")
        agent_services.agent_answered_offer(agent=agent)
        services.dispatch_soon()  # the ticket goes to the next agent at once
    offer.outcome, offer.decline_reason, offer.decline_note, offer.decided_at = (
        Outcome.DECLINED,
        reason,
        note,
        now,
    )
    return offer


# --- Expiry and availability ---------------------------------------------------------------


def offers_expire(*, now: datetime | None = None) -> list[int]:
    """Expire pending offers past their time; returns their ids. Each agent's row of missed
    offers grows by one, and those who reached OFFER_MISSES_BEFORE_AWAY are set away; the
    agents hear ``offer.gone`` (and ``presence``) after commit.

    The agents are locked first, in id order, then the offers, which are decided only if
    still pending: an accept or a decline of the same offer holds the agent's lock, so either
    it ran first (and the offer is no longer pending here) or it finds the offer expired.
    A fixed number of queries for up to EXPIRE_BATCH offers.
    """
    now = now or timezone.now()
    due = list(
        Offer.objects.filter(outcome=Outcome.PENDING, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", "agent_id")[:EXPIRE_BATCH]
    )
    if not due:
        return []
    with transaction.atomic():
        list(
            Agent.objects.select_for_update()
            .filter(pk__in={agent_id for _, agent_id in due})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        expiring = list(
            Offer.objects.select_for_update()
            .filter(
                pk__in=[offer_id for offer_id, _ in due],
                outcome=Outcome.PENDING,
                expires_at__lte=now,
            )
            .order_by("pk")
            .values_list("pk", "agent_id")
        )
        if not expiring:
            return []
        Offer.objects.filter(pk__in=[offer_id for offer_id, _ in expiring]).update(
            outcome=Outcome.EXPIRED, decided_at=now
        )
        away = agent_services.agents_missed_offer(agent_ids=[agent_id for _, agent_id in expiring])
        for offer_id, agent_id in expiring:
            announce.offer_gone(offer_id=offer_id, agent_id=agent_id, reason="expired")
        for agent_id in away:
            announce.agent_availability(
                agent_id=agent_id,
                availability=Agent.Availability.AWAY,
                reason="missed_offers",
            )
    return [offer_id for offer_id, _ in expiring]


def agent_set_available(*, agent_id: int, actor: User | None = None) -> bool:
    """The agent is back from away and takes offers again (its missed offers forgotten);
    True if it was away. Every socket of the agent hears it after commit."""
    with transaction.atomic():
        changed = agent_services.agent_availability_set(
            agent_id=agent_id,
            to=Agent.Availability.AVAILABLE,
            reason="back",
            actor=actor,
        )
        if changed:
            announce.agent_availability(
                agent_id=agent_id, availability=Agent.Availability.AVAILABLE
            )
            services.dispatch_soon()
    return changed


def agent_set_away(*, agent_id: int, reason: str = "", actor: User | None = None) -> bool:
    """The agent steps away from offers by its own hand (the portal's switch): it keeps its
    chats, and an offer it has out is withdrawn so the ticket goes to someone else at once,
    not counted as missed. True if it was available."""
    with transaction.atomic():
        changed = agent_services.agent_availability_set(
            agent_id=agent_id, to=Agent.Availability.AWAY, reason=reason, actor=actor
        )
        if changed:
            if services.offers_withdraw(agent_id=agent_id, reason="withdrawn"):
                services.dispatch_soon()  # the withdrawn ticket goes to someone else
            announce.agent_availability(
                agent_id=agent_id, availability=Agent.Availability.AWAY, reason=reason
            )
    return changed
