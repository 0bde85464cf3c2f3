"""The assistant's decisions on example conversations (its LLM backend: test_assistant_llm.py).

Pure Python: no Django, no database.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from tickets.assistant import (
    CONFIDENCE_THRESHOLD,
    Article,
    BackendAnswer,
    Decision,
    LocalBackend,
    Priority,
    Reason,
    Turn,
    respond,
    summarize_handover,
)
from tickets.assistant.demo_articles import demo_article_records
from tickets.assistant.retrieval import rank_articles
from tickets.assistant.sensitive import sensitive_by_pattern
from tickets.assistant.topics import SENSITIVE_TOPIC_BY_NAME
from tickets.assistant.triggers import asks_for_a_person

ARTICLES = demo_article_records()
ARTICLE_BY_TITLE = {article.title: article for article in ARTICLES}

REFUNDS = ARTICLE_BY_TITLE["Refunds for purchases paid with Acme Pay"]
RESET_PASSWORD = ARTICLE_BY_TITLE["Reset your password"]
WHERE_IS_MY_ORDER = ARTICLE_BY_TITLE["Where is my order?"]

UNSURE_EN = "I'm not sure I can answer that well"
HANDOVER_EN = "I'm connecting you with a person now."
SENSITIVE_EN = "This is something a person from our team should handle."


def customer(body: str) -> Turn:
    return Turn(sender="customer", body=body)


def bot(body: str) -> Turn:
    return Turn(sender="bot", body=body)


REFUND_ANSWER = bot(f'{REFUNDS.body}\n\n(From: "{REFUNDS.title}")')


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
    pytest.param("How do I pay my invoice?", "en", "Pay your invoice", id="paying an invoice"),
    pytest.param("I forgot my password", "en", "Reset your password", id="forgotten password"),
    pytest.param(
        "Can I get more time to pay?", "en", "Extend your due date", id="more time to pay"
    ),
    pytest.param(
        "where is my refund", "en", "Refunds for purchases paid with Acme Pay", id="refund"
    ),
    pytest.param(
        "how does pay in 3 work", "en", "Pay in 3 instalments", id="instalments, no question mark"
    ),
    pytest.param("How do I freeze my card?", "en", "Freeze or unfreeze your card", id="freeze"),
    pytest.param(
        "I want to close my account", "en", "Close your Acme Pay account", id="closing the account"
    ),
    pytest.param("¿Cómo pago mi factura?", "es", "Pagar tu factura", id="spanish invoice"),
    pytest.param(
        "olvidé mi contraseña", "es", "Restablecer tu contraseña", id="spanish password reset"
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


def test_it_answers_a_paraphrase_that_shares_no_word_with_the_article() -> None:
    decision = decide(Conversation(message="can i push back when i have to pay"))

    assert decision.article_title == "Extend your due date"


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


def test_it_never_answers_from_an_article_in_another_language() -> None:
    decision = decide(Conversation(message="Comment payer ma facture ?", language="fr"))

    assert decision.article_id is None
    assert decision.is_unsure


NO_SWEDISH_ARTICLES = tuple(article for article in ARTICLES if article.language != "sv")


def test_with_no_article_in_the_customers_language_it_says_so_in_that_language() -> None:
    decision = decide(
        Conversation(message="Var är min återbetalning?", language="sv"),
        articles=NO_SWEDISH_ARTICLES,
    )

    assert decision.answer == (
        "Jag hittade inget svar på svenska i vårt hjälpcenter; en person kan hjälpa dig."
    )
    assert decision.article_id is None


def test_with_no_article_in_the_customers_language_it_offers_a_person_as_when_unsure() -> None:
    decision = decide(
        Conversation(message="Var är min återbetalning?", language="sv"),
        articles=NO_SWEDISH_ARTICLES,
    )

    assert decision.is_unsure
    assert not decision.escalate


def test_a_second_question_with_no_article_in_the_language_goes_to_a_person() -> None:
    decision = decide(
        Conversation(message="Hur byter jag lösenord?", language="sv", unsure_in_a_row=1),
        articles=NO_SWEDISH_ARTICLES,
    )

    assert decision.escalate
    assert decision.reason == Reason.LOW_CONFIDENCE


def test_a_regional_language_code_gets_the_sentence_of_its_language() -> None:
    decision = decide(Conversation(message="Jaki jest mój limit?", language="pl-PL"))

    assert decision.answer is not None
    assert "po polsku" in decision.answer


@pytest.mark.parametrize(
    ("question", "skills"),
    [
        pytest.param("How do I pay my invoice?", ("billing",), id="billing"),
        pytest.param("where is my refund", ("refunds",), id="refunds"),
        pytest.param("I forgot my password", ("accounts",), id="accounts"),
        pytest.param("How do I track my order?", ("general",), id="general"),
    ],
)
def test_it_derives_the_required_skills_from_the_articles_topic(
    question: str, skills: tuple[str, ...]
) -> None:
    assert decide(Conversation(message=question)).required_skills == skills


# --- When the assistant is not sure -----------------------------------------------------

NOT_ESCALATED = [
    pytest.param(
        Conversation(message="Do you sell bicycles?"),
        UNSURE_EN,
        id="a first unsure answer offers a person",
    ),
    pytest.param(
        Conversation(message="Can I pay with bitcoin?"),
        UNSURE_EN,
        id="a word that appears in an article is not enough",
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
            message="where is my refund",
            history=(customer("where is my refund"),),
        ),
        "Refunds are made by the store.",
        id="a double sent question is not a repeat",
    ),
    pytest.param(
        Conversation(message="¿Vendéis bicicletas?", language="es"),
        "No estoy seguro de poder responder bien a eso",
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


def test_an_off_topic_question_is_below_the_threshold_for_every_article() -> None:
    ranked = rank_articles(question="what's the weather on mars", articles=ARTICLES, language="en")

    assert all(entry.confidence < CONFIDENCE_THRESHOLD for entry in ranked)


def test_the_unsure_answer_is_one_short_sentence() -> None:
    decision = decide(Conversation(message="Do you sell bicycles?"))

    assert decision.answer is not None
    assert decision.answer.count(".") == 1
    assert len(decision.answer) < 120


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
            history=(customer("where is my refund"), REFUND_ANSWER),
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
            history=(customer("where is my refund"), REFUND_ANSWER),
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
            message="where is my refund??",
            history=(customer("where is my refund"), REFUND_ANSWER),
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
            "general",
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
            "unrecognised_payment",
            Priority.URGENT,
            ("fraud",),
            answer_start=SENSITIVE_EN,
        ),
        id="a payment the customer did not make is urgent and goes to the fraud team",
    ),
    pytest.param(
        Conversation(message="I got a text from 'Acme' asking for my PIN, is this a scam?"),
        Expected(Reason.SENSITIVE_TOPIC, "fraud_or_scam", Priority.URGENT, ("fraud",), ""),
        id="a scam goes to the fraud team",
    ),
    pytest.param(
        Conversation(message="I lost my job and can't pay my bill this month"),
        Expected(Reason.SENSITIVE_TOPIC, "financial_hardship", Priority.HIGH, ("billing",), ""),
        id="financial hardship goes to billing",
    ),
    pytest.param(
        Conversation(message="My husband passed away, his account needs sorting out"),
        Expected(Reason.SENSITIVE_TOPIC, "bereavement", Priority.HIGH, ("accounts",), ""),
        id="a bereavement is handled by a person",
    ),
    pytest.param(
        Conversation(message="if this goes on I will hurt myself"),
        Expected(Reason.SENSITIVE_TOPIC, "threat_of_harm", Priority.URGENT, ("general",), ""),
        id="a threat of harm is urgent",
    ),
    pytest.param(
        Conversation(message="I want to make a formal complaint"),
        Expected(Reason.SENSITIVE_TOPIC, "complaint", Priority.HIGH, ("general",), ""),
        id="a complaint goes to a person",
    ),
    pytest.param(
        Conversation(message="me han estafado, no reconozco este cargo", language="es"),
        Expected(Reason.SENSITIVE_TOPIC, "unrecognised_payment", Priority.URGENT, ("fraud",), ""),
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
        Expected(Reason.SENSITIVE_TOPIC, "lost_or_stolen", Priority.URGENT, ("fraud",), ""),
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
        Expected(Reason.SENSITIVE_TOPIC, "account_compromised", Priority.URGENT, ("fraud",), ""),
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


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("I lost my card", "lost_or_stolen"),
        ("Someone stole my card", "lost_or_stolen"),
        ("My card was used without my permission", "unrecognised_payment"),
        ("There is a payment I did not make", "unrecognised_payment"),
        ("He perdido mi tarjeta", "lost_or_stolen"),
    ],
)
def test_a_lost_card_or_a_payment_not_made_goes_to_the_fraud_team_on_the_first_message(
    message: str, topic: str
) -> None:
    language = "es" if message.startswith("He ") else "en"

    decision = decide(Conversation(message=message, language=language))

    assert (decision.escalate, decision.reason) == (True, Reason.SENSITIVE_TOPIC)
    assert (decision.topic, decision.priority, decision.required_skills) == (
        topic,
        Priority.URGENT,
        ("fraud",),
    )


def test_a_wording_no_pattern_knows_is_found_by_the_classifier() -> None:
    message = "my purse with all my cards in it is gone, i think on the bus"
    assert sensitive_by_pattern(message) is None

    decision = decide(Conversation(message=message))

    assert decision.escalate
    assert decision.reason == Reason.SENSITIVE_TOPIC


def test_a_request_for_a_person_in_words_no_pattern_knows_is_recognised() -> None:
    message = "I'd rather speak to staff"
    assert not asks_for_a_person(message)

    decision = decide(Conversation(message=message))

    assert (decision.escalate, decision.reason) == (True, Reason.CUSTOMER_REQUEST)


def test_a_sensitive_sentence_inside_a_long_routine_message_is_found() -> None:
    message = (
        "I paid my invoice last week and the app shows it as paid. I also changed my phone "
        "number yesterday. My ex keeps logging into my account and reading my messages."
    )
    assert sensitive_by_pattern(message) is None

    decision = decide(Conversation(message=message))

    assert (decision.reason, decision.topic) == (Reason.SENSITIVE_TOPIC, "account_compromised")


def test_a_routine_question_with_the_words_of_a_sensitive_one_stays_routine() -> None:
    decision = decide(Conversation(message="how do I freeze my card before my holiday"))

    assert not decision.escalate
    assert decision.article_title == "Freeze or unfreeze your card"


# Swedish and German first messages, written apart from the classifier's examples. Written
# before there were Swedish and German patterns; some are now caught by a pattern first, with
# the same topic (the patterns' own cases: test_sensitive_patterns_sv_de.py).
SENSITIVE_IN_SWEDISH_AND_GERMAN = [
    pytest.param(
        "Jag blev rånad i går kväll och de tog mobilen", "sv", "lost_or_stolen", id="sv robbed"
    ),
    pytest.param(
        "Det har dragits 2 400 kr för en beställning jag inte känner till",
        "sv",
        "unrecognised_payment",
        id="sv unknown order",
    ),
    pytest.param(
        "Varför har jag fått en faktura från en butik där jag aldrig har handlat?",
        "sv",
        "unrecognised_payment",
        id="sv invoice from a shop never used",
    ),
    pytest.param(
        "Någon har loggat in på mitt konto och bytt telefonnumret, nu kommer jag inte in",
        "sv",
        "account_compromised",
        id="sv phone number changed by someone",
    ),
    pytest.param(
        "Jag fick ett mejl om en inloggning från en ny enhet och det var inte jag",
        "sv",
        "account_compromised",
        id="sv login from a new device",
    ),
    pytest.param(
        "Mitt ex hotar att skada mig om jag inte betalar hans skulder",
        "sv",
        "threat_of_harm",
        id="sv threatened by an ex",
    ),
    pytest.param(
        "Min fru dog i helgen och jag vet inte vad jag ska göra med hennes fakturor",
        "sv",
        "bereavement",
        id="sv wife died",
    ),
    pytest.param(
        "Jag är sjukskriven och kan inte betala det jag är skyldig just nu",
        "sv",
        "financial_hardship",
        id="sv on sick leave",
    ),
    pytest.param(
        "Det här är oacceptabelt, jag tänker anmäla er till Konsumentverket",
        "sv",
        "complaint",
        id="sv to the consumer agency",
    ),
    pytest.param(
        "Ich hab mein Handy im Taxi liegen lassen und die App ist noch angemeldet",
        "de",
        "lost_or_stolen",
        id="de phone left in a taxi",
    ),
    pytest.param(
        "Ich soll 89 Euro für eine Bestellung zahlen, die nie von mir kam",
        "de",
        "unrecognised_payment",
        id="de order never placed",
    ),
    pytest.param(
        "Ich will nicht mehr aufwachen, es hat alles keinen Sinn mehr",
        "de",
        "threat_of_harm",
        id="de does not want to wake up",
    ),
    pytest.param(
        "Mein Freund bedroht mich und zwingt mich, mit meinem Konto einzukaufen",
        "de",
        "threat_of_harm",
        id="de coerced by a boyfriend",
    ),
    pytest.param(
        "Mein Vater ist vor zwei Wochen gestorben, was passiert mit seinem Konto?",
        "de",
        "bereavement",
        id="de father died",
    ),
    pytest.param(
        "Meine Oma ist verstorben und es kommen immer noch Rechnungen für sie",
        "de",
        "bereavement",
        id="de grandmother died",
    ),
    pytest.param(
        "Seit der Kündigung reicht mein Geld nicht mehr für die Raten",
        "de",
        "financial_hardship",
        id="de since being let go",
    ),
    pytest.param(
        "Ich bin arbeitslos und schaffe die nächste Zahlung nicht",
        "de",
        "financial_hardship",
        id="de unemployed",
    ),
    pytest.param(
        "Ich werde mich bei der Verbraucherzentrale über euch beschweren",
        "de",
        "complaint",
        id="de to the consumer centre",
    ),
    # Missed before the Swedish and German patterns (docs/assistant.md), caught since.
    pytest.param(
        "Någon snodde min väska på tåget och kortet låg i den",
        "sv",
        "lost_or_stolen",
        id="sv bag nicked on the train",
    ),
    pytest.param(
        "Allt känns meningslöst och jag tänker ta livet av mig",
        "sv",
        "threat_of_harm",
        id="sv means to end it",
    ),
    pytest.param(
        "Min pappa har dött, vad händer med hans konto?",
        "sv",
        "bereavement",
        id="sv father died",
    ),
    pytest.param(
        "Jag blev uppsagd i våras och pengarna räcker inte till fakturorna längre",
        "sv",
        "financial_hardship",
        id="sv laid off in spring",
    ),
    pytest.param(
        "Jag vill klaga officiellt på hur ni har hanterat mitt ärende",
        "sv",
        "complaint",
        id="sv complain officially",
    ),
    pytest.param(
        "Mir wurde gestern in der U-Bahn die Tasche geklaut, da war meine Karte drin",
        "de",
        "lost_or_stolen",
        id="de bag stolen on the U-Bahn",
    ),
    pytest.param(
        "Der Verkäufer hat das Geld genommen und die Ware nie geschickt, das war Abzocke",
        "de",
        "fraud_or_scam",
        id="de seller took the money",
    ),
    pytest.param(
        "Hiermit lege ich förmlich Beschwerde gegen Ihren Kundenservice ein",
        "de",
        "complaint",
        id="de formal complaint",
    ),
]


@pytest.mark.parametrize(("message", "language", "topic"), SENSITIVE_IN_SWEDISH_AND_GERMAN)
def test_a_sensitive_first_message_in_swedish_or_german_goes_to_a_person(
    message: str, language: str, topic: str
) -> None:
    sensitive = SENSITIVE_TOPIC_BY_NAME[topic]

    decision = decide(Conversation(message=message, language=language))

    assert (decision.escalate, decision.reason) == (True, Reason.SENSITIVE_TOPIC)
    assert (decision.topic, decision.priority, decision.required_skills) == (
        topic,
        sensitive.priority,
        (str(sensitive.skill),),
    )


def test_the_sensitive_topics_go_to_the_teams_and_priorities_of_the_table() -> None:
    """The table in docs/assistant.md, which the Swedish and German cases above rely on."""
    table = {name: (topic.skill, topic.priority) for name, topic in SENSITIVE_TOPIC_BY_NAME.items()}

    assert table == {
        "lost_or_stolen": ("fraud", Priority.URGENT),
        "unrecognised_payment": ("fraud", Priority.URGENT),
        "account_compromised": ("fraud", Priority.URGENT),
        "fraud_or_scam": ("fraud", Priority.URGENT),
        "threat_of_harm": ("general", Priority.URGENT),
        "bereavement": ("accounts", Priority.HIGH),
        "financial_hardship": ("billing", Priority.HIGH),
        "complaint": ("general", Priority.HIGH),
    }


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("Snälla, koppla mig till någon som jobbar hos er", "sv"),
        ("Gibt es bei euch auch echte Menschen im Chat?", "de"),
        ("Kan jag få prata med en riktig handläggare?", "sv"),
        ("Ich hätte gern einen Mitarbeiter am Telefon", "de"),
    ],
)
def test_a_request_for_a_person_in_swedish_or_german_is_recognised(
    message: str, language: str
) -> None:
    decision = decide(Conversation(message=message, language=language))

    assert (decision.escalate, decision.reason) == (True, Reason.CUSTOMER_REQUEST)


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("Går det att frysa kortet medan jag är utomlands?", "sv"),
        ("När ska min faktura vara betald?", "sv"),
        ("Jag har flyttat, hur uppdaterar jag min adress?", "sv"),
        ("Hur byter jag lösenord i appen?", "sv"),
        ("Kann ich meine Karte kurz einfrieren, solange ich im Urlaub bin?", "de"),
        ("Bis wann muss ich meine Rechnung bezahlen?", "de"),
        ("Ich bin umgezogen, wo ändere ich meine Adresse?", "de"),
        ("Wie ändere ich mein Passwort?", "de"),
    ],
)
def test_a_routine_question_in_swedish_or_german_stays_with_the_assistant(
    message: str, language: str
) -> None:
    decision = decide(Conversation(message=message, language=language))

    assert not decision.escalate
    assert decision.reason is None


def test_reasons_and_priorities_are_plain_values_for_the_ticket_model() -> None:
    decision = decide(Conversation(message="I want a human", is_vip=True))

    assert type(decision.reason) is str
    assert decision.reason == "customer_request"
    assert type(decision.priority) is int
    assert decision.priority == 3


# --- The summary for the agent ----------------------------------------------------------

CARD_HISTORY = (
    customer("I was charged twice on my card 4242 4242 4242 4242, cvv 123"),
    bot("A payment to Acme Pay usually fails because the card has expired."),
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
            history=(customer("where is my refund"), REFUND_ANSWER),
        )
    )

    assert decision.summary.splitlines()[:3] == [
        "Topic: refunds",
        "Why a person: The customer sounds frustrated.",
        "Customer said:",
    ]
    assert '- "where is my refund"' in decision.summary
    assert '- "this is useless"' in decision.summary
    assert 'Assistant last answered: "Refunds are made by the store.' in decision.summary
    assert f'Related article: "{REFUNDS.title}"' in decision.summary


def test_the_summary_says_when_the_assistant_had_not_answered_yet() -> None:
    decision = decide(Conversation(message="Agent please"))

    assert "Assistant last answered: nothing yet." in decision.summary


def test_the_summary_notes_a_vip_escalated_for_another_reason() -> None:
    decision = decide(Conversation(message="I want a human", is_vip=True))

    assert "VIP customer." in decision.summary


# --- A handover the customer asked for with the "Talk to a person" button ---------------

BUTTON_HANDOVERS = [
    pytest.param(
        (customer("where is my refund"), REFUND_ANSWER),
        False,
        "customer_request",
        ("refunds", Priority.NORMAL, ("refunds",)),
        id="after a refund question",
    ),
    pytest.param(
        (customer("where is my refund"), REFUND_ANSWER),
        True,
        "customer_request",
        ("refunds", Priority.HIGH, ("refunds",)),
        id="a vip after a refund question",
    ),
    pytest.param(
        (customer("I don't recognise this charge, was my card stolen?"),),
        False,
        "customer_request",
        ("lost_or_stolen", Priority.URGENT, ("fraud",)),
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
        (customer("How do I pay my invoice?"),),
        False,
        "handoff",
        ("billing", Priority.NORMAL, ("billing",)),
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


@pytest.mark.parametrize(
    ("message", "language", "title"),
    [
        ("Hur gör jag för att betala fakturan i appen?", "sv", "Betala din faktura"),
        ("Wie zahle ich meine Rechnung in der App?", "de", "Deine Rechnung bezahlen"),
    ],
)
def test_an_invoice_question_in_swedish_or_german_is_answered_from_its_languages_article(
    message: str, language: str, title: str
) -> None:
    decision = decide(Conversation(message=message, language=language))

    assert not decision.escalate
    assert decision.article_title == title
