"""Writes about agents: their status, presence, availability for offers, quality tier and
score, and the login throttle."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import mail_admins, send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import (
    Agent,
    AgentAvailabilityEvent,
    AgentConnection,
    AgentStatusEvent,
    User,
)
from agents.signals import agent_left_active
from agents.vocabulary import LANGUAGE_CODES, SKILL_CODES
from core import counters
from core.client_address import address_block

S = Agent.Status

ALLOWED_AGENT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.APPLIED: frozenset({S.EMAIL_VERIFIED, S.REJECTED}),
    S.EMAIL_VERIFIED: frozenset({S.TRAINING, S.REJECTED}),
    S.TRAINING: frozenset({S.AWAITING_REVIEW, S.REJECTED}),
    S.AWAITING_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.TRAINING}),
    S.APPROVED: frozenset({S.ACTIVE, S.SUSPENDED}),
    S.ACTIVE: frozenset({S.SUSPENDED}),
    # Reinstatement returns an agent to where it was suspended from: active, or approved if
    # it had not yet accepted the code of conduct (agents.onboarding.agent_reinstate).
    S.SUSPENDED: frozenset({S.ACTIVE, S.APPROVED, S.REJECTED}),
    S.REJECTED: frozenset(),
}


class AgentTransitionError(Exception):
    pass


# How a return to probation reads in the audit trail, and how quality.scoring can find when
# the agent's probation started again.
PROBATION_REASON_PREFIX = "returned to probation"


def validate_languages(languages: Iterable[str]) -> list[str]:
    codes = sorted({code.strip().lower() for code in languages if code.strip()})
    unknown = [code for code in codes if code not in LANGUAGE_CODES]
    if unknown:
        raise ValidationError(
            _("Unknown language code(s): %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    if not codes:
        raise ValidationError(_("At least one language is required."))
    return codes


def validate_skills(skills: Iterable[str]) -> list[str]:
    codes = sorted({code.strip().lower() for code in skills if code.strip()})
    unknown = [code for code in codes if code not in SKILL_CODES]
    if unknown:
        raise ValidationError(_("Unknown skill(s): %(codes)s.") % {"codes": ", ".join(unknown)})
    return codes


@transaction.atomic
def agent_transition(
    *, agent_id: int, to_status: str, actor: User | None, reason: str = ""
) -> Agent:
    """Move an agent to ``to_status`` if the state machine allows it, with an audit row.

    Leaving ACTIVE is announced (``agents.signals.agent_left_active``) inside the
    transaction: the tickets app returns the agent's tickets to the queue with it and closes
    its sockets after commit.
    """
    agent = Agent.objects.select_for_update().get(pk=agent_id)
    if to_status not in ALLOWED_AGENT_TRANSITIONS[agent.status]:
        raise AgentTransitionError(
            f"An agent who is {agent.get_status_display().lower()} cannot become "
            f"{Agent.Status(to_status).label.lower()}."
        )
    from_status = agent.status
    agent.status = to_status
    fields = ["status", "updated_at"]
    if from_status == S.ACTIVE:
        agent.is_online = False
        agent.connection_count = 0
        fields += ["is_online", "connection_count"]
        AgentConnection.objects.filter(agent_id=agent.pk).delete()
    agent.save(update_fields=fields)
    AgentStatusEvent.objects.create(
        agent=agent, from_status=from_status, to_status=to_status, actor=actor, reason=reason
    )
    if from_status == S.ACTIVE:
        agent_left_active.send(
            sender=Agent, agent_id=agent.pk, reason=f"agent {to_status}: {reason}".strip()
        )
    return agent


@transaction.atomic
def agent_return_to_probation(*, agent_id: int, actor: User | None, reason: str) -> bool:
    """Put an agent back on the probation tier (a staff decision, docs/quality.md); True if
    the tier changed. The status is untouched; the audit row is an AgentStatusEvent from
    and to the same status, so the agent's one audit trail shows the decision and why.
    An agent already on probation is left as it is, with no row."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("A reason is required; it is recorded and sent to the agent.")
    agent = Agent.objects.select_for_update().get(pk=agent_id)
    if agent.quality_tier == Agent.QualityTier.PROBATION:
        return False
    from_tier = agent.quality_tier
    agent.quality_tier = Agent.QualityTier.PROBATION
    agent.save(update_fields=["quality_tier", "updated_at"])
    AgentStatusEvent.objects.create(
        agent=agent,
        from_status=agent.status,
        to_status=agent.status,
        actor=actor,
        reason=f"{PROBATION_REASON_PREFIX} (was {from_tier}): {reason}",
    )
    return True


