"""Celery tasks of agent onboarding: ids in, a service call, retries here.

They are enqueued on commit, so a rolled-back change never sends mail. Delivery is at least
once (acks_late): a worker lost after sending may send the same email again, which is the
better failure for a verification link or a reviewer's decision than never sending it.
"""

from smtplib import SMTPException

from celery import shared_task

from agents import onboarding

_MAIL_RETRY = {
    "acks_late": True,
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**_MAIL_RETRY)
def send_verification_email(agent_id: int) -> None:
    onboarding.email_verification_send(agent_id=agent_id)


@shared_task(**_MAIL_RETRY)
def send_status_email(status_event_id: int) -> None:
    onboarding.status_email_send(event_id=status_event_id)
