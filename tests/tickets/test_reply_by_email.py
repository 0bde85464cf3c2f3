"""The customer who left a message is answered by email when its ticket is resolved, once;
the agent is told so, and never sees the address (tickets/reply_by_email.py)."""

import json
from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import AgentFactory, QueuedTicketFactory
from tickets import integrations, messages, protocol, reply_by_email, services
from tickets.models import Ticket
from tickets.tasks import send_overdue_reply_emails, send_reply_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return AgentFactory(user__first_name="Dana", user__last_name="Whitfield")


def awaiting_ticket(email: str = "ana@example.com", **fields) -> Ticket:
    ticket = QueuedTicketFactory(customer_name="Ana Lopez", **fields)
    services.ticket_email_reply_request(ticket_id=ticket.pk, email=email)
    return ticket


def claim_and_reply(ticket: Ticket, agent, body: str = "Your refund is on its way.") -> None:
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    messages.message_post_agent(ticket_id=ticket.pk, agent_id=agent.pk, client_id="r1", body=body)


def resolve(ticket: Ticket, agent, capture) -> None:
    with capture(execute=True):
        services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)


def test_resolving_mails_the_agents_reply_and_the_link_to_the_address_left(
    agent, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://help.example.com"
    ticket = awaiting_ticket()
    claim_and_reply(ticket, agent)

    resolve(ticket, agent, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ana@example.com"]
    assert email.subject == "Your conversation with Humanline support"
    assert "Your refund is on its way." in email.body
    assert f"https://help.example.com/chat/?c={ticket.token}" in email.body
    assert "Dana" in email.body
    ticket.refresh_from_db()
    assert ticket.reply_emailed_at is not None


def test_the_email_names_the_agent_by_first_name_only(agent, django_capture_on_commit_callbacks):
    ticket = awaiting_ticket()
    claim_and_reply(ticket, agent)

    resolve(ticket, agent, django_capture_on_commit_callbacks)

    assert "Whitfield" not in mail.outbox[0].body


def test_the_email_quotes_only_replies_written_after_the_customer_asked(
    agent, django_capture_on_commit_callbacks
):
    ticket = QueuedTicketFactory()
    claim_and_reply(ticket, agent, body="An earlier live answer.")
    services.ticket_release(ticket_id=ticket.pk, agent_id=agent.pk, reason="test")
    services.ticket_email_reply_request(ticket_id=ticket.pk, email="ana@example.com")
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    messages.message_post_agent(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="r2", body="The answer by email."
    )

    resolve(ticket, agent, django_capture_on_commit_callbacks)

    assert "The answer by email." in mail.outbox[0].body
    assert "An earlier live answer." not in mail.outbox[0].body


def test_a_ticket_handed_over_by_a_company_is_mailed_in_its_name(
    agent, django_capture_on_commit_callbacks
):
    integration = integrations.integration_create(name="Acme").integration
    ticket = awaiting_ticket(integration=integration)
    claim_and_reply(ticket, agent)

    resolve(ticket, agent, django_capture_on_commit_callbacks)

    assert mail.outbox[0].subject == "Your conversation with Acme support"


def test_the_task_run_twice_sends_one_email(agent, django_capture_on_commit_callbacks):
    ticket = awaiting_ticket()
    claim_and_reply(ticket, agent)
    resolve(ticket, agent, django_capture_on_commit_callbacks)

    assert send_reply_email.delay(ticket.pk).get() is False
    assert len(mail.outbox) == 1


def test_resolving_twice_sends_one_email(agent, django_capture_on_commit_callbacks):
    ticket = awaiting_ticket()
    claim_and_reply(ticket, agent)
    resolve(ticket, agent, django_capture_on_commit_callbacks)

    with pytest.raises(services.Forbidden):
        resolve(ticket, agent, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1


def test_a_ticket_without_an_address_left_sends_no_email(agent, django_capture_on_commit_callbacks):
    ticket = QueuedTicketFactory(customer_email="ana@example.com")
    claim_and_reply(ticket, agent)

    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)

    assert mail.outbox == []
    assert reply_by_email.reply_email_send(ticket_id=ticket.pk) is False
    assert mail.outbox == []
    assert enqueued  # the resolve's other after-commit work ran


def test_a_ticket_not_yet_resolved_is_not_mailed(agent):
    ticket = awaiting_ticket()
    claim_and_reply(ticket, agent)

    assert reply_by_email.reply_email_send(ticket_id=ticket.pk) is False
    assert mail.outbox == []


def test_a_failed_send_gives_the_claim_back_for_the_retry(agent, monkeypatch):
    ticket = awaiting_ticket()
    claim_and_reply(ticket, agent)
    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)  # on_commit not run

    def refuse(*args, **kwargs):
        raise SMTPException("try later")

    monkeypatch.setattr(reply_by_email, "send_mail", refuse)
    with pytest.raises(SMTPException):
        reply_by_email.reply_email_send(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert (ticket.reply_email_claimed_at, ticket.reply_emailed_at) == (None, None)

    monkeypatch.undo()
    assert reply_by_email.reply_email_send(ticket_id=ticket.pk) is True
    assert len(mail.outbox) == 1


# --- Nothing lost: the sweep sends what a dead worker, spent retries or a lost enqueue left --


def resolved_unsent(agent) -> Ticket:
    ticket = awaiting_ticket()
    claim_and_reply(ticket, agent)
    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)  # on_commit not run
    return ticket


def lease_ago(settings, extra_seconds: int = 1):
    return timezone.now() - timedelta(seconds=settings.REPLY_EMAIL_LEASE_SECONDS + extra_seconds)


def test_an_email_whose_worker_died_after_claiming_it_is_sent_once_its_lease_lapses(
    agent, settings
):
    ticket = resolved_unsent(agent)
    assert reply_by_email.reply_email_claim(ticket_id=ticket.pk) is not None  # then it died
    assert send_overdue_reply_emails() == 0
    Ticket.objects.filter(pk=ticket.pk).update(reply_email_claimed_at=lease_ago(settings))

    assert send_overdue_reply_emails() == 1

    assert len(mail.outbox) == 1
    ticket.refresh_from_db()
    assert ticket.reply_emailed_at is not None
    assert send_overdue_reply_emails() == 0


def test_a_live_claim_keeps_a_second_sender_out(agent):
    ticket = resolved_unsent(agent)
    assert reply_by_email.reply_email_claim(ticket_id=ticket.pk) is not None

    assert reply_by_email.reply_email_send(ticket_id=ticket.pk) is False
    assert mail.outbox == []


def test_a_resolve_whose_send_was_never_enqueued_is_sent_by_the_sweep(agent, settings):
    ticket = resolved_unsent(agent)
    assert send_overdue_reply_emails() == 0  # just resolved: its own send may be on the way
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=lease_ago(settings))

    assert send_overdue_reply_emails() == 1

    assert len(mail.outbox) == 1


