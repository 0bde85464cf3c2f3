"""The cockpit's alerts (docs/ops.md, "Alerts"): read from the live snapshot, shown at the
top of /ops/, emailed to staff (throttled) and exposed in /metrics.

Three kinds, each with a key so that one language or one need is one alert:

* ``wait_over_target``: a language's oldest queued ticket has waited longer than
  SERVICE_LEVEL_TARGET_SECONDS (key: the language);
* ``no_agent``: tickets of a language and skills wait with nobody online and available who can
  take them (``can_take``, the dispatcher's rule), the oldest for at least
  QUEUE_UNSERVED_ALERT_AFTER_SECONDS (key: language and skills). This replaced the email of
  tickets/unserved.py, so an unserved queue is one email, not two;
* ``payout_failed``: a payout failed in the last 24 hours (key: ``payouts``).

``alerts_email`` (every 30 s, ops.tasks.alert_staff) claims each alert's email with
``cache.add`` and a timeout of ALERT_EMAIL_THROTTLE_MINUTES: an atomic "set if absent" in Redis,
so two workers, or beat and the embedded scheduler, never both send one. An alert still on
after the throttle is emailed again, as a reminder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone

from agents.services import staff_mail
from ops.selectors import (
    DAY,
    LanguageRow,
    LiveSnapshot,
    NeedRow,
    language_rows,
    live_snapshot,
    need_rows,
    online_agents,
    payouts_failed_since,
)
from payouts.models import Payout
from tickets.models import Ticket
from tickets.selectors import QueuedNeed

logger = logging.getLogger(__name__)

WAIT_OVER_TARGET = "wait_over_target"
NO_AGENT = "no_agent"
PAYOUT_FAILED = "payout_failed"
KINDS = (WAIT_OVER_TARGET, NO_AGENT, PAYOUT_FAILED)


@dataclass(frozen=True)
class Alert:
    kind: str
    key: str
    message: str
    link: str  # the admin list behind it

    @property
    def throttle_key(self) -> str:
        return f"ops:alert-email:{self.kind}:{self.key}"


def _admin(path: str, **filters: str) -> str:
    return f"/admin/{path}/?{urlencode(filters)}" if filters else f"/admin/{path}/"


def alerts_from(snapshot: LiveSnapshot) -> list[Alert]:
    """The alerts the snapshot shows."""
    return alerts_for(
        target_seconds=snapshot.target_seconds,
        languages=snapshot.languages,
        needs=snapshot.needs,
        payouts_failed_recent=snapshot.payouts.failed_recent,
    )


def alerts_now(*, now: datetime, queued: list[QueuedNeed]) -> list[Alert]:
    """The alerts, from the queue already read and two more queries (the online agents, the
    day's failed payouts): what /metrics costs for them."""
    return alerts_for(
        target_seconds=settings.SERVICE_LEVEL_TARGET_SECONDS,
        languages=language_rows(now, queued),
        needs=need_rows(now, queued, online_agents()),
        payouts_failed_recent=payouts_failed_since(now - DAY),
    )


def alerts_for(
    *,
    target_seconds: int,
    languages: list[LanguageRow],
    needs: list[NeedRow],
    payouts_failed_recent: int,
) -> list[Alert]:
    """The alerts of these figures, in kind order, then key order."""
    alerts = []
    for row in languages:
        if row.oldest_wait_seconds is not None and row.oldest_wait_seconds > target_seconds:
            alerts.append(
                Alert(
                    kind=WAIT_OVER_TARGET,
                    key=row.language,
                    message=(
                        f"{row.language}: the oldest of {row.waiting} waiting has waited "
                        f"{row.oldest_wait_seconds} s (target {target_seconds} s)"
                    ),
                    link=_admin(
                        "tickets/ticket",
                        status__exact=Ticket.Status.QUEUED,
                        language__exact=row.language,
                    ),
                )
            )
    for need in needs:
        if (
            need.waiting
            and not need.agents_available
            and (need.oldest_wait_seconds or 0) >= settings.QUEUE_UNSERVED_ALERT_AFTER_SECONDS
        ):
            alerts.append(
                Alert(
                    kind=NO_AGENT,
                    key=f"{need.language}:{','.join(need.skills)}",
                    message=(
                        f"{need.label}: {need.waiting} waiting with nobody online and available "
                        f"who can take them (the oldest for {need.oldest_wait_seconds} s)"
                    ),
                    link=_admin(
                        "tickets/ticket",
                        status__exact=Ticket.Status.QUEUED,
                        language__exact=need.language,
                    ),
                )
            )
    if payouts_failed_recent:
        alerts.append(
            Alert(
                kind=PAYOUT_FAILED,
                key="payouts",
                message=f"{payouts_failed_recent} payout(s) failed in the last 24 hours",
                link=_admin("payouts/payout", status__exact=Payout.Status.FAILED),
            )
        )
    return alerts


def alerts_email(*, now: datetime | None = None) -> list[Alert]:
    """Email staff the alerts on now that were not emailed within the throttle; returns those
    emailed. No transaction is open: the email goes after the reads. If sending fails, the
    claims are given back so that the next run tries again rather than staying silent."""
    now = now or timezone.now()
    timeout = settings.ALERT_EMAIL_THROTTLE_MINUTES * 60
    fresh = [
        alert
        for alert in alerts_from(live_snapshot(now=now))
        if cache.add(alert.throttle_key, now.isoformat(), timeout)
    ]
    if not fresh:
        return []
    for alert in fresh:
        logger.warning("ops alert %s: %s", alert.kind, alert.message)
    body = render_to_string(
        "emails/ops_alerts.txt",
        {
            "alerts": fresh,
            "site_url": settings.SITE_URL,
            "throttle_minutes": settings.ALERT_EMAIL_THROTTLE_MINUTES,
        },
    )
    subject = f"Humanline: {fresh[0].message}" + (
        f" (and {len(fresh) - 1} more)" if len(fresh) > 1 else ""
    )
    try:
        staff_mail(subject=subject[:200], body=body)
    except Exception:
        cache.delete_many([alert.throttle_key for alert in fresh])
        raise
    return fresh
