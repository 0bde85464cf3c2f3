"""The assistant's decisions on example conversations, plus its LLM backend.

Pure Python: no Django, no database. The LLM backend is only ever pointed at 127.0.0.1,
either at a closed port or at a fake chat-completions server running in a thread.
"""

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from tickets.assistant import (
    CONFIDENCE_THRESHOLD,
    Article,
    BackendAnswer,
    Decision,
    LocalBackend,
    OpenAICompatibleBackend,
    Priority,
    Reason,
    Turn,
    backend_from_settings,
    respond,
    summarize_handover,
)
from tickets.assistant.demo_articles import DEMO_ARTICLES
from tickets.assistant.retrieval import rank_articles

ARTICLES = tuple(
    Article(
        id=number,
        title=entry["title"],
        body=entry["body"],
        topic=entry["topic"],
        language=entry["language"],
        keywords=tuple(entry["keywords"]),
    )
    for number, entry in enumerate(DEMO_ARTICLES, start=1)
)
ARTICLE_BY_TITLE = {article.title: article for article in ARTICLES}

REFUND_TIMES = ARTICLE_BY_TITLE["How long refunds take"]
RESET_PASSWORD = ARTICLE_BY_TITLE["Reset your password"]
TRACK_ORDER = ARTICLE_BY_TITLE["Track your order"]

UNSURE_EN = "I'm not sure I understood that."
HANDOVER_EN = "I'm connecting you with a person now."


def customer(body: str) -> Turn:
    return Turn(sender="customer", body=body)


def bot(body: str) -> Turn:
    return Turn(sender="bot", body=body)


REFUND_ANSWER = bot(f'{REFUND_TIMES.body}\n\n(From: "{REFUND_TIMES.title}")')


@dataclass(frozen=True)
class Conversation:
    message: str
    history: tuple[Turn, ...] = ()
    language: str = "en"
    is_vip: bool = False
    unsure_in_a_row: int = 0


def decide(conversation: Conversation, **overrides: object) -> Decision:
    arguments: dict[str, object] = {
        "message": conversation.message,
        "history": conversation.history,
        "articles": ARTICLES,
        "language": conversation.language,
        "is_vip": conversation.is_vip,
        "unsure_in_a_row": conversation.unsure_in_a_row,
    }
    arguments.update(overrides)
    return respond(**arguments)  # type: ignore[arg-type]


# --- Routine questions ------------------------------------------------------------------

ROUTINE_QUESTIONS = [
    pytest.param("How do I reset my password?", "en", "Reset your password", id="password reset"),
    pytest.param("I forgot my password", "en", "Reset your password", id="forgotten password"),
    pytest.param(
        "how long does a refund take?", "en", "How long refunds take", id="refund timeline"
    ),
    pytest.param("When will I get my money back?", "en", "How long refunds take", id="money back"),
    pytest.param(
        "How do I return an item?", "en", "Return an item for a refund", id="returning an item"
    ),
    pytest.param("Where is my parcel?", "en", "Track your order", id="where is my parcel"),
    pytest.param("my order hasn't arrived yet", "en", "Track your order", id="late order"),
    pytest.param(
        "How much is shipping?", "en", "Shipping costs and delivery times", id="shipping cost"
    ),
    pytest.param(
        "Can I change my delivery address?",
        "en",
        "Change your delivery address",
        id="changing the address",
    ),
    pytest.param(
        "I was charged twice for one order",
        "en",
        "Pending and duplicate charges",
        id="charged twice",
    ),
    pytest.param("Can I add a new card?", "en", "Update your payment method", id="adding a card"),
    pytest.param("my card was declined", "en", "Card declined at checkout", id="declined card"),
    pytest.param(
        "The app keeps crashing",
        "en",
        "The app won't open or keeps crashing",
        id="crashing app",
    ),
    pytest.param(
        "olvidé mi contraseña", "es", "Restablecer tu contraseña", id="spanish password reset"
    ),
    pytest.param(
        "¿Cuándo llega mi reembolso?", "es", "Plazos de reembolso", id="spanish refund timeline"
    ),
]


