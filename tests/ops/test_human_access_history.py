"""The always-a-human history (ops.history): a seeded day's figures equal those computed
directly from its tickets, and recomputing changes nothing."""

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from ops.history import human_access_backfill, human_access_compute, human_access_record
from ops.models import DailyHumanAccess
from tests.factories import AgentFactory, TicketFactory
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 3)
Status = Ticket.Status


def at(hour: int, minute: int = 0, second: int = 0, *, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def event(ticket, from_status, to_status, when, agent=None):
    row = TicketEvent.objects.create(
        ticket=ticket,
        from_status=from_status,
        to_status=to_status,
        actor_kind="system",
        agent=agent,
    )
    TicketEvent.objects.filter(pk=row.pk).update(created_at=when)


def escalated(language, when, **fields):
    ticket = TicketFactory(
        language=language,
        escalated_at=when,
        escalation_reason=Ticket.EscalationReason.CUSTOMER_REQUEST,
        status=Status.QUEUED,
        **fields,
    )
    event(ticket, Status.BOT, Status.QUEUED, when)
    return ticket


def claimed(ticket, when, agent):
    event(ticket, Status.QUEUED, Status.ASSIGNED, when, agent)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.ASSIGNED, agent=agent, claimed_at=when)


def released(ticket, when, agent):
    event(ticket, Status.ASSIGNED, Status.QUEUED, when, agent)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.QUEUED, agent=None, claimed_at=None)


def resolved(ticket, when, agent, **fields):
    event(ticket, Status.ASSIGNED, Status.RESOLVED, when, agent)
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.RESOLVED, resolved_at=when, resolved_by=agent, **fields
    )


def abandoned(ticket, when):
    event(ticket, Ticket.objects.get(pk=ticket.pk).status, Status.ABANDONED, when)
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.ABANDONED, abandoned_at=when, agent=None
    )


@pytest.fixture
def seeded_day():
    """A day of every kind of ticket in English and German, and tickets around it."""
    agent = AgentFactory()
    # English
    fast = escalated("en", at(9))
    claimed(fast, at(9, 0, 20), agent)
    resolved(fast, at(9, 10), agent)
    slow = escalated("en", at(10))
    claimed(slow, at(10, 25), agent)
    resolved(slow, at(10, 40), agent)
    reclaimed = escalated("en", at(11))
    claimed(reclaimed, at(11, 2), agent)
    released(reclaimed, at(11, 10), agent)
    claimed(reclaimed, at(11, 30), agent)
    served_then_gone = escalated("en", at(11, 15))
    claimed(served_then_gone, at(11, 16, 5), agent)
    released(served_then_gone, at(11, 20), agent)
    abandoned(served_then_gone, at(11, 50))
    gave_up = escalated("en", at(12))
    abandoned(gave_up, at(12, 7, 30))
    gave_up_later = escalated("en", at(13))
    abandoned(gave_up_later, at(13, 31))
    escalated("en", at(23, 50))  # still waiting at midnight
    after_midnight = escalated("en", at(23, 55))
    claimed(after_midnight, at(0, 10, day=DAY + timedelta(days=1)), agent)
    reopened = escalated("en", at(15))
    claimed(reopened, at(15, 3), agent)
    resolved(reopened, at(15, 20), agent)
    event(reopened, Status.RESOLVED, Status.QUEUED, at(16))
    claimed(reopened, at(16, 1), agent)
    # German
    message_answered = escalated("de", at(14))
    Ticket.objects.filter(pk=message_answered.pk).update(
        reply_email="kunde@example.com", reply_email_requested_at=at(14, 5)
    )
    claimed(message_answered, at(16), agent)
    resolved(message_answered, at(16, 20), agent, reply_emailed_at=at(16, 20, 5))
    message_waiting = escalated("de", at(18))
    Ticket.objects.filter(pk=message_waiting.pk).update(
        reply_email="wartet@example.com", reply_email_requested_at=at(18, 2)
    )
    de_fast = escalated("de", at(8))
    claimed(de_fast, at(8, 0, 45), agent)
    de_gone = escalated("de", at(19))
    abandoned(de_gone, at(19, 0, 40))
    # Not of the day: escalated the evening before, the morning after, never escalated.
    before = escalated("en", at(23, 59, 59, day=DAY - timedelta(days=1)))
    claimed(before, at(0, 5), agent)
    escalated("fr", at(0, 0, 0, day=DAY + timedelta(days=1)))
    TicketFactory(language="en")  # with the assistant only
    bot_gone = TicketFactory(language="en")
    abandoned(bot_gone, at(12))


