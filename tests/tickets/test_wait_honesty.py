"""Issue #19: the wait a customer is told counts only the agents who can take its ticket;
with none online it says so, the customer may leave an email address for the reply, agents
without the skill see why their queue looks empty, and operators are alerted."""

import json
import logging
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.utils import timezone

from tests.factories import (
    AgentFactory,
    QueuedTicketFactory,
    ShiftAssignmentFactory,
    ShiftSlotFactory,
    UserFactory,
)
from tests.tickets.wsclient import open_customer
from tickets import announce, protocol, selectors, services, unserved
from tickets.frames import CUSTOMER_FRAMES, FrameError, parse_frame
from tickets.models import Ticket
from tickets.selectors import DispatchView, WaitEstimate
from tickets.services import TicketError
from workforce.models import ShiftAssignment

FRAUD = ["fraud"]


def fraud_ticket(**fields) -> Ticket:
    return QueuedTicketFactory(
        required_skills=FRAUD, priority=Ticket.Priority.URGENT, topic="fraud", **fields
    )


# --- The estimate ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_with_the_language_but_not_the_skill_does_not_count():
    AgentFactory(skills=["general"])

    seen = selectors.dispatch_view(language="en", skills=FRAUD)

    assert (seen.capacity, seen.free) == (0, 0)


@pytest.mark.django_db
def test_with_no_qualified_agent_online_the_wait_is_unknown_and_said_so():
    AgentFactory(skills=["general"])

    estimate = selectors.wait_estimator(language="en", skills=FRAUD)(1)

    assert estimate == WaitEstimate(seconds=None, agent_online=False)


@pytest.mark.django_db
def test_with_a_qualified_agent_online_the_wait_is_estimated_as_before():
    AgentFactory(skills=["general", "fraud"], capacity=3)

    estimate = selectors.wait_estimator(language="en", skills=FRAUD)(1)

    assert estimate == WaitEstimate(seconds=selectors.DEFAULT_TAKE_SECONDS, agent_online=True)


@pytest.mark.django_db
def test_an_away_agent_with_the_skill_does_not_count():
    AgentFactory(skills=FRAUD, availability="away")

    assert selectors.dispatch_view(language="en", skills=FRAUD).capacity == 0


def test_with_a_shift_expected_the_wait_runs_to_its_start_then_a_handle_time_a_place():
    now = timezone.now()
    view = DispatchView(
        capacity=0,
        free=0,
        served_in_window=0,
        served_over_seconds=0.0,
        take_seconds=6,
        handle_seconds=300,
        next_help_at=now + timedelta(minutes=20),
    )

    assert view.eta_seconds(1, now=now) == 1200
    assert view.eta_seconds(3, now=now) == 1200 + 600


@pytest.mark.django_db
def test_the_next_booked_shift_of_someone_with_the_skill_is_the_expected_help():
    now = timezone.now()
    fraud_agent = AgentFactory(skills=FRAUD, is_online=False)
    general_agent = AgentFactory(skills=["general"], is_online=False)
    soon = ShiftSlotFactory(starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=5))
    later = ShiftSlotFactory(starts_at=now + timedelta(hours=3), ends_at=now + timedelta(hours=7))
    ShiftAssignmentFactory(slot=soon, agent=general_agent, state=ShiftAssignment.State.BOOKED)
    ShiftAssignmentFactory(slot=later, agent=fraud_agent, state=ShiftAssignment.State.BOOKED)

    seen = selectors.dispatch_view(language="en", skills=FRAUD, now=now)

    assert seen.next_help_at == later.starts_at


# --- What the customer is told ------------------------------------------------------------


@pytest.mark.django_db
def test_the_customer_is_told_no_agent_online_and_no_wait_on_connecting():
    AgentFactory(skills=["general"])
    ticket = fraud_ticket()

    status = protocol.customer_status_on_connect(ticket)

    assert status["no_agent_online"] is True
    assert "eta_seconds" not in status
    assert status["queue_position"] == 1