@pytest.mark.parametrize(("message", "language", "title"), ROUTINE_QUESTIONS)
def test_it_answers_a_routine_question_from_the_right_article(
    message: str, language: str, title: str
) -> None:
    article = ARTICLE_BY_TITLE[title]

    decision = decide(Conversation(message=message, language=language))

    assert not decision.escalate
    assert decision.reason is None
    assert decision.article_id == article.id
    assert decision.article_title == title
    assert decision.answer is not None
    assert decision.answer.startswith(article.body)
    assert decision.answer.endswith(f'"{title}")')
    assert CONFIDENCE_THRESHOLD <= decision.confidence <= 1
    assert decision.topic == article.topic
    assert decision.summary == ""
    assert not decision.is_unsure
    assert type(decision.priority) is int


def test_it_names_the_article_it_answered_from() -> None:
    decision = decide(Conversation(message="How do I reset my password?"))

    assert decision.answer is not None
    assert decision.answer.endswith('(From: "Reset your password")')


def test_it_names_the_article_in_the_customers_language() -> None:
    decision = decide(Conversation(message="olvidé mi contraseña", language="es"))

    assert decision.answer is not None
    assert decision.answer.endswith('(Fuente: "Restablecer tu contraseña")')


def test_it_only_searches_articles_in_the_customers_language() -> None:
    ranked = rank_articles(question="password contraseña", articles=ARTICLES, language="es-MX")

    assert {entry.article.language for entry in ranked} == {"es"}


def test_it_uses_every_article_when_none_is_in_the_customers_language() -> None:
    decision = decide(Conversation(message="How do I reset my password?", language="fr"))

    assert decision.article_title == "Reset your password"


@pytest.mark.parametrize(
    ("skill_topic", "skills"),
    [
        pytest.param("Can I add a new card?", ("billing",), id="billing"),
        pytest.param("how long does a refund take?", ("refunds",), id="refunds"),
        pytest.param("I forgot my password", ("accounts",), id="accounts"),
        pytest.param("The app keeps crashing", ("technical",), id="technical"),
        pytest.param("Where is my parcel?", ("general",), id="shipping"),
    ],
)
def test_it_derives_the_required_skills_from_the_articles_topic(
    skill_topic: str, skills: tuple[str, ...]
) -> None:
    assert decide(Conversation(message=skill_topic)).required_skills == skills


# --- When the assistant is not sure -----------------------------------------------------

NOT_ESCALATED = [
    pytest.param(
        Conversation(message="Do you sell bicycles?"),
        UNSURE_EN,
        id="a first unsure answer asks the customer to rephrase",
    ),
    pytest.param(
        Conversation(message="Can I pay with bitcoin?"),
        UNSURE_EN,
        id="a word that appears only in passing in an article is not enough",
    ),
    pytest.param(
        Conversation(message="How do I change my browser's user agent string?"),
        UNSURE_EN,
        id="user agent is not a request for a person",
    ),
    pytest.param(
        Conversation(message="hi", unsure_in_a_row=1),
        "Hi! What can I help you with today?",
        id="a greeting gets a greeting even after an unsure answer",
    ),
    pytest.param(
        Conversation(message="thanks!", unsure_in_a_row=1, history=(REFUND_ANSWER,)),
        "You're welcome!",
        id="a thank you gets a reply and does not count as unsure",
    ),
    pytest.param(
        Conversation(
            message="How long does a refund take?",
            history=(customer("How long does a refund take?"),),
        ),
        "Once we approve a refund",
        id="a double sent question is not a repeat",
    ),
    pytest.param(
        Conversation(message="¿Vendéis bicicletas?", language="es"),
        "No estoy seguro de haberte entendido.",
        id="the unsure answer is in the customers language",
    ),
]


@pytest.mark.parametrize(("conversation", "answer_start"), NOT_ESCALATED)
def test_it_keeps_the_conversation_with_the_assistant(
    conversation: Conversation, answer_start: str
) -> None:
    decision = decide(conversation)

    assert not decision.escalate
    assert decision.reason is None
    assert decision.answer is not None
    assert decision.answer.startswith(answer_start)


def test_a_single_unsure_answer_suggests_talking_to_a_person() -> None:
    decision = decide(Conversation(message="Do you sell bicycles?"))

    assert decision.answer is not None
    assert "Talk to a person" in decision.answer
    assert decision.article_id is None
    assert decision.confidence < CONFIDENCE_THRESHOLD
    assert decision.is_unsure


