"""Celery tasks of quality: small, and safe to run twice."""

from celery import shared_task

from core.jobs import AT_LEAST_ONCE
from quality import scoring


@shared_task(**AT_LEAST_ONCE)
def compute_quality_scores() -> int:
    """Every agent's quality score and tier from the last 30 days (daily, by beat; safe to
    run at any time: a second run of the day rewrites the day's rows)."""
    return scoring.agent_quality_scores_compute()
