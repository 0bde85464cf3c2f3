"""Private notes: the holder's record of a conversation, never the customer's to see.

Service rules tested without a socket; then the agent socket's `note` frame, the customer's
socket and transcript download, the portal's history payloads and the admin page.
"""

import json

import pytest
from asgiref.sync import sync_to_async
from django.db import IntegrityError, transaction

from agents.models import Agent
from tests.factories import AgentFactory, QueuedTicketFactory, UserFactory
from tests.tickets.wsclient import open_agent, open_customer
from tickets import messages, protocol, services
from tickets.models import NOTE_MAX_BODY_CHARS, Ticket, TicketNote

db = sync_to_async


def hold_a_ticket() -> tuple[Ticket, Agent]:
    """A ticket and the agent holding it."""
    agent = AgentFactory()
    ticket = QueuedTicketFactory()
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    return ticket, agent


@pytest.fixture
def held() -> tuple[Ticket, Agent]:
    return hold_a_ticket()


# --- The service ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_holder_adds_a_note_that_is_stored_with_its_author(held):
    ticket, agent = held

    note, created = messages.ticket_note_add(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="n-1", body="Refund promised by Friday."
    )

    assert created
    stored = TicketNote.objects.get()
    assert stored == note
    assert (stored.ticket_id, stored.agent_id, stored.client_id, stored.body) == (
        ticket.pk,
        agent.pk,
        "n-1",
        "Refund promised by Friday.",
    )


@pytest.mark.django_db
def test_a_resent_note_with_the_same_client_id_is_stored_once(held):
    ticket, agent = held
    first, _ = messages.ticket_note_add(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="same", body="Called the bank."
    )

    again, created = messages.ticket_note_add(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="same", body="Called the bank."
    )

    assert not created
    assert again.pk == first.pk
    assert TicketNote.objects.count() == 1


@pytest.mark.django_db
def test_an_agent_that_does_not_hold_the_ticket_cannot_add_a_note(held):
    ticket, _ = held
    other = AgentFactory()

    with pytest.raises(services.Forbidden):
        messages.ticket_note_add(ticket_id=ticket.pk, agent_id=other.pk, client_id="x", body="hi")

    assert not TicketNote.objects.exists()


@pytest.mark.django_db
def test_nobody_can_add_a_note_to_a_queued_ticket():
    agent = AgentFactory()
    ticket = QueuedTicketFactory()

    with pytest.raises(services.Forbidden):
        messages.ticket_note_add(ticket_id=ticket.pk, agent_id=agent.pk, client_id="x", body="hi")

    assert not TicketNote.objects.exists()


@pytest.mark.django_db
def test_the_former_holder_cannot_add_a_note_once_the_ticket_is_resolved(held):
    ticket, agent = held
    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)

    with pytest.raises(services.Forbidden):
        messages.ticket_note_add(ticket_id=ticket.pk, agent_id=agent.pk, client_id="x", body="hi")

    assert not TicketNote.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "empty_body"),
        (" \n\t ", "empty_body"),
        ("n" * (NOTE_MAX_BODY_CHARS + 1), "body_too_long"),
    ],
)
def test_a_blank_or_oversized_note_is_refused_and_not_stored(held, body, code):
    ticket, agent = held

    with pytest.raises(services.InvalidMessage) as error:
        messages.ticket_note_add(ticket_id=ticket.pk, agent_id=agent.pk, client_id="x", body=body)

    assert error.value.code == code
    assert not TicketNote.objects.exists()


@pytest.mark.django_db
def test_a_card_number_typed_into_a_note_is_masked_before_it_is_stored(held):
    ticket, agent = held

    messages.ticket_note_add(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="x", body="Card 4242 4242 4242 4242"
    )

    assert "4242 4242 4242 4242" not in TicketNote.objects.get().body


@pytest.mark.django_db
def test_the_database_refuses_a_blank_note_written_around_the_service(held):
    ticket, agent = held

    with pytest.raises(IntegrityError), transaction.atomic():
        TicketNote.objects.create(ticket=ticket, agent=agent, body="   ")


@pytest.mark.django_db
def test_a_note_is_pushed_to_the_holder_after_commit_and_never_to_the_chat(
    held, django_capture_on_commit_callbacks, monkeypatch
):
    ticket, agent = held
    pushed = []
    monkeypatch.setattr("tickets.events.push", lambda group, event: pushed.append((group, event)))

    with django_capture_on_commit_callbacks(execute=True):
        note, _ = messages.ticket_note_add(
            ticket_id=ticket.pk, agent_id=agent.pk, client_id="x", body="For the record"
        )

    assert [(group, event["type"], event["id"]) for group, event in pushed] == [
        (f"agent.{agent.pk}", "note", note.pk)
    ]


# --- Where the portal gets a ticket's history ---------------------------------------------------