def test_small_talk_is_not_unsure() -> None:
    assert not decide(Conversation(message="hello")).is_unsure


def test_confidence_is_zero_when_no_article_shares_a_word_with_the_question() -> None:
    ranked = rank_articles(question="what's the weather on mars", articles=ARTICLES, language="en")

    assert all(entry.confidence == 0 for entry in ranked)


# --- Escalations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    reason: str
    topic: str
    priority: int
    skills: tuple[str, ...]
    answer_start: str = HANDOVER_EN


ESCALATIONS = [
    pytest.param(
        Conversation(message="I want to talk to a human"),
        Expected(Reason.CUSTOMER_REQUEST, "general", Priority.NORMAL, ("general",)),
        id="the customer asks for a human",
    ),
    pytest.param(
        Conversation(message="Agent!"),
        Expected(Reason.CUSTOMER_REQUEST, "general", Priority.NORMAL, ("general",)),
        id="the customer types just agent",
    ),
    pytest.param(
        Conversation(
            message="Can I speak to a real person please",
            history=(customer("how long does a refund take?"), REFUND_ANSWER),
        ),
        Expected(Reason.CUSTOMER_REQUEST, "refunds", Priority.NORMAL, ("refunds",)),
        id="the topic of a request for a person comes from earlier messages",
    ),
    pytest.param(
        Conversation(message="Quiero hablar con una persona", language="es"),
        Expected(
            Reason.CUSTOMER_REQUEST,
            "general",
            Priority.NORMAL,
            ("general",),
            answer_start="Te estoy pasando con una persona.",
        ),
        id="a spanish request for a person gets a spanish handover",
    ),
    pytest.param(
        Conversation(
            message="Do you sell bicycles?",
            history=(customer("Do you do gift wrapping?"), bot(UNSURE_EN)),
            unsure_in_a_row=1,
        ),
        Expected(Reason.LOW_CONFIDENCE, "general", Priority.NORMAL, ("general",)),
        id="the assistant is unsure twice in a row",
    ),
    pytest.param(
        Conversation(
            message="This is useless",
            history=(customer("how long does a refund take?"), REFUND_ANSWER),
        ),
        Expected(
            Reason.FRUSTRATION,
            "refunds",
            Priority.HIGH,
            ("refunds",),
            answer_start="I'm sorry this has been frustrating.",
        ),
        id="the customer uses negative words",
    ),
    pytest.param(
        Conversation(
            message="How long does my refund take??",
            history=(customer("how long does a refund take?"), REFUND_ANSWER),
        ),
        Expected(
            Reason.FRUSTRATION,
            "refunds",
            Priority.HIGH,
            ("refunds",),
            answer_start="I'm sorry this has been frustrating.",
        ),
        id="the customer repeats a question the assistant already answered",
    ),
    pytest.param(
        Conversation(message="WHERE IS MY PARCEL I ORDERED IT WEEKS AGO"),
        Expected(
            Reason.FRUSTRATION,
            "shipping",
            Priority.HIGH,
            ("general",),
            answer_start="I'm sorry this has been frustrating.",
        ),
        id="the customer is shouting",
    ),
    pytest.param(
        Conversation(message="I think I've been scammed, there's a charge I didn't make"),
        Expected(
            Reason.SENSITIVE_TOPIC,
            "fraud",
            Priority.URGENT,
            ("fraud",),
            answer_start="This is something a person from our team should handle.",
        ),
        id="fraud is urgent and goes to the fraud team",
    ),
    pytest.param(
        Conversation(message="I'm going to file a chargeback with my bank"),
        Expected(Reason.SENSITIVE_TOPIC, "disputes", Priority.HIGH, ("disputes",), ""),
        id="a chargeback goes to the disputes team",
    ),
    pytest.param(
        Conversation(message="I lost my job and can't pay my bill this month"),
        Expected(Reason.SENSITIVE_TOPIC, "hardship", Priority.HIGH, ("billing",), ""),
        id="financial hardship goes to billing",
    ),
    pytest.param(
        Conversation(message="My husband passed away, his account needs sorting out"),
        Expected(Reason.SENSITIVE_TOPIC, "hardship", Priority.HIGH, ("billing",), ""),
        id="a bereavement is handled by a person",
    ),
    pytest.param(
        Conversation(message="I want to make a formal complaint"),
        Expected(Reason.SENSITIVE_TOPIC, "complaint", Priority.HIGH, ("general",), ""),
        id="a complaint goes to a person",
    ),
    pytest.param(
        Conversation(message="Please close my account"),
        Expected(Reason.SENSITIVE_TOPIC, "account_closure", Priority.HIGH, ("accounts",), ""),
        id="an account closure goes to the accounts team",
    ),
    pytest.param(
        Conversation(message="me han estafado, no reconozco este cargo", language="es"),
        Expected(Reason.SENSITIVE_TOPIC, "fraud", Priority.URGENT, ("fraud",), ""),
        id="fraud reported in spanish",
    ),
    pytest.param(
        Conversation(message="How do I reset my password?", is_vip=True),
        Expected(Reason.VIP, "accounts", Priority.HIGH, ("accounts",)),
        id="a vip goes to a person on the first message with high priority",
    ),
    # Precedence: sensitive_topic > customer_request > frustration > vip > low_confidence.
    pytest.param(
        Conversation(message="Get me a human now, my card was stolen"),
        Expected(Reason.SENSITIVE_TOPIC, "fraud", Priority.URGENT, ("fraud",), ""),
        id="a sensitive topic beats a request for a person",
    ),
    pytest.param(
        Conversation(message="this is ridiculous, I want to speak to an agent"),
        Expected(Reason.CUSTOMER_REQUEST, "general", Priority.NORMAL, ("general",)),
        id="a request for a person beats frustration",
    ),
    pytest.param(
        Conversation(message="this bot is useless", is_vip=True),
        Expected(Reason.FRUSTRATION, "general", Priority.HIGH, ("general",), ""),
        id="frustration beats vip",
    ),
    pytest.param(
        Conversation(message="Do you sell bicycles?", is_vip=True, unsure_in_a_row=1),
        Expected(Reason.VIP, "general", Priority.HIGH, ("general",)),
        id="vip beats low confidence",
    ),
    pytest.param(
        Conversation(message="I want a human", is_vip=True),
        Expected(Reason.CUSTOMER_REQUEST, "general", Priority.HIGH, ("general",)),
        id="a vip request for a person is high priority",
    ),
    pytest.param(
        Conversation(message="someone used my account to buy things", is_vip=True),
        Expected(Reason.SENSITIVE_TOPIC, "fraud", Priority.URGENT, ("fraud",), ""),
        id="vip fraud stays urgent",
    ),
]