@pytest.mark.django_db
def test_the_broadcast_tells_each_ticket_the_wait_of_its_own_skills(pushes):
    AgentFactory(skills=["general"])
    general = QueuedTicketFactory()
    fraud = fraud_ticket()

    announce.broadcast_queue_positions(language="en")

    told = dict(pushes)
    assert told[f"chat.{fraud.pk}"]["no_agent_online"] is True
    assert "eta_seconds" not in told[f"chat.{fraud.pk}"]
    assert "no_agent_online" not in told[f"chat.{general.pk}"]
    assert told[f"chat.{general.pk}"]["eta_seconds"] > 0


# --- Leave a message: be answered by email -------------------------------------------------


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@example.com three@example.com", ""])
def test_the_email_reply_frame_refuses_a_bad_address(email):
    with pytest.raises(FrameError) as refused:
        parse_frame(json.dumps({"type": "email_reply", "email": email}), CUSTOMER_FRAMES)

    assert refused.value.code == "invalid_email"


@pytest.mark.django_db
def test_leaving_an_email_keeps_the_ticket_queued_and_awaiting_the_reply():
    ticket = fraud_ticket()

    services.ticket_email_reply_request(ticket_id=ticket.pk, email=" ana@example.com ")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.QUEUED
    assert ticket.reply_email == "ana@example.com"
    assert ticket.reply_email_requested_at is not None


@pytest.mark.django_db
def test_the_service_refuses_a_bad_address_and_stores_nothing():
    ticket = fraud_ticket()

    with pytest.raises(TicketError) as refused:
        services.ticket_email_reply_request(ticket_id=ticket.pk, email="ana@")

    ticket.refresh_from_db()
    assert refused.value.code == "invalid_email"
    assert (ticket.reply_email, ticket.reply_email_requested_at) == ("", None)


@pytest.mark.django_db
def test_a_ticket_no_longer_queued_cannot_be_answered_by_email():
    agent = AgentFactory()
    ticket = QueuedTicketFactory(status=Ticket.Status.ASSIGNED, agent=agent)

    with pytest.raises(TicketError) as refused:
        services.ticket_email_reply_request(ticket_id=ticket.pk, email="ana@example.com")

    assert refused.value.code == "not_queued"


@pytest.mark.django_db
def test_a_ticket_awaiting_an_email_reply_is_not_abandoned_when_the_page_closes(settings):
    ticket = fraud_ticket()
    services.ticket_email_reply_request(ticket_id=ticket.pk, email="ana@example.com")
    long_ago = timezone.now() - timedelta(seconds=settings.TICKET_ABANDON_AFTER_SECONDS + 60)
    Ticket.objects.filter(pk=ticket.pk).update(last_customer_activity_at=long_ago)

    assert services.tickets_abandon_stale() == []


@pytest.mark.django_db(transaction=True)
async def test_over_the_socket_a_bad_email_is_refused_and_nothing_is_stored():
    ticket = await sync_to_async(fraud_ticket)()
    customer, _, _ = await open_customer(ticket.token)
    await customer.receive_type("status")

    await customer.send({"type": "email_reply", "email": "ana at example"})
    error = await customer.receive_type("error")

    await sync_to_async(ticket.refresh_from_db)()
    assert error["code"] == "invalid_email"
    assert ticket.reply_email == ""
    await customer.close()


@pytest.mark.django_db(transaction=True)
async def test_over_the_socket_a_good_email_is_confirmed_and_stored():
    ticket = await sync_to_async(fraud_ticket)()
    customer, _, _ = await open_customer(ticket.token)
    await customer.receive_type("status")

    await customer.send({"type": "email_reply", "email": "ana@example.com"})
    ok = await customer.receive_type("email_reply.ok")

    await sync_to_async(ticket.refresh_from_db)()
    assert ok["email"] == "ana@example.com"
    assert ticket.reply_email == "ana@example.com"
    await customer.close()


@pytest.mark.django_db
def test_the_customer_is_reminded_on_reconnecting_that_an_email_reply_awaits():
    ticket = fraud_ticket()
    services.ticket_email_reply_request(ticket_id=ticket.pk, email="ana@example.com")

    status = protocol.customer_status_on_connect(ticket)

    assert status["email_reply"] is True
    assert "ana@example.com" not in json.dumps(status)


