"""Celery tasks of the operator's cockpit: safe to run twice (docs/ops.md)."""

from celery import shared_task

from core.jobs import AT_LEAST_ONCE, MAIL_RETRY
from ops import alerts, history


# Retried on a mail error: the throttle's claims were given back, so a retry sends the same.
@shared_task(name="ops.tasks.alert_staff", **MAIL_RETRY)
def alert_staff() -> int:
    """Email staff the cockpit's new alerts; safe to run twice at once (throttled)."""
    return len(alerts.alerts_email())


# Every 10 minutes, by beat: today's and yesterday's rows of the always-a-human report. A
# second run rewrites the same rows.
@shared_task(**AT_LEAST_ONCE)
def record_human_access() -> int:
    return history.human_access_record()
