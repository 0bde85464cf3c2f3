"""Customers' "That helped" / "Talk to a person" on the assistant's answers (tickets.feedback):
the ``feedback`` frame on the customer socket, what answers carry, and the operators' admin."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from tests.factories import KnowledgeArticleFactory, TicketFactory, UserFactory
from tests.tickets.wsclient import open_customer
from tickets import messages
from tickets.models import AnswerFeedback, KnowledgeArticle, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async

PAY_ANSWER = 'Open Invoices and press Pay.\n\n(From: "Pay your invoice")'


@pytest.fixture(autouse=True)
def pick_routing(settings):
    # The open queue: an escalation needs no dispatch round to show as queued.
    settings.ROUTING_MODE = "pick"


def customer_says(ticket: Ticket, body: str, client_id: str) -> Message:
    message, _ = messages.message_post_customer(
        token=ticket.token, client_id=client_id, body=body, ask_assistant=False
    )
    return message


def conversation(
    *, question: str = "How do I pay my invoice?", article: KnowledgeArticle | None = None
) -> tuple[Ticket, KnowledgeArticle, dict[str, Message]]:
    """A conversation with the assistant: its greeting (no article), the customer's question
    and an answer from a help article. Returns the ticket, the article and the messages."""
    article = article or KnowledgeArticleFactory(title="Pay your invoice", topic="billing")
    ticket = TicketFactory()
    greeting = messages.message_post_bot(ticket_id=ticket.pk, body="Hi! Ask me anything.")
    asked = customer_says(ticket, question, "q1")
    answer = messages.message_post_bot(ticket_id=ticket.pk, body=PAY_ANSWER, article_id=article.pk)
    return ticket, article, {"greeting": greeting, "question": asked, "answer": answer}


async def connected(ticket: Ticket):
    customer, _, _ = await open_customer(ticket.token)
    await customer.receive_type("status")
    return customer


async def feedback_rows() -> list[tuple[int, str]]:
    return await db(lambda: list(AnswerFeedback.objects.values_list("message_id", "verdict")))()


# --- Giving a verdict ------------------------------------------------------------------------


async def test_helped_is_stored_with_the_masked_question_and_acknowledged():
    ticket, article, said = await db(conversation)(
        question="How do I pay my invoice? Card 4242 4242 4242 4242, "
        "mail sam@example.com or call +1 555 010 9999"
    )
    customer = await connected(ticket)

    await customer.send({"type": "feedback", "seq": said["answer"].seq, "verdict": "helped"})
    reply = await customer.receive_type("feedback.ok", "error")

    assert reply == {"type": "feedback.ok", "seq": said["answer"].seq, "verdict": "helped"}
    feedback = await db(AnswerFeedback.objects.get)()
    assert (feedback.message_id, feedback.article_id, feedback.verdict) == (
        said["answer"].pk,
        article.pk,
        "helped",
    )
    assert feedback.question.startswith("How do I pay my invoice?")
    for secret in ("4242 4242 4242 4242", "sam@example.com", "555 010 9999"):
        assert secret not in feedback.question
    await db(ticket.refresh_from_db)()
    assert ticket.status == Ticket.Status.BOT  # "helped" hands nothing over
    await customer.close()


async def test_the_question_is_the_customers_latest_message_before_the_answer():
    ticket, _, said = await db(conversation)(question="How do I pay my invoice?")
    await db(customer_says)(ticket, "And something asked after the answer", "q2")
    customer = await connected(ticket)

    await customer.send({"type": "feedback", "seq": said["answer"].seq, "verdict": "helped"})
    await customer.receive_type("feedback.ok")

    assert await db(AnswerFeedback.objects.values_list("question", flat=True).get)() == (
        "How do I pay my invoice?"
    )
    await customer.close()


async def test_talk_to_a_person_is_stored_and_hands_the_conversation_to_the_queue():
    ticket, _, said = await db(conversation)()
    customer = await connected(ticket)

    await customer.send({"type": "feedback", "seq": said["answer"].seq, "verdict": "person"})
    reply = await customer.receive_type("feedback.ok", "error")
    status = await customer.receive_type("status")

    assert reply == {"type": "feedback.ok", "seq": said["answer"].seq, "verdict": "person"}
    assert (status["status"], status["queue_position"]) == ("queued", 1)
    assert await feedback_rows() == [(said["answer"].pk, "person")]
    await db(ticket.refresh_from_db)()
    assert ticket.status == Ticket.Status.QUEUED
    # Exactly as the request_human frame hands it over.
    assert ticket.escalation_reason == Ticket.EscalationReason.CUSTOMER_REQUEST
    assert ticket.topic == "billing"
    await customer.close()


async def test_talk_to_a_person_once_queued_is_stored_and_escalates_nothing_more():
    ticket, _, said = await db(conversation)()
    customer = await connected(ticket)
    await customer.send({"type": "request_human"})
    await customer.receive_type("status")
    events_before = await db(TicketEvent.objects.filter(ticket=ticket).count)()

    await customer.send({"type": "feedback", "seq": said["answer"].seq, "verdict": "person"})

    assert (await customer.receive_type("feedback.ok", "error"))["type"] == "feedback.ok"
    assert await feedback_rows() == [(said["answer"].pk, "person")]
    assert await db(TicketEvent.objects.filter(ticket=ticket).count)() == events_before
    await customer.close()


@pytest.mark.parametrize("verdict", ["helped", "person"])
async def test_a_resent_verdict_gets_the_same_reply_and_is_stored_and_escalated_once(verdict):
    ticket, _, said = await db(conversation)()
    customer = await connected(ticket)
    frame = {"type": "feedback", "seq": said["answer"].seq, "verdict": verdict}

    await customer.send(frame)
    first = await customer.receive_type("feedback.ok", "error")
    await customer.send(frame)
    second = await customer.receive_type("feedback.ok", "error")

    assert first == second == {"type": "feedback.ok", "seq": said["answer"].seq, "verdict": verdict}
    assert await feedback_rows() == [(said["answer"].pk, verdict)]
    escalations = await db(
        TicketEvent.objects.filter(ticket=ticket, to_status=Ticket.Status.QUEUED).count
    )()
    assert escalations == (1 if verdict == "person" else 0)
    await customer.close()


# --- Refusals: an error, and nothing stored -------------------------------------------------

BAD_FEEDBACK_FRAMES = [
    ({"type": "feedback", "verdict": "helped"}, "missing_field"),
    ({"type": "feedback", "seq": 3}, "missing_field"),
    ({"type": "feedback", "seq": "3", "verdict": "helped"}, "invalid_field"),
    ({"type": "feedback", "seq": 3.0, "verdict": "helped"}, "invalid_field"),
    ({"type": "feedback", "seq": True, "verdict": "helped"}, "invalid_field"),
    ({"type": "feedback", "seq": 0, "verdict": "helped"}, "invalid_field"),
    ({"type": "feedback", "seq": -3, "verdict": "helped"}, "invalid_field"),
    ({"type": "feedback", "seq": 2**31, "verdict": "helped"}, "invalid_field"),
    ({"type": "feedback", "seq": None, "verdict": "helped"}, "invalid_field"),
    ({"type": "feedback", "seq": 3, "verdict": "meh"}, "invalid_field"),
    ({"type": "feedback", "seq": 3, "verdict": "HELPED"}, "invalid_field"),
    ({"type": "feedback", "seq": 3, "verdict": ["helped"]}, "invalid_field"),
    ({"type": "feedback", "seq": 3, "verdict": None}, "invalid_field"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_FEEDBACK_FRAMES)
async def test_a_feedback_frame_outside_its_schema_gets_an_error_and_stores_nothing(frame, code):
    ticket, _, said = await db(conversation)()
    assert said["answer"].seq == 3  # the seq the frames above name
    customer = await connected(ticket)

    await customer.send(json.dumps(frame))
    error = await customer.receive_type("error", "feedback.ok")

    assert (error["type"], error["code"]) == ("error", code)
    assert error["detail"]
    assert await feedback_rows() == []
    await customer.close()


def _refused_seq(case: str, ticket: Ticket, said: dict[str, Message]) -> int:
    if case == "unknown seq":
        return 99
    if case == "the customer's own message":
        return said["question"].seq
    if case == "an answer without an article":
        return said["greeting"].seq
    # Another conversation's answer: a seq this conversation does not have.
    _, _, other = conversation(article=said["answer"].article)
    other_answer = messages.message_post_bot(
        ticket_id=other["answer"].ticket_id, body=PAY_ANSWER, article_id=said["answer"].article_id
    )
    assert other_answer.seq > ticket.last_seq
    return other_answer.seq


@pytest.mark.parametrize(
    "case",
    [
        "unknown seq",
        "the customer's own message",
        "an answer without an article",
        "another conversation's answer",
    ],
)
@pytest.mark.parametrize("verdict", ["helped", "person"])
async def test_feedback_on_anything_but_an_answer_from_an_article_here_is_refused(case, verdict):
    ticket, _, said = await db(conversation)()
    seq = await db(_refused_seq)(case, ticket, said)
    customer = await connected(ticket)

    await customer.send({"type": "feedback", "seq": seq, "verdict": verdict})
    error = await customer.receive_type("error", "feedback.ok")

    assert (error["type"], error["code"], error["seq"]) == ("error", "not_an_answer", seq)
    assert str(seq) in error["detail"]
    assert await feedback_rows() == []
    await db(ticket.refresh_from_db)()
    assert ticket.status == Ticket.Status.BOT  # and "person" handed nothing over
    await customer.close()


@pytest.mark.parametrize(("first", "second"), [("helped", "person"), ("person", "helped")])
async def test_a_different_second_verdict_is_refused_and_the_first_kept(first, second):
    ticket, _, said = await db(conversation)()
    customer = await connected(ticket)
    seq = said["answer"].seq
    await customer.send({"type": "feedback", "seq": seq, "verdict": first})
    await customer.receive_type("feedback.ok")

    await customer.send({"type": "feedback", "seq": seq, "verdict": second})
    error = await customer.receive_type("error", "feedback.ok")

    assert (error["type"], error["code"], error["seq"]) == ("error", "feedback_given", seq)
    assert await feedback_rows() == [(said["answer"].pk, first)]
    await db(ticket.refresh_from_db)()
    # "helped" then "person" does not hand the conversation over either.
    assert ticket.status == (Ticket.Status.QUEUED if first == "person" else Ticket.Status.BOT)
    await customer.close()


# --- What answers carry ---------------------------------------------------------------------


async def test_an_answer_from_an_article_names_it_when_pushed_and_others_do_not():
    article = await db(KnowledgeArticleFactory)(title="Pay your invoice")
    ticket = await db(TicketFactory)()
    customer = await connected(ticket)

    await db(messages.message_post_bot)(ticket_id=ticket.pk, body="Hi! Ask me anything.")
    greeting = await customer.receive_type("message")
    await db(messages.message_post_bot)(ticket_id=ticket.pk, body=PAY_ANSWER, article_id=article.pk)
    answer = await customer.receive_type("message")

    assert "article" not in greeting
    assert answer["article"] == {"id": article.pk, "title": "Pay your invoice"}
    assert answer["body"] == PAY_ANSWER  # the stored body, unchanged
    assert "feedback" not in answer
    await customer.close()


async def test_the_assistants_own_answer_names_its_article():
    await db(KnowledgeArticle.objects.create)(
        title="Pay your invoice",
        body="Open Invoices in the app and press Pay.",
        topic="billing",
        keywords="pay, invoice, bill",
        example_questions="How do I pay my invoice?\nWhere can I pay what I owe?",
    )
    ticket = await db(TicketFactory)()
    customer = await connected(ticket)

    await customer.send({"type": "message", "client_id": "c1", "body": "How do I pay my invoice?"})
    while (answer := await customer.receive_type("message"))["sender"] != "bot":
        pass

    article = await db(KnowledgeArticle.objects.get)()
    assert answer["article"] == {"id": article.pk, "title": "Pay your invoice"}
    await customer.close()


async def test_resume_replays_each_answers_article_and_the_verdict_once_given():
    ticket, article, said = await db(conversation)()
    customer = await connected(ticket)
    await customer.send({"type": "feedback", "seq": said["answer"].seq, "verdict": "helped"})
    await customer.receive_type("feedback.ok")

    await customer.send({"type": "resume", "after_seq": 0})
    replay = [await customer.receive_type("message") for _ in range(3)]

    assert [frame["seq"] for frame in replay] == [1, 2, 3]
    assert [frame.get("article") for frame in replay] == [
        None,
        None,
        {"id": article.pk, "title": "Pay your invoice"},
    ]
    assert [frame.get("feedback") for frame in replay] == [None, None, "helped"]
    await customer.close()


def test_the_transcript_api_carries_the_article_and_the_verdict_too(client):
    ticket, article, said = conversation()
    AnswerFeedback.objects.create(
        message=said["answer"], article=article, verdict="person", question="q"
    )

    response = client.get(f"/api/v1/conversations/{ticket.token}/messages/")

    answer = response.json()["messages"][-1]
    assert answer["article"] == {"id": article.pk, "title": "Pay your invoice"}
    assert answer["feedback"] == "person"


# --- The operators' admin -------------------------------------------------------------------

ARTICLES = "/admin/tickets/knowledgearticle/"
FEEDBACK = "/admin/tickets/answerfeedback/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="ops@example.com", is_staff=True, is_superuser=True))
    return client


def give(article: KnowledgeArticle, verdict: str, question: str = "How do I pay?") -> None:
    ticket = TicketFactory()
    customer_says(ticket, question, "q")
    answer = messages.message_post_bot(ticket_id=ticket.pk, body=PAY_ANSWER, article_id=article.pk)
    AnswerFeedback.objects.create(
        message=answer, article=article, verdict=verdict, question=question
    )


def test_the_article_list_counts_helped_and_wanted_a_person_linking_to_the_feedback(
    admin_client,
):
    paying = KnowledgeArticleFactory(title="Pay your invoice")
    quiet = KnowledgeArticleFactory(title="Freeze your card")
    for verdict in ("helped", "helped", "person"):
        give(paying, verdict)

    response = admin_client.get(ARTICLES)

    rows = {row.title: row for row in response.context["cl"].result_list}
    assert (rows["Pay your invoice"].helped_count, rows["Pay your invoice"].person_count) == (2, 1)
    assert (rows["Freeze your card"].helped_count, rows["Freeze your card"].person_count) == (0, 0)
    text = response.content.decode()
    assert f'href="{FEEDBACK}?article__id__exact={paying.pk}&amp;verdict__exact=helped">2<' in text
    assert f'href="{FEEDBACK}?article__id__exact={paying.pk}&amp;verdict__exact=person">1<' in text
    assert f'href="{FEEDBACK}?article__id__exact={quiet.pk}&amp;verdict__exact=person">0<' in text

    listed = admin_client.get(
        FEEDBACK, {"article__id__exact": paying.pk, "verdict__exact": "helped"}
    )
    assert [feedback.verdict for feedback in listed.context["cl"].result_list] == ["helped"] * 2


def test_the_article_list_costs_one_query_for_its_page_however_many_articles(
    admin_client, django_assert_num_queries
):
    for n in range(5):
        article = KnowledgeArticleFactory(title=f"Article with feedback {n}")
        give(article, "helped")
        give(article, "person")

    # The session and its user; the list's two counts (filtered and total); the page itself,
    # every row's Helped and Wanted a person included; the topic and language filters.
    with django_assert_num_queries(7):
        response = admin_client.get(ARTICLES)

    assert response.status_code == 200
    assert [(row.helped_count, row.person_count) for row in response.context["cl"].result_list] == [
        (1, 1)
    ] * 5


def test_the_article_page_lists_the_latest_questions_that_led_to_a_person(admin_client):
    article = KnowledgeArticleFactory(title="Pay your invoice")
    for n in range(21):
        give(article, "person", question=f"Wanted a person {n:02}")
    give(article, "person", question="<b>Can I pay</b> by bank transfer?")
    give(article, "helped", question="A question that was helped")

    text = admin_client.get(f"{ARTICLES}{article.pk}/change/").content.decode()

    assert "Latest questions that led to “Talk to a person”" in text
    assert "&lt;b&gt;Can I pay&lt;/b&gt; by bank transfer?" in text  # text, never markup
    assert "<b>Can I pay</b>" not in text
    assert "Wanted a person 20" in text
    assert "Wanted a person 02" in text
    assert "Wanted a person 01" not in text  # only the latest 20
    assert "A question that was helped" not in text
    assert admin_client.get(f"{ARTICLES}add/").status_code == 200


def test_the_feedback_list_is_read_only_filtered_by_verdict_and_article_and_searched(
    admin_client,
):
    article = KnowledgeArticleFactory(title="Pay your invoice")
    give(article, "person", question="Can I pay by bank transfer?")
    give(article, "helped", question="Where do I pay?")
    feedback = AnswerFeedback.objects.get(verdict="person")

    response = admin_client.get(FEEDBACK, {"q": "bank transfer"})
    page = admin_client.get(f"{FEEDBACK}{feedback.pk}/change/")

    assert [row.pk for row in response.context["cl"].result_list] == [feedback.pk]
    text = response.content.decode()
    assert f'href="/admin/tickets/ticket/{feedback.message.ticket_id}/change/"' in text
    assert {spec.title for spec in response.context["cl"].filter_specs} >= {"verdict", "article"}
    assert admin_client.get(f"{FEEDBACK}add/").status_code == 403
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