@pytest.mark.parametrize(("conversation", "expected"), ESCALATIONS)
def test_it_escalates_with_the_right_reason_topic_priority_and_skills(
    conversation: Conversation, expected: Expected
) -> None:
    decision = decide(conversation)

    assert decision.escalate
    assert decision.reason == expected.reason
    assert decision.topic == expected.topic
    assert decision.priority == expected.priority
    assert decision.required_skills == expected.skills
    assert decision.answer is not None
    assert decision.answer.startswith(expected.answer_start)
    assert decision.article_id is None
    assert decision.summary
    assert not decision.is_unsure


def test_reasons_and_priorities_are_plain_values_for_the_ticket_model() -> None:
    decision = decide(Conversation(message="I want a human", is_vip=True))

    assert type(decision.reason) is str
    assert decision.reason == "customer_request"
    assert type(decision.priority) is int
    assert decision.priority == 3


# --- The summary for the agent ----------------------------------------------------------

CARD_HISTORY = (
    customer("I was charged twice on my card 4242 4242 4242 4242, cvv 123"),
    bot("Only one charge is ever captured; the extra hold disappears automatically."),
)


def test_the_summary_never_shows_a_card_number() -> None:
    decision = decide(
        Conversation(
            message="still charged twice on 4000-0566-5566-5556, get me an agent",
            history=CARD_HISTORY,
        )
    )

    assert "4242 4242 4242 4242" not in decision.summary
    assert "4000-0566-5566-5556" not in decision.summary
    assert "123" not in decision.summary
    assert "•••• •••• •••• 4242" in decision.summary
    assert "•••• •••• •••• 5556" in decision.summary
    assert "[security code removed]" in decision.summary


