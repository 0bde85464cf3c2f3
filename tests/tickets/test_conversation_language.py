"""The conversation's language (issue #22; docs/assistant.md): the page's or the API's by
default, set once by the customer's first message when the detector is sure of another, and
the ticket is offered to agents who speak it."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AgentFactory, QueuedTicketFactory, TicketFactory
from tests.tickets.wsclient import open_customer
from tickets import dispatch, language, messages, services
from tickets.models import Offer, Ticket

pytestmark = pytest.mark.django_db

SPANISH = "Hola, me cobraron dos veces el mismo pedido y quiero un reembolso"
FRENCH = "Bonjour, ma commande n'est toujours pas arrivée, pouvez-vous m'aider ?"


def post(ticket: Ticket, body: str, client_id: str = "c-1") -> Ticket:
    messages.message_post_customer(
        token=ticket.token, client_id=client_id, body=body, ask_assistant=False
    )
    ticket.refresh_from_db()
    return ticket


def test_a_spanish_first_message_on_an_english_page_makes_a_spanish_conversation():
    ticket = TicketFactory(language="en")

    assert post(ticket, SPANISH).language == "es"


def test_a_first_message_in_the_stated_language_keeps_it():
    ticket = TicketFactory(language="fr")

    assert post(ticket, FRENCH).language == "fr"


@pytest.mark.parametrize("body", ["ok", "hi", "order 12345", "How do I reset my password?"])
def test_a_first_message_the_detector_is_unsure_of_keeps_the_stated_language(body):
    ticket = TicketFactory(language="de")

    assert post(ticket, body).language == "de"


def test_later_messages_do_not_change_the_language():
    ticket = TicketFactory(language="en")
    post(ticket, SPANISH, client_id="c-1")

    assert post(ticket, FRENCH, client_id="c-2").language == "es"


def test_a_later_message_does_not_set_it_when_the_first_was_too_short_to_tell():
    ticket = TicketFactory(language="en")
    post(ticket, "hi", client_id="c-1")

    assert post(ticket, SPANISH, client_id="c-2").language == "en"


def test_a_message_after_escalation_does_not_change_the_language():
    ticket = QueuedTicketFactory(language="en")

    assert post(ticket, SPANISH).language == "en"


def test_the_change_is_logged_with_both_languages(caplog):
    ticket = TicketFactory(language="en")

    with caplog.at_level(logging.INFO, logger="tickets.messages"):
        post(ticket, SPANISH)

    assert f"ticket {ticket.pk}: language en -> es" in caplog.text


def test_the_language_rides_on_the_message_update_and_costs_one_read(
    django_capture_on_commit_callbacks,
):
    ticket = TicketFactory(language="en")

    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as captured,
    ):
        messages.message_post_customer(token=ticket.token, client_id="c-1", body=SPANISH)

    statements = [
        query["sql"].split()[0]
        for query in captured.captured_queries
        if "SAVEPOINT" not in query["sql"]
    ]
    # The locked read, the dedupe read, "any earlier customer message?", then as ever.
    assert statements == ["SELECT", "SELECT", "SELECT", "UPDATE", "INSERT"]


def test_a_spanish_question_on_an_english_page_is_offered_to_a_spanish_speaker_only(client):
    english_only = AgentFactory(languages=["en"])
    spanish = AgentFactory(languages=["en", "es"])
    response = client.post(
        "/api/v1/conversations/", {"language": "en"}, content_type="application/json"
    )
    ticket = Ticket.objects.get(token=response.json()["token"])

    post(ticket, SPANISH)
    # What "Talk to a person" ends in (assistant_flow.conversation_request_human), without
    # the assistant's summary, which loads its embedding model.
    services.ticket_escalate(ticket_id=ticket.pk, reason=Ticket.EscalationReason.CUSTOMER_REQUEST)
    dispatch.dispatch_round()

    offer = Offer.objects.get(ticket=ticket)
    assert offer.agent_id == spanish.pk
    assert offer.agent_id != english_only.pk
    ticket.refresh_from_db()
    assert (ticket.status, ticket.language) == (Ticket.Status.QUEUED, "es")


def test_with_only_an_english_speaker_online_the_spanish_ticket_is_not_offered():
    AgentFactory(languages=["en"])
    ticket = TicketFactory(language="en")

    post(ticket, SPANISH)
    services.ticket_escalate(ticket_id=ticket.pk, reason=Ticket.EscalationReason.CUSTOMER_REQUEST)
    dispatch.dispatch_round()

    assert not Offer.objects.filter(ticket=ticket).exists()


@pytest.mark.django_db(transaction=True)
async def test_a_spanish_first_message_over_the_customer_socket_sets_the_language(monkeypatch):
    # The assistant's answer is not what is tested here (and would load its model).
    monkeypatch.setattr(messages, "assistant_reply_request", lambda **kwargs: None)
    # As a serving process does at its start (the lifespan), not inside the ack's wait.
    await sync_to_async(language.detector)()
    ticket = await sync_to_async(TicketFactory)(language="en")
    customer, _, _ = await open_customer(ticket.token)

    await customer.send({"type": "message", "client_id": "first", "body": SPANISH})
    await customer.receive_type("ack")
    await customer.close()

    stored = await sync_to_async(
        Ticket.objects.filter(pk=ticket.pk).values_list("language", flat=True).get
    )()
    assert stored == "es"
