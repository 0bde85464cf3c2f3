"""Celery tasks of the operator's cockpit: safe to run twice (docs/ops-report.md)."""

from celery import shared_task

from core.jobs import AT_LEAST_ONCE
from ops import history


# Every 10 minutes, by beat: today's and yesterday's rows of the always-a-human report. A
# second run rewrites the same rows.
@shared_task(**AT_LEAST_ONCE)
def record_human_access() -> int:
    return history.human_access_record()