def nearest_rank(values, percent):
    ordered = sorted(values)
    return ordered[math.ceil(percent / 100 * len(ordered)) - 1]


def direct_figures(language=None):
    """The figures computed the plain way: ticket by ticket, from its events."""
    start = at(0)
    tickets = [
        t
        for t in Ticket.objects.all()
        if t.escalated_at is not None
        and start <= t.escalated_at < start + timedelta(days=1)
        and (language is None or t.language == language)
    ]
    waits, gave_up_after = [], []
    for t in tickets:
        claims = [
            e.created_at for e in TicketEvent.objects.filter(ticket=t, to_status=Status.ASSIGNED)
        ]
        if claims:
            waits.append(int((min(claims) - t.escalated_at).total_seconds()))
        elif t.abandoned_at is not None:
            gave_up_after.append(int((t.abandoned_at - t.escalated_at).total_seconds()))
    return {
        "asked": len(tickets),
        "got_person": len(waits),
        "wait_median_seconds": nearest_rank(waits, 50) if waits else None,
        "wait_p90_seconds": nearest_rank(waits, 90) if waits else None,
        "wait_max_seconds": max(waits) if waits else None,
        "gave_up": len(gave_up_after),
        "gave_up_after_median_seconds": nearest_rank(gave_up_after, 50) if gave_up_after else None,
        "gave_up_after_max_seconds": max(gave_up_after) if gave_up_after else None,
        "waiting": len(tickets) - len(waits) - len(gave_up_after),
        "offered_other_way": sum(t.reply_email_requested_at is not None for t in tickets),
        "email_replied": sum(t.reply_emailed_at is not None for t in tickets),
    }


def stored_figures(language):
    row = DailyHumanAccess.objects.get(day=DAY, language=language)
    return {name: getattr(row, name) for name in direct_figures()}


def test_each_language_of_a_seeded_day_equals_the_direct_computation(seeded_day):
    human_access_compute(day=DAY)

    assert stored_figures("en") == direct_figures("en")
    assert stored_figures("de") == direct_figures("de")


def test_the_whole_day_equals_the_direct_computation(seeded_day):
    human_access_compute(day=DAY)

    assert stored_figures(DailyHumanAccess.ALL_LANGUAGES) == direct_figures()


def test_the_seeded_day_reads_as_its_tickets_say(seeded_day):
    """The direct computation itself, checked against the seed by hand."""
    human_access_compute(day=DAY)

    en = stored_figures("en")
    assert en["asked"] == 9
    assert (
        en["got_person"] == 6
    )  # fast, slow, reclaimed, served then gone, after midnight, reopened
    assert en["wait_max_seconds"] == 25 * 60  # slow; the reclaimed one waited 2 min, not 30
    assert en["gave_up"] == 2
    assert en["gave_up_after_max_seconds"] == 31 * 60
    assert en["waiting"] == 1
    de = stored_figures("de")
    assert (de["asked"], de["got_person"], de["gave_up"], de["waiting"]) == (4, 2, 1, 1)
    assert (de["offered_other_way"], de["email_replied"]) == (2, 1)


def test_only_languages_escalated_that_day_have_rows(seeded_day):
    human_access_compute(day=DAY)

    assert set(DailyHumanAccess.objects.filter(day=DAY).values_list("language", flat=True)) == {
        "",
        "de",
        "en",
    }


def test_a_day_without_escalations_has_no_rows(seeded_day):
    assert human_access_compute(day=DAY - timedelta(days=10)) == []
    assert not DailyHumanAccess.objects.filter(day=DAY - timedelta(days=10)).exists()


def test_a_ticket_claimed_without_a_claim_in_its_audit_trail_got_a_person_at_its_claim_time():
    # Written before the audit trail, or imported: a claim time, no "assigned" event.
    TicketFactory(
        language="en",
        status=Status.RESOLVED,
        escalated_at=at(10),
        claimed_at=at(10, 0, 40),
        resolved_at=at(10, 9),
    )

    (row,) = [r for r in human_access_compute(day=DAY) if r.language == "en"]

    assert (row.asked, row.got_person, row.waiting, row.wait_max_seconds) == (1, 1, 0, 40)


