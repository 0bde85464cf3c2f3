"""The customer's pages over HTTP: the chat page, its framing policy, the transcript download
and the embed snippet. What the page does in a browser is in tests/e2e/test_chat_browser.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.factories import AgentFactory
from tests.servers import collect_static_once
from tickets import messages, services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _static_manifest():
    # Tests run with DEBUG off: {% static %} needs the manifest of collected files.
    collect_static_once()


class Elements(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self._open_label: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "label":
            self._open_label = dict(attrs).get("for")
            self.text[self._open_label] = ""

    def handle_endtag(self, tag):
        if tag == "label":
            self._open_label = None

    def handle_data(self, data):
        if self._open_label:
            self.text[self._open_label] += data

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            found
            for name, found in self.tags
            if name == tag and all(found.get(key) == value for key, value in attrs.items())
        ]


# --- The chat page -------------------------------------------------------------------------


def test_the_chat_page_needs_no_login_and_labels_every_control(client):
    response = client.get("/chat/")

    assert response.status_code == 200
    page = Elements(response.content.decode())
    labelled = set(page.text)
    for tag in ("input", "textarea"):
        for control in page.find(tag):
            if control.get("type") == "hidden":
                continue  # the language switcher's CSRF token and way back: nobody fills them
            if control.get("type") != "radio" or control.get("id"):
                assert control.get("id") in labelled, control
    assert page.text["chat-message"].strip() == "Your message"
    assert page.text["customer-name"].strip() == "Your name"
    assert page.text["customer-email"].strip() == "Your email"
    assert [page.text[f"score-{n}"].strip() for n in range(1, 6)] == ["1", "2", "3", "4", "5"]
    [log] = page.find("ol", id="messages")
    assert (log["role"], log["aria-live"]) == ("log", "polite")
    [talk] = page.find("button", id="talk-to-person")
    assert talk["type"] == "button"


def test_the_chat_page_shows_no_template_syntax(client):
    # A {# … #} comment spanning lines is not a comment: it renders, and took a phone's room.
    html = client.get("/chat/").content.decode()

    assert "{#" not in html
    assert "{%" not in html


def test_the_chat_page_runs_only_its_own_static_script(client):
    html = client.get("/chat/").content.decode()

    scripts = Elements(html).find("script")
    # The phrases of the page's language (Django's JavaScriptCatalog), then the chat.
    assert [re.sub(r"\.[0-9a-f]{12}\.js$", ".js", s["src"]) for s in scripts] == [
        "/jsi18n/",
        "/static/tickets/chat.js",
    ]
    assert "<script>" not in html


def test_any_site_may_frame_the_chat_but_no_other_page(client):
    chat = client.get("/chat/?embed=1")
    home = client.get("/")

    assert "X-Frame-Options" not in chat
    policy = chat["Content-Security-Policy"]
    assert "frame-ancestors *" in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self' ws://testserver wss://testserver" in policy
    assert home["X-Frame-Options"] == "DENY"


def test_the_embedded_chat_leaves_out_the_site_header(client):
    full = client.get("/chat/").content.decode()
    embedded = client.get("/chat/?embed=1").content.decode()

    assert 'class="site-header"' in full
    assert 'class="site-header"' not in embedded
    assert "chat-page--embed" in embedded


def test_the_chat_page_only_answers_get(client):
    assert client.post("/chat/").status_code == 405
    assert client.head("/chat/").status_code == 200


# --- The transcript ------------------------------------------------------------------------


def resolved_conversation(*, more_messages: int = 0) -> Ticket:
    agent = AgentFactory(user__first_name="Ana")
    ticket = services.conversation_start(name="Sam Doe")
    messages.message_post_customer(
        token=ticket.token, client_id="c1", body="<script>alert(1)</script>\nsecond line"
    )
    services.ticket_escalate(ticket_id=ticket.pk, reason="customer_request")
    services.ticket_claim(ticket_id=ticket.pk, agent_id=agent.pk)
    messages.message_post_agent(
        ticket_id=ticket.pk, agent_id=agent.pk, client_id="a1", body="Hello Sam"
    )
    for n in range(more_messages):
        messages.message_post_agent(
            ticket_id=ticket.pk, agent_id=agent.pk, client_id=f"more{n}", body=f"Note {n}"
        )
    services.ticket_resolve(ticket_id=ticket.pk, agent_id=agent.pk)
    return ticket


def test_the_transcript_downloads_as_plain_text_by_token(client):
    ticket = resolved_conversation()

    response = client.get(f"/chat/{ticket.token}/transcript.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="conversation-{ticket.pk}-transcript.txt"'
    )
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert "] Assistant:\n  Hi! I'm the Acme assistant." in text
    assert "] You:\n  <script>alert(1)</script>\n  second line\n" in text
    assert "] Ana:\n  Hello Sam\n" in text
    assert "] Humanline:\n  Ana marked the conversation resolved." in text
    assert text.index("<script>") < text.index("Hello Sam")


def test_the_transcript_of_an_unknown_token_is_not_found(client):
    resolved_conversation()

    assert client.get("/chat/not-a-token/transcript.txt").status_code == 404


def test_the_transcript_only_answers_get(client):
    ticket = resolved_conversation()

    assert client.post(f"/chat/{ticket.token}/transcript.txt").status_code == 405


@pytest.mark.parametrize("more_messages", [0, 30])
def test_the_transcript_takes_two_queries_however_long_the_conversation(
    client, django_assert_num_queries, more_messages
):
    ticket = resolved_conversation(more_messages=more_messages)

    with django_assert_num_queries(2):
        response = client.get(f"/chat/{ticket.token}/transcript.txt")

    assert response.content.decode().count("] Ana:\n") == 1 + more_messages


# --- The embed snippet ---------------------------------------------------------------------


def test_the_embed_snippet_opens_the_chat_page_in_a_frame():
    script = Path(finders.find("tickets/embed.js")).read_text(encoding="utf-8")

    assert '"/chat/?embed=1"' in script
    assert "document.currentScript" in script
    assert "innerHTML" not in script


def test_the_embed_example_shows_the_one_line_snippet(client):
    response = client.get("/chat/embed-example/")

    html = response.content.decode()
    assert response.status_code == 200
    snippet = '&lt;script src="http://testserver/static/tickets/embed.js" defer&gt;&lt;/script&gt;'
    assert snippet in html
    assert '<script src="http://testserver/static/tickets/embed.js" defer></script>' in html


def test_the_transcripts_times_are_in_utc_written_the_readers_way(client):
    ticket = resolved_conversation()
    Ticket.objects.filter(pk=ticket.pk).update(created_at=datetime(2026, 12, 5, 14, 30, tzinfo=UTC))

    english = client.get(f"/chat/{ticket.token}/transcript.txt").content.decode()
    german = client.get(
        f"/chat/{ticket.token}/transcript.txt", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()

    assert english.splitlines()[0].endswith("started Dec 5, 2026, 2:30\u202fPM UTC")
    assert german.splitlines()[0].endswith("5. Dez. 2026, 14:30 UTC")
