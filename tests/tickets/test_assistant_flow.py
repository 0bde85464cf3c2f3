"""The AI first line end to end: a customer's frame on the real socket, the message stored,
the assistant's task run after commit (eagerly, as in the embedded profile), its answer or
its handover pushed back to the customer."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from tests.factories import AgentFactory, load_demo_help_centre
from tests.tickets.wsclient import Socket, open_customer
from tickets import assistant_flow, dispatch, messages, services, tasks
from tickets.assistant import LocalBackend, OpenAICompatibleBackend
from tickets.models import KnowledgeArticle, Message, Offer, Ticket, TicketEvent

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async

RESET_PASSWORD = "Reset your password"


@pytest.fixture
def knowledge_base(assistant_warm) -> None:
    load_demo_help_centre()


async def start_chat(**customer: Any) -> tuple[Ticket, Socket]:
    ticket = await db(services.conversation_start)(**customer)
    socket, connected, _ = await open_customer(ticket.token)
    assert connected
    assert (await socket.receive_type("status"))["status"] == "bot"
    return ticket, socket


async def say(
    socket: Socket, body: str, client_id: str, *, escalates: bool = False
) -> list[dict[str, Any]]:
    """Send a message; return every frame up to the assistant's answer, and up to the
    queued status when the answer is a handover."""
    await socket.send({"type": "message", "client_id": client_id, "body": body})
    frames = []
    while True:
        frame = await socket.receive(timeout=5)
        frames.append(frame)
        assert frame["type"] != "error", frame
        if escalates and frame["type"] == "status":
            return frames
        if not escalates and frame["type"] == "message" and frame["sender"] == "bot":
            return frames


def bot_answers(frames: list[dict[str, Any]]) -> list[str]:
    return [f["body"] for f in frames if f["type"] == "message" and f["sender"] == "bot"]


def refreshed(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# --- Answers -------------------------------------------------------------------------------


async def test_a_routine_question_is_answered_from_the_article_it_names(knowledge_base):
    ticket, socket = await start_chat(name="Sam Doe")

    frames = await say(socket, "How do I reset my password? I forgot it", "c1")

    ack = next(f for f in frames if f["type"] == "ack")
    echo = next(f for f in frames if f["type"] == "message" and f["sender"] == "customer")
    assert echo["seq"] == ack["seq"] == 2
    [answer] = bot_answers(frames)
    assert answer.endswith(f'(From: "{RESET_PASSWORD}")')
    assert "Forgot password?" in answer
    stored = await db(Message.objects.select_related("article").get)(
        ticket=ticket, sender="bot", seq=3
    )
    assert stored.article.title == RESET_PASSWORD
    ticket = await db(refreshed)(ticket)
    assert (ticket.status, ticket.unsure_answers_in_a_row) == (Ticket.Status.BOT, 0)
    await socket.close()


async def test_a_spanish_question_is_answered_from_the_spanish_article(knowledge_base):
    ticket, socket = await start_chat(name="Ana", language="es")

    frames = await say(socket, "¿Dónde está mi reembolso?", "c1")

    [answer] = bot_answers(frames)
    assert answer.endswith('(Fuente: "Reembolsos de compras pagadas con Acme Pay")')
    stored = await db(Message.objects.select_related("article").get)(
        ticket=ticket, sender="bot", seq=3
    )
    assert stored.article.language == "es"
    await socket.close()


SWEDISH_REFUNDS = "Återbetalningar för köp som du betalat med Acme Pay"


async def test_a_swedish_question_is_answered_from_the_swedish_article(knowledge_base):
    ticket, socket = await start_chat(name="Elsa", language="sv")

    frames = await say(socket, "Var är min återbetalning?", "c1")

    [answer] = bot_answers(frames)
    assert answer.endswith(f'(Källa: "{SWEDISH_REFUNDS}")')
    assert "Fakturor > Återbetalningar" in answer
    stored = await db(Message.objects.select_related("article").get)(
        ticket=ticket, sender="bot", seq=3
    )
    assert (stored.article.title, stored.article.language) == (SWEDISH_REFUNDS, "sv")
    await socket.close()


async def test_a_swedish_conversation_handed_to_a_person_is_offered_to_a_swedish_speaker(
    knowledge_base,
):
    english_only = await db(AgentFactory)(languages=["en"], skills=["general", "accounts"])
    swedish = await db(AgentFactory)(languages=["en", "sv"], skills=["general", "accounts"])
    ticket, socket = await start_chat(name="Elsa", language="sv")
    [answer] = bot_answers(await say(socket, "Jag har glömt mitt lösenord", "c1"))
    assert answer.endswith('(Källa: "Återställ ditt lösenord")')

    await socket.send({"type": "request_human"})
    assert (await socket.receive_type("status"))["status"] == "queued"
    await db(dispatch.dispatch_round)()

    offer = await db(Offer.objects.get)(ticket=ticket)
    assert offer.agent_id == swedish.pk
    assert offer.agent_id != english_only.pk
    ticket = await db(refreshed)(ticket)
    assert (ticket.language, ticket.topic, ticket.required_skills) == (
        "sv",
        "accounts",
        ["accounts"],
    )
    await socket.close()


def _unpublish_language(language: str) -> None:
    KnowledgeArticle.objects.filter(language=language).update(is_published=False)


async def test_a_question_in_a_language_with_no_articles_says_so_and_offers_a_person(
    knowledge_base,
):
    await db(_unpublish_language)("sv")
    ticket, socket = await start_chat(language="sv")

    frames = await say(socket, "Var är min återbetalning?", "c1")

    assert bot_answers(frames) == [
        "Jag hittade inget svar på svenska i vårt hjälpcenter; en person kan hjälpa dig."
    ]
    ticket = await db(refreshed)(ticket)
    assert (ticket.status, ticket.unsure_answers_in_a_row) == (Ticket.Status.BOT, 1)
    await socket.close()


async def test_a_card_number_is_masked_before_it_is_stored_or_answered(knowledge_base):
    ticket, socket = await start_chat()

    frames = await say(socket, "My card 4242 4242 4242 4242 was declined at checkout", "c1")

    echo = next(f for f in frames if f["type"] == "message" and f["sender"] == "customer")
    assert "4242 4242 4242 4242" not in echo["body"]
    assert "•••• •••• •••• 4242" in echo["body"]
    stored = await db(Message.objects.get)(ticket=ticket, seq=echo["seq"])
    assert stored.body == echo["body"]
    assert bot_answers(frames)[0].endswith('(From: "Card declined in a store")')
    await socket.close()


async def test_one_unsure_answer_offers_a_person_and_a_second_goes_to_a_person(knowledge_base):
    ticket, socket = await start_chat()

    first = await say(socket, "zorblax quibbit frumple", "c1")
    assert "not sure I can answer that" in bot_answers(first)[0]
    assert (await db(refreshed)(ticket)).unsure_answers_in_a_row == 1

    second = await say(socket, "glorpnik wuzzle trombast", "c2", escalates=True)

    status = second[-1]
    assert (status["type"], status["status"], status["queue_position"]) == (
        "status",
        "queued",
        1,
    )
    ticket = await db(refreshed)(ticket)
    assert ticket.status == Ticket.Status.QUEUED
    assert ticket.escalation_reason == Ticket.EscalationReason.LOW_CONFIDENCE
    assert ticket.required_skills == ["general"]
    assert "unsure 2 times in a row" in ticket.summary
    await socket.close()


# --- Escalation triggers -------------------------------------------------------------------

TRIGGERS = [
    pytest.param(
        "I want to talk to a real person please",
        {},
        Ticket.EscalationReason.CUSTOMER_REQUEST,
        Ticket.Priority.NORMAL,
        ["general"],
        id="asked-for-a-person",
    ),
    pytest.param(
        "I lost my card",
        {},
        Ticket.EscalationReason.SENSITIVE_TOPIC,
        Ticket.Priority.URGENT,
        ["fraud"],
        id="lost-card-on-the-first-message",
    ),
    pytest.param(
        "Someone used my card and I think it's fraud",
        {},
        Ticket.EscalationReason.SENSITIVE_TOPIC,
        Ticket.Priority.URGENT,
        ["fraud"],
        id="fraud",
    ),
    pytest.param(
        "This is useless, I'm fed up with this refund",
        {},
        Ticket.EscalationReason.FRUSTRATION,
        Ticket.Priority.HIGH,
        ["refunds"],
        id="frustrated",
    ),
    pytest.param(
        "How do I reset my password?",
        {"is_vip": True},
        Ticket.EscalationReason.VIP,
        Ticket.Priority.HIGH,
        ["accounts"],
        id="vip",
    ),
]


@pytest.mark.parametrize(("message", "customer", "reason", "priority", "skills"), TRIGGERS)
async def test_an_escalation_trigger_queues_the_ticket_with_reason_summary_and_skills(
    knowledge_base, message, customer, reason, priority, skills
):
    ticket, socket = await start_chat(name="Sam Doe", **customer)

    frames = await say(socket, message, "c1", escalates=True)

    assert "connecting you" in bot_answers(frames)[0]
    status = frames[-1]
    assert status["status"] == "queued"
    assert status["queue_position"] == 1
    assert status["no_agent_online"]  # no agent in this test: no wait is promised
    ticket = await db(refreshed)(ticket)
    assert ticket.status == Ticket.Status.QUEUED
    assert ticket.escalation_reason == reason
    assert ticket.priority == priority
    assert ticket.required_skills == skills
    assert f'"{message}"' in ticket.summary  # the agent reads what the customer said
    assert ticket.escalated_at is not None
    system = await db(Message.objects.filter(ticket=ticket, sender="system").last)()
    assert system.body == "You're in the queue for a person."
    await socket.close()


async def test_talk_to_a_person_escalates_at_once_with_the_topic_of_the_conversation(
    knowledge_base,
):
    ticket, socket = await start_chat()
    await say(socket, "How do I reset my password?", "c1")

    await socket.send({"type": "request_human"})
    status = await socket.receive_type("status")

    assert (status["status"], status["queue_position"]) == ("queued", 1)
    ticket = await db(refreshed)(ticket)
    assert ticket.escalation_reason == Ticket.EscalationReason.CUSTOMER_REQUEST
    assert (ticket.topic, ticket.required_skills) == ("accounts", ["accounts"])
    assert '"How do I reset my password?"' in ticket.summary
    assert 'Assistant last answered: "On the sign-in screen tap' in ticket.summary
    await socket.close()


async def test_asking_for_a_person_again_once_queued_answers_with_the_status_again(
    knowledge_base,
):
    ticket, socket = await start_chat()
    await socket.send({"type": "request_human"})
    first = await socket.receive_type("status")

    await socket.send({"type": "request_human"})  # a resend: the first answer was lost
    again = await socket.receive_type("status")

    assert (first["status"], again["status"]) == ("queued", "queued")
    assert again["queue_position"] == 1
    assert await db(TicketEvent.objects.filter(ticket=ticket, to_status="queued").count)() == 1
    await socket.close()


async def test_once_queued_the_assistant_stays_quiet(knowledge_base):
    ticket, socket = await start_chat()
    await socket.send({"type": "request_human"})
    await socket.receive_type("status")

    await socket.send({"type": "message", "client_id": "c1", "body": "How do I reset it?"})
    ack = await socket.receive_type("ack")
    echo = await socket.receive_type("message")

    assert (echo["seq"], echo["sender"]) == (ack["seq"], "customer")
    assert await socket.nothing_more(timeout=0.5)
    senders = await db(list)(
        Message.objects.filter(ticket=ticket).order_by("seq").values_list("sender", flat=True)
    )
    assert senders == ["bot", "system", "customer"]
    await socket.close()


def test_a_redelivered_assistant_task_answers_once(knowledge_base):
    ticket = services.conversation_start()
    message, _ = messages.message_post_customer(
        token=ticket.token, client_id="c1", body="How do I reset my password?"
    )

    tasks.assistant_reply(ticket.pk, message.seq)  # the broker hands the task out again
    tasks.assistant_reply(ticket.pk, message.seq)

    assert Message.objects.filter(ticket=ticket, sender="bot").count() == 2  # greeting + one


def test_the_backend_is_built_once_per_process_and_again_after_its_settings_change(
    knowledge_base, monkeypatch
):
    builds = []
    real_backend_from_settings = assistant_flow.backend_from_settings

    def counting_backend_from_settings(**kwargs):
        builds.append(real_backend_from_settings(**kwargs))
        return builds[-1]

    monkeypatch.setattr(assistant_flow, "backend_from_settings", counting_backend_from_settings)
    assistant_flow.assistant_backend.cache_clear()  # whatever an earlier test built
    ticket = services.conversation_start()

    def ask(client_id: str, body: str) -> None:
        messages.message_post_customer(token=ticket.token, client_id=client_id, body=body)

    ask("c1", "How do I reset my password?")
    ask("c2", "How do I track my order?")
    assert len(builds) == 1

    with override_settings(ASSISTANT_LLM_MODEL="llama3.1"):  # no URL or key yet: still local
        ask("c3", "How long do refunds take?")
    assert len(builds) == 2
    assert Message.objects.filter(ticket=ticket, sender="bot").count() == 4  # greeting + 3

    with override_settings(
        ASSISTANT_LLM_BASE_URL="http://127.0.0.1:11434/v1",
        ASSISTANT_LLM_MODEL="llama3.1",
        ASSISTANT_LLM_API_KEY="local-key",
    ):
        configured = assistant_flow.assistant_backend()
    assert isinstance(configured, OpenAICompatibleBackend)
    assert (configured.base_url, configured.model) == ("http://127.0.0.1:11434/v1", "llama3.1")
    assert isinstance(assistant_flow.assistant_backend(), LocalBackend)  # the override ended
    assert len(builds) == 4


# --- When the assistant is slow or fails (embedded profile: it runs in the socket's call) ---


async def test_the_customer_gets_the_ack_before_a_slow_assistant_answers(
    knowledge_base, monkeypatch
):
    may_answer = threading.Event()
    real_respond = assistant_flow.respond

    def slow_respond(**kwargs):
        assert may_answer.wait(timeout=10), "the test never let the assistant answer"
        return real_respond(**kwargs)

    monkeypatch.setattr(assistant_flow, "respond", slow_respond)
    ticket, socket = await start_chat()

    await socket.send({"type": "message", "client_id": "c1", "body": "How do I reset my password?"})
    ack = await socket.receive_type("ack")  # while the assistant is still thinking
    may_answer.set()
    answer = await socket.receive_type("message", timeout=5)
    while answer["sender"] != "bot":
        answer = await socket.receive_type("message", timeout=5)

    assert ack == {"type": "ack", "client_id": "c1", "seq": 2}
    assert answer["seq"] == 3
    await socket.close()


async def test_an_assistant_failure_is_logged_and_the_customer_is_offered_a_person(
    knowledge_base, monkeypatch, caplog
):
    def broken_respond(**kwargs):
        raise RuntimeError("the model is down")

    monkeypatch.setattr(assistant_flow, "respond", broken_respond)
    ticket, socket = await start_chat()

    with caplog.at_level(logging.ERROR, logger="tickets.tasks"):
        frames = await say(socket, "How do I reset my password?", "c1")

    assert next(f for f in frames if f["type"] == "ack")["seq"] == 2
    assert bot_answers(frames) == [assistant_flow.ASSISTANT_FALLBACK]
    assert "the assistant failed" in caplog.text
    assert "the model is down" in caplog.text
    await socket.send({"type": "heartbeat"})  # the socket survived
    assert (await socket.receive_type("heartbeat.ok"))["type"] == "heartbeat.ok"
    assert (await db(refreshed)(ticket)).status == Ticket.Status.BOT
    await socket.close()


def test_an_unreachable_assistant_run_in_process_falls_back_at_once(knowledge_base, monkeypatch):
    calls = []

    def unreachable(**kwargs):
        calls.append(kwargs)
        raise ConnectionError("no route to the model")

    monkeypatch.setattr(assistant_flow, "respond", unreachable)
    ticket = services.conversation_start()
    message, _ = messages.message_post_customer(
        token=ticket.token, client_id="c1", body="How do I reset my password?"
    )

    assert len(calls) == 1  # no retry storm inside the customer's call
    bot = Message.objects.filter(ticket=ticket, sender="bot").order_by("seq")
    assert bot.last().body == assistant_flow.ASSISTANT_FALLBACK
    assert bot.last().seq == message.seq + 1


def test_a_redelivered_failed_assistant_task_offers_a_person_once(knowledge_base, monkeypatch):
    ticket = services.conversation_start()
    message, _ = messages.message_post_customer(
        token=ticket.token, client_id="c1", body="How do I reset my password?", ask_assistant=False
    )
    monkeypatch.setattr(
        assistant_flow, "respond", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("down"))
    )

    tasks.assistant_reply(ticket.pk, message.seq)
    tasks.assistant_reply(ticket.pk, message.seq)

    assert (
        Message.objects.filter(ticket=ticket, body=assistant_flow.ASSISTANT_FALLBACK).count() == 1
    )