def test_the_summary_hides_contact_details_from_the_agent() -> None:
    decision = decide(
        Conversation(message="Call me on +44 20 7946 0958 or jane@example.com, I want a human")
    )

    assert "7946" not in decision.summary
    assert "jane@example.com" not in decision.summary
    assert "[phone hidden]" in decision.summary
    assert "[email hidden]" in decision.summary


def test_the_summary_says_topic_question_answer_and_why() -> None:
    decision = decide(
        Conversation(
            message="this is useless",
            history=(customer("how long does a refund take?"), REFUND_ANSWER),
        )
    )

    assert decision.summary.splitlines()[:3] == [
        "Topic: refunds",
        "Why a person: The customer sounds frustrated.",
        "Customer said:",
    ]
    assert '- "how long does a refund take?"' in decision.summary
    assert '- "this is useless"' in decision.summary
    assert 'Assistant last answered: "Once we approve a refund' in decision.summary
    assert 'Related article: "How long refunds take"' in decision.summary


def test_the_summary_says_when_the_assistant_had_not_answered_yet() -> None:
    decision = decide(Conversation(message="Agent please"))

    assert "Assistant last answered: nothing yet." in decision.summary


def test_the_summary_notes_a_vip_escalated_for_another_reason() -> None:
    decision = decide(Conversation(message="I want a human", is_vip=True))

    assert "VIP customer." in decision.summary


# --- A handover the customer asked for with the "Talk to a person" button ---------------

BUTTON_HANDOVERS = [
    pytest.param(
        (customer("how long does a refund take?"), REFUND_ANSWER),
        False,
        "customer_request",
        ("refunds", Priority.NORMAL, ("refunds",)),
        id="after a refund question",
    ),
    pytest.param(
        (customer("how long does a refund take?"), REFUND_ANSWER),
        True,
        "customer_request",
        ("refunds", Priority.HIGH, ("refunds",)),
        id="a vip after a refund question",
    ),
    pytest.param(
        (customer("I don't recognise this charge, was my card stolen?"),),
        False,
        "customer_request",
        ("fraud", Priority.URGENT, ("fraud",)),
        id="after the customer raised fraud",
    ),
    pytest.param(
        (),
        False,
        "customer_request",
        ("general", Priority.NORMAL, ("general",)),
        id="straight away",
    ),
    pytest.param(
        (customer("Where is my parcel?"),),
        False,
        "handoff",
        ("shipping", Priority.NORMAL, ("general",)),
        id="for a reason the assistant does not know",
    ),
]


@pytest.mark.parametrize(("history", "is_vip", "reason", "expected"), BUTTON_HANDOVERS)
def test_it_summarizes_a_handover_the_customer_asked_for(
    history: tuple[Turn, ...],
    is_vip: bool,
    reason: str,
    expected: tuple[str, int, tuple[str, ...]],
) -> None:
    handover = summarize_handover(
        history=history, articles=ARTICLES, language="en", is_vip=is_vip, reason=reason
    )

    assert (handover.topic, handover.priority, handover.required_skills) == expected
    assert handover.reason == reason
    assert handover.summary.startswith(f"Topic: {expected[0]}")


def test_a_handover_summary_never_shows_a_card_number() -> None:
    handover = summarize_handover(
        history=CARD_HISTORY,
        articles=ARTICLES,
        language="en",
        is_vip=False,
        reason="customer_request",
    )

    assert "4242 4242 4242 4242" not in handover.summary
    assert "•••• •••• •••• 4242" in handover.summary
    assert 'Customer said:\n- "I was charged twice' in handover.summary


def test_a_handover_straight_away_says_nothing_was_said_yet() -> None:
    handover = summarize_handover(
        history=(), articles=ARTICLES, language="en", is_vip=False, reason="customer_request"
    )

    assert "Customer said:\n- nothing yet." in handover.summary
    assert "Assistant last answered: nothing yet." in handover.summary


def test_a_card_number_never_reaches_the_backend() -> None:
    backend = RecordingBackend()

    decide(Conversation(message="my card 4242 4242 4242 4242 was declined"), backend=backend)

    assert backend.messages == ["my card •••• •••• •••• 4242 was declined"]


