"""Celery tasks of agent onboarding: ids in, a service call, retries here.

They are enqueued on commit, so a rolled-back change never sends mail. Delivery is at least
once (acks_late): a worker lost after sending may send the same email again, which is the
better failure for a verification link or a reviewer's decision than never sending it.
"""

from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

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


# --- Shifts and surge (agents/shifts.py, agents/surge.py, docs/shifts.md) -----------------
# Periodic tasks are idempotent sweeps: a run that overlaps or repeats another finds the
# work done. Offers, re-offers and surge emails are enqueued on commit by the services.


@shared_task(acks_late=True)
def plan_and_match_shifts(week: str | None = None) -> int:
    """Forecast, staff and match a week (``YYYY-MM-DD`` of its Monday), or by default the
    rest of this week and the whole of the next. Returns the offers made."""
    from agents import forecast, shifts

    now = timezone.now()
    if week is not None:
        weeks = [shifts.parse_week(week)]
    else:
        weeks = [shifts.week_start_of(now), shifts.next_week_start(now)]
    offers = 0
    for week_start in weeks:
        forecast.week_demand_plan(week_start=week_start, now=now)
        shifts.shift_slots_plan(week_start=week_start)
        offers += shifts.shifts_match_week(week_start=week_start, now=now).offers_made
    return offers


@shared_task(acks_late=True)
def offer_slot_to_others(slot_id: int) -> int:
    from agents import shifts

    return shifts.slot_offer_to_others(slot_id=slot_id)


@shared_task(acks_late=True)
def expire_shift_offers() -> int:
    from agents import shifts

    return len(shifts.shift_offers_expire())


@shared_task(acks_late=True)
def sweep_shift_no_shows() -> int:
    from agents import shifts

    return len(shifts.shift_no_shows_sweep().no_shows)


@shared_task(acks_late=True)
def complete_ended_shifts() -> int:
    from agents import shifts

    return len(shifts.shifts_complete_ended())


@shared_task(acks_late=True)
def check_surge() -> None:
    from agents import surge

    surge.surge_check()


@shared_task(**_MAIL_RETRY)
def send_shift_offers_email(agent_id: int) -> None:
    from agents import shifts

    shifts.shift_offers_email_send(agent_id=agent_id)


@shared_task(**_MAIL_RETRY)
def send_surge_offers(surge_period_id: int) -> None:
    from agents import surge

    surge.surge_offers_send(surge_period_id=surge_period_id)
