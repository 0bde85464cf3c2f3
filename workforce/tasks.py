"""Celery tasks of shifts and surge: ids in, a service call (docs/shifts.md).

Periodic tasks are idempotent sweeps: a run that overlaps or repeats another finds the work
done. Offers, re-offers and surge emails are enqueued on commit by the services, by name.
The names are those the tasks had when they lived in agents.tasks, so that messages queued
before a deploy, and beat schedules, still find them.
"""

from celery import shared_task
from django.utils import timezone

from core.jobs import MAIL_RETRY
from workforce import calendar, forecast, offers, shifts, surge


# Forecast, staffing and an assignment solve for two weeks of slots: the solver stops itself
# after 120 s a week (offers._match_and_offer), the rest is minutes at most. A week's offers
# are written in one transaction, so a run cut short leaves whole weeks or none, and the
# next (hourly) run finds the offers already made and matches only the free seats.
@shared_task(
    name="agents.tasks.plan_and_match_shifts",
    acks_late=True,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
)
def plan_and_match_shifts(week: str | None = None) -> int:
    """Forecast, staff and match a week (``YYYY-MM-DD`` of its Monday), or by default the
    rest of this week and the whole of the next. Returns the offers made."""
    now = timezone.now()
    if week is not None:
        weeks = [calendar.parse_week(week)]
    else:
        weeks = [calendar.week_start_of(now), calendar.next_week_start(now)]
    offers_made = 0
    for week_start in weeks:
        forecast.week_demand_plan(week_start=week_start, now=now)
        shifts.shift_slots_plan(week_start=week_start)
        offers_made += offers.shifts_match_week(week_start=week_start, now=now).offers_made
    return offers_made


@shared_task(name="agents.tasks.offer_slot_to_others", acks_late=True)
def offer_slot_to_others(slot_id: int) -> int:
    return offers.slot_offer_to_others(slot_id=slot_id)


@shared_task(name="agents.tasks.expire_shift_offers", acks_late=True)
def expire_shift_offers() -> int:
    return len(shifts.shift_offers_expire())


@shared_task(name="agents.tasks.sweep_shift_no_shows", acks_late=True)
def sweep_shift_no_shows() -> int:
    return len(shifts.shift_no_shows_sweep().no_shows)


@shared_task(name="agents.tasks.complete_ended_shifts", acks_late=True)
def complete_ended_shifts() -> int:
    return len(shifts.shifts_complete_ended())


@shared_task(name="agents.tasks.check_surge", acks_late=True)
def check_surge() -> None:
    surge.surge_check()


@shared_task(name="agents.tasks.send_shift_offers_email", **MAIL_RETRY)
def send_shift_offers_email(agent_id: int) -> None:
    offers.shift_offers_email_send(agent_id=agent_id)