@transaction.atomic
def agent_create(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    languages: Iterable[str] = ("en",),
    skills: Iterable[str] = ("general",),
    segment: str = Agent.Segment.OTHER,
    country: str = "",
    time_zone: str = "UTC",
    capacity: int | None = None,
    weekly_availability: dict[str, list[list[str]]] | None = None,
    motivation: str = "",
    preferred_language: str = "",
    active: bool = False,
    actor: User | None = None,
) -> Agent:
    """Create a user and its agent profile; with ``active`` the agent may go online at once.
    A ``preferred_language`` Humanline does not speak is taken as none chosen."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(f"An account with {email} already exists.")
    languages = validate_languages(languages)
    skills = validate_skills(skills) or ["general"]
    user = User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )
    agent = Agent.objects.create(
        user=user,
        languages=languages,
        skills=skills,
        segment=segment,
        country=country,
        time_zone=time_zone,
        capacity=capacity or settings.AGENT_DEFAULT_CAPACITY,
        weekly_availability=weekly_availability or {},
        motivation=motivation,
        preferred_language=spoken_language(preferred_language) or "",
        status=S.ACTIVE if active else S.APPLIED,
    )
    if active:
        AgentStatusEvent.objects.create(
            agent=agent,
            from_status=S.APPLIED,
            to_status=S.ACTIVE,
            actor=actor,
            reason="created active by an operator",
        )
    return agent


# --- The agent's language (docs/i18n.md) -----------------------------------------------------


def spoken_language(code: str | None) -> str | None:
    """``code`` if Humanline's pages and emails are written in it (settings.LANGUAGES)."""
    return code if code in dict(settings.LANGUAGES) else None


def agent_preferred_language_set(*, user_id: int, language: str) -> bool:
    """Remember the language an agent chose to read Humanline in (the language switcher), so
    its emails are written in it. True if an agent's choice changed; a user who is no agent,
    or a language Humanline does not speak, changes nothing. One UPDATE, no lock needed: the
    last choice wins."""
    if spoken_language(language) is None:
        return False
    changed = (
        Agent.objects.filter(user_id=user_id)
        .exclude(preferred_language=language)
        .update(preferred_language=language, updated_at=timezone.now())
    )
    return changed == 1


# --- Presence ----------------------------------------------------------------------------
# An agent is online while it has a live socket: an AgentConnection row whose client was
# heard within AGENT_HEARTBEAT_TIMEOUT_SECONDS. Rows are added and removed under the agent's
# row lock and the count recounted from them, so it cannot drift; a row whose socket died
# without running its close is swept once silent (agents_mark_departed).

# How often a connected agent's liveness stamps are written, at most.
AGENT_SEEN_EVERY_SECONDS = 15


def _recount_connections(agent: Agent, *, now) -> None:
    """Bring a locked agent's presence in line with its connection rows."""
    agent.connection_count = AgentConnection.objects.filter(agent_id=agent.pk).count()
    fields = ["connection_count"]
    if agent.connection_count:
        agent.is_online, agent.disconnected_at = True, None
        fields += ["is_online", "disconnected_at"]
    elif agent.disconnected_at is None:
        agent.disconnected_at = now
        fields.append("disconnected_at")
    agent.save(update_fields=fields)