@pytest.mark.django_db
def test_the_email_left_for_the_reply_never_reaches_the_agent(settings):
    settings.ROUTING_MODE = "pick"
    agent = AgentFactory(skills=FRAUD)
    ticket = fraud_ticket(customer_email="")
    services.ticket_email_reply_request(ticket_id=ticket.pk, email="ana.secret@example.com")

    snapshot = protocol.agent_snapshot(agent=agent)
    claimed = protocol.agent_claim(agent_id=agent.pk, ticket_id=ticket.pk)

    assert snapshot.queue_event["tickets"][0]["id"] == ticket.pk
    assert claimed["type"] == "claim.ok"
    for frame in (snapshot.queue_event, claimed):
        assert "ana.secret" not in json.dumps(frame)


# --- What an agent without the skill sees ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("routing_mode", ["pick", "offer"])
def test_an_agent_without_the_skill_is_told_how_many_wait_for_it(settings, routing_mode):
    settings.ROUTING_MODE = routing_mode
    agent = AgentFactory(skills=["general"])
    fraud_ticket(summary="Card 4111 stolen, customer Ana Lopez")
    fraud_ticket()
    QueuedTicketFactory(language="de", required_skills=FRAUD)  # not its language

    event = protocol.agent_snapshot(agent=agent).queue_event

    assert event["waiting_for_skills"] == [{"skills": ["fraud"], "waiting": 2}]
    assert "Lopez" not in json.dumps(event)


@pytest.mark.django_db
def test_an_agent_who_can_take_everything_is_told_of_nothing_beyond_it(settings):
    settings.ROUTING_MODE = "pick"
    agent = AgentFactory(skills=["general", "fraud"])
    fraud_ticket()

    event = protocol.agent_snapshot(agent=agent).queue_event

    assert event["waiting_for_skills"] == []
    assert len(event["tickets"]) == 1


# --- The operators' alert -------------------------------------------------------------------


def waited(ticket: Ticket, seconds: int = 600) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(
        escalated_at=timezone.now() - timedelta(seconds=seconds)
    )
    return ticket


@pytest.mark.django_db
def test_operators_are_emailed_once_for_two_checks_in_a_row(caplog):
    UserFactory(is_staff=True, email="ops@example.com")
    AgentFactory(skills=["general"])
    waited(fraud_ticket())

    with caplog.at_level(logging.WARNING, logger="tickets.unserved"):
        first = unserved.unserved_queue_alert()
        second = unserved.unserved_queue_alert()

    assert [need.skills for need in first] == [("fraud",)]
    assert second == []
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@example.com"]
    assert "en / fraud" in mail.outbox[0].body
    assert [r.levelname for r in caplog.records] == ["WARNING"]


@pytest.mark.django_db
def test_no_alert_while_someone_who_can_take_it_is_online():
    UserFactory(is_staff=True)
    AgentFactory(skills=FRAUD)
    waited(fraud_ticket())

    assert unserved.unserved_queue_alert() == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_no_alert_for_a_ticket_that_just_arrived():
    UserFactory(is_staff=True)
    fraud_ticket()

    assert unserved.unserved_queue_alert() == []


@pytest.mark.django_db
def test_each_language_and_skill_is_throttled_on_its_own():
    UserFactory(is_staff=True)
    waited(fraud_ticket())
    unserved.unserved_queue_alert()
    waited(QueuedTicketFactory(required_skills=["refunds"]))

    again = unserved.unserved_queue_alert()

    assert [need.skills for need in again] == [("refunds",)]
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_failed_email_is_tried_again_at_the_next_check(monkeypatch):
    UserFactory(is_staff=True)
    waited(fraud_ticket())

    def broken(*args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(unserved, "staff_mail", broken)
    with pytest.raises(ConnectionError):
        unserved.unserved_queue_alert()
    monkeypatch.undo()

    assert len(unserved.unserved_queue_alert()) == 1


@pytest.mark.django_db
def test_operators_find_the_tickets_awaiting_an_email_reply_in_the_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    awaiting = fraud_ticket()
    services.ticket_email_reply_request(ticket_id=awaiting.pk, email="ana@example.com")
    other = fraud_ticket()

    listed = client.get("/admin/tickets/ticket/?reply_email_requested_at__isempty=0")
    page = client.get(f"/admin/tickets/ticket/{awaiting.pk}/change/")

    assert list(listed.context["cl"].result_list) == [awaiting]
    assert other not in listed.context["cl"].result_list
    assert "ana@example.com" in page.content.decode()
