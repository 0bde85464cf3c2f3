"""Surge: when the live queue waits too long, ask opted-in offline agents to come online.

``surge_check`` runs every ~10 s (workforce.tasks.check_surge). For each language it looks at
the oldest queued ticket: past ``SURGE_WAIT_TARGET_SECONDS`` a ``SurgePeriod`` opens, and
once the oldest wait is back under ``SURGE_END_WAIT_SECONDS`` (or nobody waits) it ends. The
two thresholds are the hysteresis that keeps a queue hovering at the target from starting
and ending a surge every ten seconds.

How agents hear of it: an email to every active agent who opted in, speaks the language and
is offline, and a banner on the portal pages for as long as the period is open
(``surges_open_for``). No websocket push: an offline agent has no socket. The email names
the pay, which the rate card in payouts knows: a new period is announced
(``workforce.signals.surge_started``), payouts enqueues the email task, and the task hands
``surge_offers_send`` the multiplier.

Payouts read the periods with ``surge_active_at``, so a ticket claimed during a surge is
paid with the rate card's multiplier; periods are never edited once ended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from agents.models import Agent
from tickets.models import Ticket
from workforce.models import SurgePeriod
from workforce.signals import surge_started


def surge_active_at(*, language: str, at: datetime) -> bool:
    """True if a surge of ``language`` was open at ``at`` (both ends inclusive).

    An open period (``ended_at`` null) counts from its start onwards.
    """
    return bool(surge_languages_at(languages=[language], at=at))


def surge_languages_at(*, languages: Iterable[str], at: datetime) -> set[str]:
    """Which of ``languages`` had a surge open at ``at`` (as ``surge_active_at``), in one
    query."""
    return set(
        SurgePeriod.objects.filter(
            Q(ended_at__isnull=True) | Q(ended_at__gte=at),
            language__in=set(languages),
            started_at__lte=at,
        )
        .order_by()
        .values_list("language", flat=True)
        .distinct()
    )


def surges_open_for(*, agent: Agent) -> list[SurgePeriod]:
    """The open surges an opted-in agent is asked to help with (the portal banner)."""
    if not agent.surge_opt_in:
        return []
    return list(
        SurgePeriod.objects.filter(ended_at__isnull=True, language__in=agent.languages).order_by(
            "language"
        )
    )


@dataclass(frozen=True)
class SurgeCheck:
    started: list[str]  # languages whose surge began in this check
    ended: list[str]  # languages whose surge ended in this check


def surge_check(*, now: datetime | None = None) -> SurgeCheck:
    """Start and end surge periods from the live queue; safe to run twice at once.

    A second start for a language is refused by the partial unique constraint (one open
    period per language) and is a no-op; ending is a conditional UPDATE on ``ended_at`` null.
    """
    now = now or timezone.now()
    target = timedelta(seconds=settings.SURGE_WAIT_TARGET_SECONDS)
    recovered = timedelta(seconds=settings.SURGE_END_WAIT_SECONDS)
    oldest = dict(
        Ticket.objects.filter(status=Ticket.Status.QUEUED, escalated_at__isnull=False)
        .values("language")
        .annotate(oldest=Min("escalated_at"))
        .values_list("language", "oldest")
    )
    open_languages = set(
        SurgePeriod.objects.filter(ended_at__isnull=True).values_list("language", flat=True)
    )
    started: list[str] = []
    for language, escalated_at in sorted(oldest.items()):
        waited = now - escalated_at
        if waited > target and language not in open_languages:
            period = _surge_start(language=language, now=now, waited=waited)
            if period is not None:
                started.append(language)
    ended: list[str] = []
    for language in sorted(open_languages):
        escalated_at = oldest.get(language)
        if escalated_at is None or now - escalated_at < recovered:
            ended_count = SurgePeriod.objects.filter(
                language=language, ended_at__isnull=True, started_at__lte=now
            ).update(ended_at=now)
            if ended_count:
                ended.append(language)
    return SurgeCheck(started=started, ended=ended)


def _surge_start(*, language: str, now: datetime, waited: timedelta) -> SurgePeriod | None:
    try:
        with transaction.atomic():
            period = SurgePeriod.objects.create(
                language=language,
                started_at=now,
                trigger_wait_seconds=int(waited.total_seconds()),
            )
            surge_started.send(sender=SurgePeriod, surge_period_id=period.pk)
    except IntegrityError:
        return None  # another check opened it first
    return period


def surge_offer_recipients(*, period: SurgePeriod) -> list[Agent]:
    """Active agents who opted in, speak the language and are not online."""
    agents = Agent.objects.select_related("user").filter(
        status=Agent.Status.ACTIVE, user__is_active=True, surge_opt_in=True, is_online=False
    )
    # languages is a JSON list; filtered here rather than with a JSON lookup SQLite lacks.
    return [agent for agent in agents if period.language in agent.languages]


def surge_offers_send(*, surge_period_id: int, multiplier_at: Callable[[datetime], str]) -> int:
    """Email the surge offer to its recipients (called by the Celery task); returns how many.

    ``multiplier_at`` gives the surge pay multiplier in force at a moment, as shown ("1.5").
    Nothing is sent for a period that already ended: a late or redelivered task would only
    call people in for a queue that has recovered.
    """
    period = SurgePeriod.objects.filter(pk=surge_period_id, ended_at__isnull=True).first()
    if period is None:
        return 0
    multiplier = multiplier_at(period.started_at)
    sent = 0
    for agent in surge_offer_recipients(period=period):
        context = {
            "agent": agent,
            "period": period,
            "multiplier": multiplier,
            "portal_url": f"{settings.SITE_URL}/portal/",
        }
        # In the language each agent reads Humanline in (docs/i18n.md).
        with translation.override(agent.email_language):
            body = render_to_string("emails/surge_offer.txt", context)
            subject = gettext("Customers are waiting: %(multiplier)s× pay now") % {
                "multiplier": multiplier
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [agent.user.email])
        sent += 1
    return sent
