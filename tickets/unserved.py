"""Tickets waiting with nobody online who can take them: the operators' alert (issue #19).

A queue the online agents cannot serve does not shorten by itself: a ticket needing a skill
nobody online has (an urgent fraud case at night) waits until someone who has it logs in.
The customer is told so (tickets.selectors.WaitEstimate); the operators are told here, by a
WARNING in the log and an email to staff, so that someone can be called in.

``unserved_queue_alert`` runs every minute (tickets.tasks.alert_unserved_queue). Each
language and set of skills is alerted at most once per QUEUE_UNSERVED_ALERT_THROTTLE_SECONDS,
decided by ``cache.add``: an atomic "set if absent" in Redis, so two workers, or beat and the
embedded scheduler, never both send it. Who can take a ticket is ``can_take``, the
dispatcher's own rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min
from django.template.loader import render_to_string
from django.utils import timezone

from agents.services import staff_mail
from tickets import selectors
from tickets.dispatch_ranking import can_take
from tickets.models import Ticket

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnservedNeed:
    """Queued tickets of one language and set of skills that nobody online can take."""

    language: str
    skills: tuple[str, ...]
    waiting: int
    oldest_wait_seconds: int

    @property
    def label(self) -> str:
        skills = ", ".join(self.skills) or "no particular skill"
        return f"{self.language} / {skills}"


def unserved_needs(*, now: datetime) -> list[UnservedNeed]:
    """The languages and skills whose queued tickets nobody online and available can take,
    among tickets waiting at least QUEUE_UNSERVED_ALERT_AFTER_SECONDS (an agent reconnecting
    for a moment is no emergency). Two queries: the queue grouped, the online agents."""
    waited_since = now - timedelta(seconds=settings.QUEUE_UNSERVED_ALERT_AFTER_SECONDS)
    rows = (
        Ticket.objects.filter(status=Ticket.Status.QUEUED, escalated_at__lte=waited_since)
        .order_by()
        .values_list("language", "required_skills")
        .annotate(waiting=Count("pk"), oldest=Min("escalated_at"))
    )
    grouped: dict[tuple[str, tuple[str, ...]], tuple[int, datetime]] = {}
    for language, required, waiting, oldest in rows:
        key = (language, tuple(sorted(required)))
        if key in grouped:
            waiting, oldest = waiting + grouped[key][0], min(oldest, grouped[key][1])
        grouped[key] = (waiting, oldest)
    if not grouped:
        return []
    profiles = selectors.online_agent_profiles()
    return [
        UnservedNeed(
            language=language,
            skills=skills,
            waiting=waiting,
            oldest_wait_seconds=max(0, int((now - oldest).total_seconds())),
        )
        for (language, skills), (waiting, oldest) in sorted(grouped.items())
        if not any(
            can_take(language=language, required_skills=skills, languages=speaks, skills=has)
            for _, speaks, has, _ in profiles
        )
    ]


def _alert_key(need: UnservedNeed) -> str:
    return f"tickets:unserved-alert:{need.language}:{','.join(need.skills)}"


def unserved_queue_alert(*, now: datetime | None = None) -> list[UnservedNeed]:
    """Warn the operators of the unserved needs not alerted within the throttle; returns
    those alerted now. No transaction is open here: the email is sent after the reads.

    A need claims its alert with ``cache.add`` before the email goes; if sending fails the
    claims are given back, so the next run tries again rather than staying silent."""
    now = now or timezone.now()
    fresh = [
        need
        for need in unserved_needs(now=now)
        if cache.add(
            _alert_key(need), now.isoformat(), settings.QUEUE_UNSERVED_ALERT_THROTTLE_SECONDS
        )
    ]
    if not fresh:
        return []
    for need in fresh:
        logger.warning(
            "%d queued ticket(s) of %s wait with nobody online who can take them (oldest %d s)",
            need.waiting,
            need.label,
            need.oldest_wait_seconds,
        )
    subject = "Customers are waiting with nobody online who can help"
    body = render_to_string(
        "emails/unserved_queue.txt",
        {
            "needs": fresh,
            "throttle_minutes": settings.QUEUE_UNSERVED_ALERT_THROTTLE_SECONDS // 60,
        },
    )
    try:
        staff_mail(subject=subject, body=body)
    except Exception:
        cache.delete_many([_alert_key(need) for need in fresh])
        raise
    return fresh
