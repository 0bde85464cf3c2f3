"""The customer side speaks the customer's language (docs/i18n.md): the chat page, the
phrases the system and the assistant store, the email; English stays the default."""

import re

import pytest
from django.conf import settings
from django.core import mail

from agents.vocabulary import Language
from tests.factories import AgentFactory, QueuedTicketFactory
from tickets import assistant_flow, messages, services
from tickets.language import conversation_language
from tickets.models import Message

pytestmark = pytest.mark.django_db

SWEDISH_QUEUED = "Du står i kö för att prata med en människa."


def test_a_browser_asking_for_swedish_gets_the_chat_page_in_swedish(client):
    page = client.get("/chat/", HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9,en;q=0.5").content.decode()

    assert '<html lang="sv">' in page
    assert "Chatta med oss" in page
    assert "Prata med en människa" in page
    assert "Skriv din fråga…" in page
    # The conversation starts in Swedish once agents can list Swedish (issue #22's vocabulary).
    expected = "sv" if "sv" in Language.values else "en"
    assert f'data-language="{expected}"' in page


def test_the_chat_page_loads_the_script_catalog_before_its_script(client):
    page = client.get("/chat/").content.decode()

    assert page.index('src="/jsi18n/"') < page.index("tickets/chat.js")


def test_the_script_catalog_is_in_the_pages_language(client):
    catalog = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    assert "Skickar\\u2026" in catalog or "Skickar…" in catalog


def test_without_a_preference_the_chat_page_is_english(client):
    page = client.get("/chat/").content.decode()

    assert '<html lang="en">' in page
    assert "Talk to a person" in page
    assert 'data-language="en"' in page


def test_a_language_in_the_address_wins_over_accept_language_and_is_remembered(client):
    response = client.get("/chat/?embed=1&lang=de", HTTP_ACCEPT_LANGUAGE="sv")

    assert '<html lang="de">' in response.content.decode()
    assert "Mit einem Menschen sprechen" in response.content.decode()
    assert 'data-language="de"' in response.content.decode()  # the conversation's language
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert '<html lang="de">' in client.get("/chat/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()


def test_a_language_the_site_does_not_speak_in_the_address_is_ignored(client):
    response = client.get("/chat/?lang=fr", HTTP_ACCEPT_LANGUAGE="sv")

    assert '<html lang="sv">' in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switcher_changes_the_language_and_returns_to_the_chat(client):
    page = client.get("/chat/?lang=sv").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert 'name="next" type="hidden" value="/chat/"' in page  # without the ?lang= that outvotes

    response = client.post("/i18n/setlang/", {"language": "es", "next": "/chat/"})

    assert response.status_code == 302
    assert response["Location"] == "/chat/"
    assert '<html lang="es">' in client.get("/chat/").content.decode()


def test_the_embedded_chat_has_no_switcher(client):
    page = client.get("/chat/?embed=1").content.decode()

    assert "setlang" not in page


def test_the_home_page_follows_accept_language(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert '<html lang="de">' in page
    assert "Ein Mensch ist immer nur einen Klick entfernt." in page


def test_the_operators_pages_stay_english_whatever_the_browser_asks(admin_client):
    page = admin_client.get("/ops/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    assert '<html lang="en">' in page
    assert "setlang" not in page


def test_the_agent_login_follows_accept_language(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    assert '<html lang="sv">' in page


def test_a_conversation_in_swedish_is_greeted_in_swedish():
    ticket = services.conversation_start(language="sv")

    greeting = Message.objects.get(ticket=ticket, seq=1)
    assert greeting.body.startswith("Hej! Jag är Acmes assistent.")


def test_asking_for_a_person_in_swedish_stores_and_pushes_the_queue_message_in_swedish(
    pushes, django_capture_on_commit_callbacks
):
    ticket = services.conversation_start(language="sv", greet=False)

    with django_capture_on_commit_callbacks(execute=True):
        assistant_flow.conversation_request_human(ticket_id=ticket.pk)

    stored = Message.objects.get(ticket=ticket, sender=Message.Sender.SYSTEM)
    assert stored.body == SWEDISH_QUEUED
    pushed = [event.get("body") for _, event in pushes if event.get("type") == "message"]
    assert SWEDISH_QUEUED in pushed


def test_the_assistants_fallback_is_stored_in_the_conversations_language():
    ticket = services.conversation_start(language="sv", greet=False)
    customer, _created = messages.message_post_customer(
        token=ticket.token, client_id="c1", body="Hallå?", ask_assistant=False
    )

    assistant_flow.conversation_assistant_failed(ticket_id=ticket.pk, customer_seq=customer.seq)

    answer = Message.objects.get(ticket=ticket, sender=Message.Sender.BOT)
    assert answer.body.startswith("Tyvärr kan jag inte svara på det just nu.")
    assert "”Prata med en människa”" in answer.body


def test_an_agent_joining_a_german_conversation_is_announced_in_german():
    agent = AgentFactory(user__first_name="Dana", languages=["de", "en"])
    ticket = QueuedTicketFactory(language="de")

    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)

    joined = Message.objects.filter(ticket=ticket, sender=Message.Sender.SYSTEM).last()
    assert joined.body == f"{agent.display_name} ist der Unterhaltung beigetreten."


def test_a_conversation_in_a_language_the_site_does_not_speak_gets_english_phrases():
    ticket = services.conversation_start(language="pt", greet=False)

    assistant_flow.conversation_request_human(ticket_id=ticket.pk)

    stored = Message.objects.get(ticket=ticket, sender=Message.Sender.SYSTEM)
    assert stored.body == "You're in the queue for a person."


@pytest.mark.parametrize(
    ("asked", "spoken"), [("sv", "sv"), ("sv-SE", "sv"), ("DE", "de"), ("pt", "en"), ("", "en")]
)
def test_a_conversation_language_is_one_the_site_speaks_or_english(asked, spoken):
    assert conversation_language(asked) == spoken


def test_the_reply_by_email_is_in_the_conversations_language(django_capture_on_commit_callbacks):
    agent = AgentFactory(user__first_name="Dana", languages=["sv", "en"])
    ticket = QueuedTicketFactory(customer_name="Ana Lopez", language="sv")
    services.ticket_email_reply_request(ticket_id=ticket.pk, email="ana@example.com")
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    messages.message_post_agent(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="r1", body="Återbetalningen är på väg."
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)

    email = mail.outbox[0]
    assert email.subject == "Din konversation med Humanline support"
    assert email.body.startswith("Hej Ana!")
    assert "Du lämnade ett meddelande och bad om svar via e-post." in email.body
    assert "Dana skrev:" in email.body
    assert "Återbetalningen är på väg." in email.body


def test_the_transcript_is_in_the_language_of_the_request(client):
    ticket = services.conversation_start(language="sv")

    transcript = client.get(
        f"/chat/{ticket.token}/transcript.txt", HTTP_ACCEPT_LANGUAGE="sv"
    ).content.decode()

    assert transcript.startswith(f"Konversation {ticket.pk}, startad ")
    assert "Assistent:" in transcript


def test_the_embed_widget_has_its_words_in_every_language_but_english():
    script = (settings.BASE_DIR / "static" / "tickets" / "embed.js").read_text()
    phrases = re.findall(r'\bt\("([^"]+)"\)', script)

    for code, _name in settings.LANGUAGES:
        if code == "en":
            continue
        block = re.search(rf"\n    {code}: \{{(.*?)\n    \}}", script, re.S)
        assert block, f"embed.js has no phrases for {code}"
        assert sorted(set(re.findall(r'\n      "([^"]+)":', block.group(1)))) == sorted(
            set(phrases)
        )


def test_the_switcher_names_each_language_in_itself_whatever_the_pages_language(client):
    page = client.get("/chat/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()

    options = re.findall(r'<option value="(\w+)" lang="\w+"[^>]*>([^<]+)</option>', page)
    assert options == [("en", "English"), ("es", "Español"), ("de", "Deutsch"), ("sv", "Svenska")]