def test_computing_a_day_twice_leaves_the_same_rows(seeded_day):
    human_access_compute(day=DAY, now=at(23, 59))
    first = list(DailyHumanAccess.objects.values())

    human_access_compute(day=DAY, now=at(23, 59))

    assert list(DailyHumanAccess.objects.values()) == first


def test_recomputing_follows_tickets_served_since(seeded_day):
    human_access_compute(day=DAY)
    waiting = Ticket.objects.get(language="en", escalated_at=at(23, 50))
    claimed(waiting, at(0, 20, day=DAY + timedelta(days=1)), AgentFactory())

    human_access_compute(day=DAY)

    assert stored_figures("en") == direct_figures("en")
    assert stored_figures("en")["waiting"] == 0


def test_computing_a_day_takes_three_queries_whatever_its_tickets(
    seeded_day, django_assert_num_queries
):
    # The tickets, the upsert, the removal; and the savepoint around the two writes.
    with django_assert_num_queries(5):
        human_access_compute(day=DAY)


def test_the_task_recomputes_today_and_yesterday(seeded_day):
    human_access_record(now=at(1, day=DAY + timedelta(days=1)))

    assert set(DailyHumanAccess.objects.values_list("day", flat=True)) == {
        DAY,
        DAY + timedelta(days=1),
    }


def test_the_backfill_computes_each_day_of_the_window(seeded_day):
    human_access_backfill(days=3, now=at(12, day=DAY + timedelta(days=1)))

    assert set(DailyHumanAccess.objects.values_list("day", flat=True)) == {
        DAY - timedelta(days=1),
        DAY,
        DAY + timedelta(days=1),
    }


def test_the_backfill_command_reports_what_it_wrote(seeded_day, capsys):
    call_command("backfill_human_access", "--days", "2")

    assert "row(s) of the last 2 day(s) computed" in capsys.readouterr().out


def test_the_task_recomputes_an_older_day_whose_ticket_was_served_since(seeded_day):
    later = DAY + timedelta(days=5)
    human_access_backfill(days=7, now=at(12, day=later))
    waiting = Ticket.objects.get(language="de", reply_email_requested_at=at(18, 2))
    claimed(waiting, at(12, 5, day=later), AgentFactory())

    human_access_record(now=at(12, 10, day=later))

    assert stored_figures("de") == direct_figures("de")
    assert stored_figures("de")["waiting"] == 0


def test_the_task_leaves_older_days_untouched_when_nothing_moved(seeded_day):
    later = DAY + timedelta(days=5)
    human_access_backfill(days=7, now=at(12, day=later))

    human_access_record(now=at(12, 10, day=later))

    assert DailyHumanAccess.objects.get(day=DAY, language="en").computed_at == at(12, day=later)


def test_days_follow_the_report_time_zone(settings):
    settings.OPS_REPORT_TIME_ZONE = "Europe/Paris"
    # 23:30 UTC on 3 November is 00:30 on 4 November in Paris.
    escalated("en", at(23, 30))
    escalated("en", at(22, 30))

    human_access_compute(day=DAY)
    human_access_compute(day=DAY + timedelta(days=1))

    assert DailyHumanAccess.objects.get(day=DAY, language="en").asked == 1
    assert DailyHumanAccess.objects.get(day=DAY + timedelta(days=1), language="en").asked == 1


def test_the_task_recomputes_older_days_in_the_report_time_zone(settings):
    settings.OPS_REPORT_TIME_ZONE = "America/New_York"
    later = DAY + timedelta(days=5)
    # 03:00 UTC on 3 November is 22:00 on 2 November in New York.
    ticket = escalated("en", at(3))
    human_access_backfill(days=7, now=at(12, day=later))
    claimed(ticket, at(12, 5, day=later), AgentFactory())

    human_access_record(now=at(12, 10, day=later))

    row = DailyHumanAccess.objects.get(day=DAY - timedelta(days=1), language="en")
    assert (row.got_person, row.waiting) == (1, 0)