@dataclass
class RecordingBackend:
    messages: list[str] = field(default_factory=list)

    def answer(
        self, *, message: str, history: Sequence[Turn], articles: Sequence[Article], language: str
    ) -> BackendAnswer:
        self.messages.append(message)
        return LocalBackend().answer(
            message=message, history=history, articles=articles, language=language
        )


# --- The LLM backend --------------------------------------------------------------------


@dataclass
class FakeCompletionServer:
    """A chat-completions endpoint on 127.0.0.1 that replies as the test tells it."""

    base_url: str
    status: int = 200
    body: bytes = b""
    delay_seconds: float = 0.0
    requests: list[dict] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def reply_with_content(self, content: str) -> None:
        self.body = json.dumps(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()


@pytest.fixture
def completion_server() -> Iterator[FakeCompletionServer]:
    fake = FakeCompletionServer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            fake.requests.append(json.loads(self.rfile.read(length)))
            fake.headers.append({"path": self.path, **dict(self.headers)})
            time.sleep(fake.delay_seconds)
            try:
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(fake.body)))
                self.end_headers()
                self.wfile.write(fake.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on a deliberately slow reply

        def log_message(self, *args: object) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def llm_backend(base_url: str, *, timeout_seconds: float = 2) -> OpenAICompatibleBackend:
    return OpenAICompatibleBackend(
        base_url=base_url,
        model="acme-support-1",
        api_key="sk-test-key",
        timeout_seconds=timeout_seconds,
    )


def test_the_llm_backend_answers_from_a_valid_completion(
    completion_server: FakeCompletionServer,
) -> None:
    completion_server.reply_with_content(
        json.dumps(
            {
                "article_id": REFUND_TIMES.id,
                "answer": "Card refunds show up within 5 to 10 business days.",
                "confidence": 0.9,
            }
        )
    )

    decision = decide(
        Conversation(message="when do I get my money back?"),
        backend=llm_backend(completion_server.base_url),
    )

    assert not decision.escalate
    assert decision.answer == (
        'Card refunds show up within 5 to 10 business days.\n\n(From: "How long refunds take")'
    )
    assert decision.article_id == REFUND_TIMES.id
    assert CONFIDENCE_THRESHOLD <= decision.confidence <= 1


def test_the_llm_backend_sends_a_standard_chat_request_with_the_articles(
    completion_server: FakeCompletionServer,
) -> None:
    completion_server.reply_with_content(
        json.dumps({"article_id": REFUND_TIMES.id, "answer": "Soon.", "confidence": 1})
    )

    decide(
        Conversation(message="refund for card 4242 4242 4242 4242?"),
        backend=llm_backend(completion_server.base_url),
    )

    [request] = completion_server.requests
    [headers] = completion_server.headers
    assert headers["path"] == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer sk-test-key"
    assert request["model"] == "acme-support-1"
    assert [message["role"] for message in request["messages"]] == ["system", "user"]
    user_content = request["messages"][1]["content"]
    assert f"Article {REFUND_TIMES.id}: How long refunds take" in user_content
    assert "4242 4242 4242 4242" not in json.dumps(request)


def test_the_llm_backend_accepts_json_wrapped_in_a_code_fence(
    completion_server: FakeCompletionServer,
) -> None:
    reply = json.dumps({"article_id": TRACK_ORDER.id, "answer": "Tap Track parcel."})
    completion_server.reply_with_content(f"```json\n{reply}\n```")

    decision = decide(
        Conversation(message="where is my parcel?"),
        backend=llm_backend(completion_server.base_url),
    )

    assert decision.article_id == TRACK_ORDER.id
    assert decision.answer is not None
    assert decision.answer.startswith("Tap Track parcel.")


def test_the_llm_saying_no_article_fits_gives_an_unsure_answer(
    completion_server: FakeCompletionServer,
) -> None:
    completion_server.reply_with_content(
        json.dumps({"article_id": None, "answer": "", "confidence": 0})
    )

    decision = decide(
        Conversation(message="How do I reset my password?"),
        backend=llm_backend(completion_server.base_url),
    )

    assert decision.is_unsure
    assert decision.answer is not None
    assert decision.answer.startswith(UNSURE_EN)


def test_escalation_rules_apply_whatever_the_backend_says(
    completion_server: FakeCompletionServer,
) -> None:
    completion_server.reply_with_content(
        json.dumps({"article_id": RESET_PASSWORD.id, "answer": "Reset it.", "confidence": 1})
    )

    decision = decide(
        Conversation(message="I think my account was hacked, I can't log in"),
        backend=llm_backend(completion_server.base_url),
    )

    assert decision.escalate
    assert decision.reason == Reason.SENSITIVE_TOPIC
    assert completion_server.requests == []


LLM_FAILURES = [
    pytest.param(500, b'{"error": "overloaded"}', 0.0, id="an http error"),
    pytest.param(200, b"<html>gateway</html>", 0.0, id="a body that is not json"),
    pytest.param(200, b'{"choices": []}', 0.0, id="a completion without choices"),
    pytest.param(
        200,
        json.dumps({"choices": [{"message": {"content": "Sure! Reset it in the app."}}]}).encode(),
        0.0,
        id="a completion that is not json",
    ),
    pytest.param(
        200,
        json.dumps(
            {"choices": [{"message": {"content": '{"article_id": 999, "answer": "Yes."}'}}]}
        ).encode(),
        0.0,
        id="a completion citing an article it was not given",
    ),
    pytest.param(200, b"{}", 1.0, id="a reply slower than the timeout"),
]


@pytest.mark.parametrize(("status", "body", "delay_seconds"), LLM_FAILURES)
def test_the_llm_backend_falls_back_to_the_local_backend(
    completion_server: FakeCompletionServer,
    status: int,
    body: bytes,
    delay_seconds: float,
    caplog: pytest.LogCaptureFixture,
) -> None:
    completion_server.status = status
    completion_server.body = body
    completion_server.delay_seconds = delay_seconds
    backend = llm_backend(completion_server.base_url, timeout_seconds=0.3)

    with caplog.at_level(logging.WARNING, logger="tickets.assistant.llm"):
        decision = decide(Conversation(message="How do I reset my password?"), backend=backend)

    assert decision.article_id == RESET_PASSWORD.id
    assert decision.answer is not None
    assert decision.answer.startswith(RESET_PASSWORD.body)
    assert "answering from the local backend" in caplog.text
    assert "sk-test-key" not in caplog.text


def test_the_llm_backend_falls_back_when_nothing_listens_on_the_port(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    backend = llm_backend(f"http://127.0.0.1:{closed_port}/v1")

    with caplog.at_level(logging.WARNING, logger="tickets.assistant.llm"):
        decision = decide(Conversation(message="where is my parcel?"), backend=backend)

    assert not decision.escalate
    assert decision.article_id == TRACK_ORDER.id
    assert "answering from the local backend" in caplog.text


def test_the_llm_backend_keeps_its_api_key_out_of_its_repr() -> None:
    assert "sk-test-key" not in repr(llm_backend("http://127.0.0.1:9/v1"))


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("file:///etc/passwd", id="a file url"),
        pytest.param("ftp://example.com/v1", id="an ftp url"),
        pytest.param("127.0.0.1:8080/v1", id="a url without a scheme"),
    ],
)
def test_the_llm_backend_refuses_a_base_url_that_is_not_http(base_url: str) -> None:
    with pytest.raises(ValueError, match="must be an http"):
        llm_backend(base_url)


FULL_SETTINGS = {
    "ASSISTANT_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
    "ASSISTANT_LLM_MODEL": "llama3.1",
    "ASSISTANT_LLM_API_KEY": "local-key",
}


@pytest.mark.parametrize(
    ("configured", "backend_type"),
    [
        pytest.param(FULL_SETTINGS, OpenAICompatibleBackend, id="all three set"),
        pytest.param({}, LocalBackend, id="nothing set"),
        pytest.param(
            {**FULL_SETTINGS, "ASSISTANT_LLM_API_KEY": ""}, LocalBackend, id="an empty key"
        ),
        pytest.param(
            {k: v for k, v in FULL_SETTINGS.items() if k != "ASSISTANT_LLM_MODEL"},
            LocalBackend,
            id="no model",
        ),
    ],
)
def test_backend_from_settings_uses_the_llm_only_when_fully_configured(
    configured: dict[str, str], backend_type: type
) -> None:
    # Like django.conf.settings, but holding only the names this case sets.
    settings_obj = SimpleNamespace(**configured)
    assert isinstance(backend_from_settings(settings_obj=settings_obj), backend_type)
