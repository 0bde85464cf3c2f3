"""Celery tasks of the quality loop: ids in, a service call, safe to run twice
(docs/quality.md)."""

from celery import shared_task

from core.jobs import AT_LEAST_ONCE, MAIL_RETRY
from quality import consequences, scoring


@shared_task(**AT_LEAST_ONCE)
def compute_quality_scores() -> int:
    """Every agent's quality score and tier from the last 30 days (daily, by beat; safe to
    run at any time: a second run of the day rewrites the day's rows)."""
    return scoring.agent_quality_scores_compute()


# Daily at 02:30 UTC, after the scores (02:00). Safe to run twice: an agent with an open
# proposal, or one decided lately, gets none.
@shared_task(**AT_LEAST_ONCE)
def propose_consequences() -> int:
    return len(consequences.consequences_propose())


@shared_task(**MAIL_RETRY)
def send_consequence_email(proposal_id: int, site_url: str | None = None) -> None:
    consequences.consequence_email_send(proposal_id=proposal_id, site_url=site_url)
