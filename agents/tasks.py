"""Celery tasks of agent onboarding: ids in, a service call, retries here.

They are enqueued on commit, so a rolled-back change never sends mail. Delivery is at least
once (acks_late): a worker lost after sending may send the same email again, which is the
better failure for a verification link or a reviewer's decision than never sending it.
"""

from celery import shared_task

from agents import onboarding
from core.jobs import MAIL_RETRY

# ``site_url``: where the request that caused the email came in (core/site_url.py); None in
# messages enqueued without one, which then link to SITE_URL.


@shared_task(**MAIL_RETRY)
def send_verification_email(agent_id: int, site_url: str | None = None) -> None:
    onboarding.email_verification_send(agent_id=agent_id, site_url=site_url)


@shared_task(**MAIL_RETRY)
def send_status_email(status_event_id: int, site_url: str | None = None) -> None:
    onboarding.status_email_send(event_id=status_event_id, site_url=site_url)
