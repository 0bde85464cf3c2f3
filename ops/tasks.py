"""Celery tasks of the operator's cockpit."""

from celery import shared_task

from core.jobs import MAIL_RETRY
from ops import alerts


# Retried on a mail error: the throttle's claims were given back, so a retry sends the same.
@shared_task(name="ops.tasks.alert_staff", **MAIL_RETRY)
def alert_staff() -> int:
    """Email staff the cockpit's new alerts; safe to run twice at once (throttled)."""
    return len(alerts.alerts_email())