@pytest.mark.django_db
def test_the_next_holder_of_a_released_ticket_gets_the_earlier_notes_with_the_claim(held):
    ticket, first = held
    messages.ticket_note_add(
        ticket_id=ticket.pk, agent_id=first.pk, client_id="x", body="Needs a supervisor."
    )
    services.ticket_release(ticket_id=ticket.pk, agent_id=first.pk, reason="escalating")
    second = AgentFactory()

    reply = protocol.agent_claim(agent_id=second.pk, ticket_id=ticket.pk)

    assert reply["type"] == "claim.ok"
    assert [(n["body"], n["agent_name"]) for n in reply["ticket"]["notes"]] == [
        ("Needs a supervisor.", first.display_name)
    ]


@pytest.mark.django_db
def test_a_reconnecting_agent_gets_the_notes_of_its_held_tickets_in_the_snapshot(held):
    ticket, agent = held
    for n in (1, 2):
        messages.ticket_note_add(
            ticket_id=ticket.pk, agent_id=agent.pk, client_id=f"n{n}", body=f"note {n}"
        )

    snapshot = protocol.agent_snapshot(agent=agent)

    (card,) = snapshot.assigned_event["tickets"]
    assert [note["body"] for note in card["notes"]] == ["note 1", "note 2"]
    assert "notes" not in json.dumps(snapshot.queue_event)


# --- The agent socket ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_note_frame_from_the_holder_is_stored_and_echoed_with_its_id():
    ticket, agent = await db(hold_a_ticket)()
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")

    await socket.send({"type": "note", "ticket": ticket.pk, "client_id": "n-1", "body": "VIP"})
    reply = await socket.receive_type("note.ok", "error")

    note = await db(TicketNote.objects.get)()
    assert reply == {
        "type": "note.ok",
        "ticket": ticket.pk,
        "id": note.pk,
        "client_id": "n-1",
        "body": "VIP",
        "agent_name": agent.display_name,
        "created_at": note.created_at.isoformat(),
    }
    await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_a_resent_note_frame_gets_the_same_echo_and_is_stored_once():
    ticket, agent = await db(hold_a_ticket)()
    socket, _, _ = await open_agent(agent.user)
    frame = {"type": "note", "ticket": ticket.pk, "client_id": "same", "body": "once"}

    await socket.send(frame)
    first = await socket.receive_type("note.ok")
    await socket.send(frame)
    second = await socket.receive_type("note.ok")

    assert first == second
    assert await db(TicketNote.objects.count)() == 1
    await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_a_note_frame_on_a_ticket_the_agent_does_not_hold_is_forbidden_and_not_stored():
    agent = await db(AgentFactory)()
    ticket = await db(QueuedTicketFactory)()
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")

    await socket.send({"type": "note", "ticket": ticket.pk, "client_id": "x", "body": "mine?"})
    error = await socket.receive_type("error", "note.ok")

    assert (error["type"], error["code"], error["ticket"]) == ("error", "forbidden", ticket.pk)
    assert not await db(TicketNote.objects.exists)()
    await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("   ", "empty_body"),
        ("n" * (NOTE_MAX_BODY_CHARS + 1), "body_too_long"),
        (7, "invalid_field"),
    ],
)
async def test_a_bad_note_frame_gets_an_error_and_stores_nothing(body, code):
    ticket, agent = await db(hold_a_ticket)()
    socket, _, _ = await open_agent(agent.user)
    await socket.receive_type("assigned")

    await socket.send({"type": "note", "ticket": ticket.pk, "client_id": "x", "body": body})
    error = await socket.receive_type("error", "note.ok")

    assert (error["type"], error["code"]) == ("error", code)
    assert not await db(TicketNote.objects.exists)()
    await socket.close()


# --- The customer never sees a note -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_customer_socket_never_receives_a_note():
    ticket, agent = await db(hold_a_ticket)()
    customer, _, _ = await open_customer(ticket.token)
    await customer.receive_type("status")
    agent_socket, _, _ = await open_agent(agent.user)
    await agent_socket.receive_type("assigned")

    await agent_socket.send(
        {"type": "note", "ticket": ticket.pk, "client_id": "n", "body": "Customer seems upset"}
    )
    await agent_socket.receive_type("note.ok")
    await customer.send({"type": "resume", "after_seq": 0})
    replayed = []
    while not await customer.nothing_more(timeout=0.5):
        replayed.append(await customer.receive())

    assert replayed  # the transcript was replayed …
    assert all(event["type"] == "message" for event in replayed)
    assert "Customer seems upset" not in json.dumps(replayed)  # … without the note
    await customer.close()
    await agent_socket.close()


@pytest.mark.django_db
def test_the_customer_transcript_download_leaves_the_notes_out(held, client):
    ticket, agent = held
    messages.message_post_agent(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="m", body="Happy to help."
    )
    messages.ticket_note_add(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="n", body="Suspected chargeback."
    )

    text = client.get(f"/chat/{ticket.token}/transcript.txt").content.decode()

    assert "Happy to help." in text
    assert "Suspected chargeback." not in text


# --- The admin ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_ticket_page_shows_the_notes_read_only(held, client):
    ticket, agent = held
    messages.ticket_note_add(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="n", body="<b>Call back at 5</b>"
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "&lt;b&gt;Call back at 5&lt;/b&gt;" in page  # text, never markup
    assert 'name="notes-0-body"' not in page  # no editable field