def agent_connected(*, agent_id: int, channel_name: str) -> bool:
    """Record an opened socket; the agent is online. False, and nothing stored, if it may
    not work."""
    now = timezone.now()
    with transaction.atomic():
        agent = (
            Agent.objects.select_for_update()
            .filter(pk=agent_id, status=S.ACTIVE, user__is_active=True)
            .first()
        )
        if agent is None:
            return False
        AgentConnection.objects.update_or_create(
            channel_name=channel_name,
            defaults={"agent": agent, "opened_at": now, "heard_at": now},
        )
        agent.last_seen_at = now
        agent.save(update_fields=["last_seen_at"])
        _recount_connections(agent, now=now)
    return True


def agent_disconnected(*, agent_id: int, channel_name: str) -> None:
    """Forget a closed socket; when the agent's last one goes, the grace period starts.
    Safe to call twice for the same socket."""
    now = timezone.now()
    with transaction.atomic():
        agent = Agent.objects.select_for_update().filter(pk=agent_id).first()
        if agent is None:
            return
        AgentConnection.objects.filter(agent_id=agent_id, channel_name=channel_name).delete()
        agent.last_seen_at = now
        agent.save(update_fields=["last_seen_at"])
        _recount_connections(agent, now=now)


def agent_sockets_heard(*, channel_names: list[str]) -> set[str]:
    """Stamp the sockets whose clients sent something lately (a heartbeat or any frame), and
    their agents; return the names among them that are no longer recorded (swept as silent),
    whose sockets should close so their clients reconnect.

    Called once per resync period by each server process for all its sockets that were
    heard: two UPDATEs, whatever the number of sockets.
    """
    if not channel_names:
        return set()
    now = timezone.now()
    recorded = dict(
        AgentConnection.objects.filter(channel_name__in=channel_names).values_list(
            "channel_name", "agent_id"
        )
    )
    if recorded:
        AgentConnection.objects.filter(channel_name__in=list(recorded)).update(heard_at=now)
        stale = now - timedelta(seconds=AGENT_SEEN_EVERY_SECONDS)
        Agent.objects.filter(pk__in=set(recorded.values()), last_seen_at__lt=stale).update(
            last_seen_at=now
        )
    return set(channel_names) - set(recorded)