def test_an_email_sent_is_never_swept_again(agent, settings, django_capture_on_commit_callbacks):
    ticket = awaiting_ticket()
    claim_and_reply(ticket, agent)
    resolve(ticket, agent, django_capture_on_commit_callbacks)
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=lease_ago(settings), reply_email_claimed_at=lease_ago(settings)
    )

    assert send_overdue_reply_emails() == 0
    assert len(mail.outbox) == 1


def test_the_sweep_gives_up_on_an_email_days_after_the_resolve(agent):
    ticket = resolved_unsent(agent)
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=timezone.now() - reply_by_email.REPLY_EMAIL_SWEEP_MAX_AGE - timedelta(minutes=1)
    )

    assert send_overdue_reply_emails() == 0
    assert mail.outbox == []


def test_finding_the_overdue_emails_is_one_query(agent, settings, django_assert_num_queries):
    for _ in range(3):
        resolved_unsent(agent)
    Ticket.objects.update(resolved_at=lease_ago(settings))

    with django_assert_num_queries(1):
        overdue = reply_by_email.reply_emails_overdue()

    assert len(overdue) == 3


def test_the_sweep_runs_every_two_minutes_on_the_batch_queue(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["send-overdue-reply-emails"]

    assert schedule["task"] == "tickets.tasks.send_overdue_reply_emails"
    assert schedule["schedule"] == timedelta(minutes=2)
    assert settings.CELERY_TASK_ROUTES["tickets.tasks.send_overdue_reply_emails"] == {
        "queue": settings.CELERY_BATCH_QUEUE
    }


def test_the_send_is_routed_to_the_batch_queue(settings):
    assert settings.CELERY_TASK_ROUTES["tickets.tasks.send_reply_email"] == {
        "queue": settings.CELERY_BATCH_QUEUE
    }


# --- What the agent sees ---------------------------------------------------------------------


def test_the_agent_is_told_the_customer_will_be_answered_by_email_but_not_where(agent, settings):
    settings.ROUTING_MODE = "pick"
    ticket = awaiting_ticket(email="ana.secret@example.com")

    snapshot = protocol.agent_snapshot(agent=agent)
    claimed = protocol.agent_claim(agent_id=agent.pk, ticket_id=ticket.pk)
    held = protocol.agent_snapshot(agent=agent)

    assert snapshot.queue_event["tickets"][0]["reply_by_email"] is True
    assert claimed["ticket"]["reply_by_email"] is True
    assert held.assigned_event["tickets"][0]["reply_by_email"] is True
    for frame in (snapshot.queue_event, claimed, held.assigned_event):
        assert "ana.secret" not in json.dumps(frame)


def test_a_ticket_whose_customer_waits_on_the_page_is_not_marked_reply_by_email(agent, settings):
    settings.ROUTING_MODE = "pick"
    QueuedTicketFactory()

    snapshot = protocol.agent_snapshot(agent=agent)

    assert snapshot.queue_event["tickets"][0]["reply_by_email"] is False