def agents_mark_departed(*, now=None) -> list[int]:
    """Sweep presence: forget sockets silent past the heartbeat timeout, then take offline
    the agents with no live socket for longer than the grace period; return their ids.

    An agent whose sockets were swept is treated as disconnected since it was last heard, so
    the grace period counts from the last sign of life, not from the sweep.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=settings.AGENT_DISCONNECT_GRACE_SECONDS)
    silent_since = now - timedelta(seconds=settings.AGENT_HEARTBEAT_TIMEOUT_SECONDS)
    for agent_id in sorted(
        set(
            AgentConnection.objects.filter(heard_at__lt=silent_since).values_list(
                "agent_id", flat=True
            )
        )
    ):
        with transaction.atomic():
            agent = Agent.objects.select_for_update().filter(pk=agent_id).first()
            if agent is None:
                continue
            silent = AgentConnection.objects.filter(agent_id=agent_id, heard_at__lt=silent_since)
            last_heard = max(silent.values_list("heard_at", flat=True), default=None)
            if last_heard is None:
                continue  # heard again meanwhile
            silent.delete()
            _recount_connections(agent, now=last_heard)
    gone = (
        Agent.objects.filter(is_online=True)
        .exclude(connections__isnull=False)
        .filter(Q(disconnected_at__lt=now - grace) | Q(disconnected_at__isnull=True))
    )
    departed = []
    for agent_id in gone.values_list("pk", flat=True):
        with transaction.atomic():
            agent = Agent.objects.select_for_update().filter(pk=agent_id, is_online=True).first()
            if agent is None or AgentConnection.objects.filter(agent_id=agent_id).exists():
                continue  # reconnected meanwhile
            if agent.disconnected_at is None:
                # Online with no socket and no stamp (a count from before connection rows):
                # start its grace period now rather than drop it at once.
                agent.disconnected_at = now
                agent.save(update_fields=["disconnected_at"])
                continue
            agent.is_online, agent.connection_count = False, 0
            agent.save(update_fields=["is_online", "connection_count"])
            departed.append(agent_id)
    return departed


# --- Availability for offers --------------------------------------------------------------
# Available or away (docs/dispatch.md). The dispatcher (tickets.dispatch) counts an offer that
# ran out unanswered as a miss and sets the agent away after OFFER_MISSES_BEFORE_AWAY of them
# in a row; any answer breaks the row. Away is left only on purpose: the agent says it is
# back (or an operator does). Callers that also touch tickets or offers hold the agent's row
# lock first (tickets.services' lock policy); these functions take it when they need it.

A = Agent.Availability


class AvailabilityError(Exception):
    pass


def agent_availability_set(
    *, agent_id: int, to: str, reason: str = "", actor: User | None = None
) -> bool:
    """Set an agent available or away, with an audit row; True if it changed.

    Asking for the availability the agent already has changes nothing (a second click, two
    tabs). Coming back available also forgets the missed offers that set it away.
    """
    if to not in A.values:
        raise AvailabilityError(f"Unknown availability: {to!r}.")
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent_id)
        if agent.availability == to:
            return False
        if to not in Agent.ALLOWED_AVAILABILITY_TRANSITIONS[agent.availability]:
            raise AvailabilityError(f"An agent who is {agent.availability} cannot become {to}.")
        changes = {"availability": to}
        if to == A.AVAILABLE:
            changes["consecutive_missed_offers"] = 0
        Agent.objects.filter(pk=agent_id).update(**changes)
        AgentAvailabilityEvent.objects.create(
            agent_id=agent_id,
            from_availability=agent.availability,
            to_availability=to,
            actor=actor,
            reason=reason,
        )
    return True


def agents_missed_offer(*, agent_ids: list[int]) -> list[int]:
    """Count one more offer missed in a row for each agent, and set away those who reached
    OFFER_MISSES_BEFORE_AWAY; returns the ids set away.

    The caller holds the agents' row locks (the expiry sweep, which expires their offers in
    the same transaction). A fixed number of queries, however many agents.
    """
    if not agent_ids:
        return []
    Agent.objects.filter(pk__in=agent_ids).update(
        consecutive_missed_offers=F("consecutive_missed_offers") + 1
    )
    away = list(
        Agent.objects.filter(
            pk__in=agent_ids,
            availability=A.AVAILABLE,
            consecutive_missed_offers__gte=settings.OFFER_MISSES_BEFORE_AWAY,
        )
        .order_by("pk")
        .values_list("pk", "consecutive_missed_offers")
    )
    if away:
        Agent.objects.filter(pk__in=[agent_id for agent_id, _ in away]).update(availability=A.AWAY)
        AgentAvailabilityEvent.objects.bulk_create(
            AgentAvailabilityEvent(
                agent_id=agent_id,
                from_availability=A.AVAILABLE,
                to_availability=A.AWAY,
                reason=f"{misses} offers in a row ran out unanswered",
            )
            for agent_id, misses in away
        )
    return [agent_id for agent_id, _ in away]


def agents_offered(*, agent_ids: list[int], at) -> None:
    """Stamp the agents just offered a ticket (the dispatcher's fairness); one UPDATE."""
    if agent_ids:
        Agent.objects.filter(pk__in=agent_ids).update(last_offered_at=at)


def agent_assigned(*, agent_id: int, at) -> None:
    """Stamp the agent that just took a ticket, by offer or by claim (the fairness again)."""
    Agent.objects.filter(pk=agent_id).update(last_assigned_at=at)


def agent_answered_offer(*, agent: Agent) -> None:
    """The agent answered an offer (accepted or declined): its row of misses is broken. The
    caller holds the agent's row lock; nothing is written if there was no miss to forget."""
    if agent.consecutive_missed_offers:
        Agent.objects.filter(pk=agent.pk).update(consecutive_missed_offers=0)
        agent.consecutive_missed_offers = 0


# --- Quality --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentQuality:
    """An agent's quality as quality.scoring computed it: the score (0–100, None when there
    was nothing to measure) and the tier it puts the agent in."""

    agent_id: int
    score: int | None
    tier: str


def agent_quality_set(*, qualities: Iterable[AgentQuality], at: datetime) -> int:
    """Record agents' quality scores and tiers as of ``at``; returns how many agents.

    Bulk: one UPDATE per 500 agents, whatever their number (the daily computation writes
    every active agent at once). Which tier an agent may move to is the caller's rule
    (quality.scoring never demotes to probation; staff do); this refuses only values the
    model does not know.
    """
    tiers = set(Agent.QualityTier.values)
    rows = []
    for quality in qualities:
        if quality.tier not in tiers:
            raise ValueError(f"unknown quality tier {quality.tier!r}")
        if quality.score is not None and not 0 <= quality.score <= 100:
            raise ValueError(f"a quality score is 0 to 100, not {quality.score}")
        rows.append(
            Agent(
                pk=quality.agent_id,
                quality_score=quality.score,
                quality_tier=quality.tier,
                quality_scored_at=at,
            )
        )
    Agent.objects.bulk_update(
        rows, ["quality_score", "quality_tier", "quality_scored_at"], batch_size=500
    )
    return len(rows)


# --- Login throttle ----------------------------------------------------------------------
# Failures count, successes do not: agents share addresses (a campus, an office, and behind
# a load balancer without TRUSTED_PROXIES the whole site), and counting every login locked
# out the 21st honest agent of an address. Limits: LOGIN_MAX_FAILURES per account and four
# times that per address (core.client_address.address_block), per
# LOGIN_FAILURE_WINDOW_SECONDS from the first failure.
ADDRESS_LIMIT_FACTOR = 4


def _account_key(email: str) -> str:
    email_hash = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:email:{email_hash}"


def _address_key(address: str) -> str:
    return f"login-failures:address:{address_block(address)}"


def login_attempt_reserve(*, email: str, address: str) -> bool:
    """Reserve a failure slot on the account and on the address before the password is
    checked; False (and nothing reserved) if either is full.

    Reserving with an atomic increment before the check, rather than counting after it,
    is what holds the limit under a concurrent burst: of N simultaneous guesses only the
    first LOGIN_MAX_FAILURES get to the password check. An attempt keeps its slot if the
    password is wrong; the caller calls ``login_succeeded`` only after this returned True
    and the credentials were right, which hands the slot back.
    """
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    account_key, address_key = _account_key(email), _address_key(address)
    account_count = counters.increment(account_key, window_seconds=window)
    address_count = counters.increment(address_key, window_seconds=window)
    if (
        account_count <= settings.LOGIN_MAX_FAILURES
        and address_count <= settings.LOGIN_MAX_FAILURES * ADDRESS_LIMIT_FACTOR
    ):
        return True
    # A refused attempt never reaches the password check, so it is no failure: it gives its
    # slots back, and hammering a full account does not also use up its address's budget.
    counters.decrement(account_key)
    counters.decrement(address_key)
    return False


def login_succeeded(*, email: str, address: str) -> None:
    """The reserved attempt had the right credentials: its slot on the address is handed
    back, and the account's failures are forgotten."""
    counters.decrement(_address_key(address))
    counters.reset(_account_key(email))


def staff_mail(*, subject: str, body: str) -> None:
    """Email every active staff user with an address, or ADMINS when there is none: the
    operators' alerts (ops.alerts, tickets.unserved)."""
    staff = list(
        User.objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
    )
    if staff:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, staff)
    else:
        mail_admins(subject, body)
