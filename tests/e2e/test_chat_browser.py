"""The customer chat in real headless Chromium against a uvicorn process of the product.

The assistant answers in a Celery task. These servers start no worker, so the fixture has
the tasks run in the server process (as the embedded profile always does); the rest of the
production profile (PostgreSQL, the Redis channel layer) stays as it is.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Page, expect
from websockets.sync.client import connect

from tests.factories import PASSWORD, AgentFactory
from tests.servers import login_cookie
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SCRIPT_MESSAGE = "<script>alert(1)</script>"
IMAGE_MESSAGE = "<img src=x onerror=alert(1)>"


def open_chat(new_context, base: str, **context_options) -> Page:
    page = new_context(**context_options).new_page()
    page.goto(f"{base}/chat/")
    return page


def send(page: Page, body: str) -> None:
    page.get_by_label("Your message").fill(body)
    page.get_by_role("button", name="Send").click()


def bot_answer(page: Page | FrameLocator, text: str):
    # An answer from an article shows its source on a line of its own ("Source: …") rather
    # than as the '(From: "…")' its stored body ends with.
    source = re.fullmatch(r'\(From: "(.*)"\)', text)
    if source:
        return page.locator(".message--bot .message-source").filter(has_text=f"Source: {source[1]}")
    return page.locator(".message--bot .message-body").filter(has_text=text)


def next_of(ws, *types: str, timeout: float = 10) -> dict:
    while True:
        event = json.loads(ws.recv(timeout=timeout))
        if event["type"] in types:
            return event


def next_message_from(ws, sender: str) -> dict:
    while True:
        event = next_of(ws, "message")
        if event["sender"] == sender:
            return event


def agent_socket(base: str, email: str):
    cookie = login_cookie(base, email, PASSWORD)
    return connect(
        base.replace("http://", "ws://") + "/ws/agent/",
        additional_headers={"Origin": base, "Cookie": cookie},
    )


# --- The two scenarios -------------------------------------------------------------


def test_a_customer_gets_an_answer_then_reaches_the_queue_in_one_click(chat_server, new_context):
    page = open_chat(new_context, chat_server)

    send(page, "How do I reset my password?")
    expect(bot_answer(page, '(From: "Reset your password")')).to_be_visible()
    expect(page.locator("#chat-status")).to_have_text(
        "You're chatting with our assistant. A person is one click away."
    )

    # The header's button: the answer has one of its own (test_answer_feedback_browser.py).
    page.locator(".chat-header").get_by_role("button", name="Talk to a person").click()

    expect(page.locator("#queue-position")).to_have_text("1")
    expect(page.locator("#queue-wait")).not_to_be_empty()
    expect(page.locator("#queue")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.status == Ticket.Status.QUEUED
    assert ticket.escalation_reason == Ticket.EscalationReason.CUSTOMER_REQUEST
    assert ticket.topic == "accounts"


def test_markup_typed_into_the_chat_shows_as_text_for_customer_and_agent(chat_server, new_context):
    AgentFactory(user__email="ana@example.com", user__first_name="Ana")
    page = open_chat(new_context, chat_server)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Talk to a person").click()
    expect(page.locator("#queue-position")).to_have_text("1")

    send(page, SCRIPT_MESSAGE)
    page.get_by_label("Your message").fill(IMAGE_MESSAGE)
    page.get_by_label("Your message").press("Enter")  # Enter sends, as the hint says

    customer_bodies = page.locator(".message--customer .message-body")
    expect(customer_bodies).to_have_text([SCRIPT_MESSAGE, IMAGE_MESSAGE])
    expect(page.locator(".message--customer[data-seq]")).to_have_count(2)
    assert page.locator("#messages img").count() == 0
    assert page.locator("#messages script").count() == 0

    ticket = Ticket.objects.get()
    with agent_socket(chat_server, "ana@example.com") as agent:
        next_of(agent, "assigned")
        agent.send(json.dumps({"type": "claim", "ticket": ticket.pk}))
        transcript = next_of(agent, "claim.ok")["ticket"]["transcript"]
        agent.send(
            json.dumps(
                {"type": "message", "ticket": ticket.pk, "client_id": "a1", "body": IMAGE_MESSAGE}
            )
        )
        next_of(agent, "ack")

    agent_sees = [m["body"] for m in transcript if m["sender"] == "customer"]
    assert agent_sees == [SCRIPT_MESSAGE, IMAGE_MESSAGE]
    expect(page.locator(".message--agent .message-body")).to_have_text([IMAGE_MESSAGE])
    assert page.locator("img").count() == 0
    assert dialogs == []


# --- Staying connected ---------------------------------------------------------------------


def test_a_message_typed_offline_is_sent_once_when_the_connection_returns(chat_server, new_context):
    context = new_context()
    page = context.new_page()
    page.goto(f"{chat_server}/chat/")
    send(page, "How do I track my parcel?")
    expect(bot_answer(page, '(From: "Where is my order?")')).to_be_visible()
    connection = page.locator("#connection")
    expect(connection).to_have_text("Connected")

    context.set_offline(True)
    expect(connection).to_have_attribute("data-state", re.compile("offline|reconnecting"))
    page.get_by_label("Your message").fill("Are you still there?")
    page.get_by_label("Your message").press("Enter")
    pending = page.locator(".message--pending")
    expect(pending).to_contain_text("Waiting for the connection")
    page.wait_for_timeout(1500)
    assert not Message.objects.filter(body="Are you still there?").exists()

    context.set_offline(False)

    expect(connection).to_have_text("Connected", timeout=20_000)
    sent = page.locator(".message--customer").filter(has_text="Are you still there?")
    expect(sent).to_have_count(1)
    expect(sent).to_have_attribute("data-seq", re.compile(r"^\d+$"))
    expect(pending).to_have_count(0)
    ticket = Ticket.objects.get()
    assert Message.objects.filter(ticket=ticket, body="Are you still there?").count() == 1
    # The welcome, the answer about the parcel, and the answer to this one.
    expect(page.locator(".message--bot")).to_have_count(3)

    page.reload()  # the same conversation continues, every message once, in order

    stored = Message.objects.filter(ticket=ticket).count()
    expect(page.locator("#messages > li")).to_have_count(stored)
    seqs = page.locator("#messages > li").evaluate_all("items => items.map(i => i.dataset.seq)")
    assert seqs == [str(seq) for seq in range(1, stored + 1)]
    expect(page.locator("#about-you")).to_be_hidden()


# --- With an agent, and after --------------------------------------------------------------


def test_the_customer_sees_the_agent_join_type_and_reply_then_rates_and_downloads_the_chat(
    chat_server, new_context
):
    AgentFactory(user__email="ana@example.com", user__first_name="Ana")
    page = open_chat(new_context, chat_server)
    page.get_by_label("Your name").fill("Sam Doe")
    page.get_by_role("button", name="Talk to a person").click()
    expect(page.locator("#queue-position")).to_have_text("1")
    ticket = Ticket.objects.get()
    assert ticket.customer_name == "Sam Doe"

    with agent_socket(chat_server, "ana@example.com") as agent:
        queue = next_of(agent, "queue")
        assert [card["id"] for card in queue["tickets"]] == [ticket.pk]
        assert queue["tickets"][0]["customer_first_name"] == "Sam"
        agent.send(json.dumps({"type": "claim", "ticket": ticket.pk}))
        next_of(agent, "claim.ok")
        expect(page.locator("#chat-status")).to_have_text("Ana is chatting with you.")
        expect(page.locator("#queue")).to_be_hidden()

        agent.send(json.dumps({"type": "typing", "ticket": ticket.pk}))
        expect(page.locator("#typing")).to_have_text("Ana is typing…")
        agent.send(
            json.dumps(
                {"type": "message", "ticket": ticket.pk, "client_id": "a1", "body": "Hi Sam!"}
            )
        )
        reply = page.locator(".message--agent")
        expect(reply.locator(".message-sender")).to_have_text("Ana:")
        expect(reply.locator(".message-body")).to_have_text("Hi Sam!")
        expect(page.locator("#typing")).to_be_hidden()

        send(page, "Thanks, that's all")
        assert next_message_from(agent, "customer")["body"] == "Thanks, that's all"
        agent.send(json.dumps({"type": "resolve", "ticket": ticket.pk}))
        next_of(agent, "resolve.ok")

    expect(page.get_by_role("heading", name="This conversation is resolved")).to_be_focused()
    # Within the reopen window, writing again reopens it (test_confirm_browser.py).
    expect(page.get_by_role("heading", name="Did this solve your problem?")).to_be_visible()
    page.get_by_label("5").check()
    page.get_by_label("Comment").fill("Quick and kind")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#rating-done")).to_have_text(
        "Thank you for rating this conversation 5 out of 5."
    )
    ticket.refresh_from_db()
    assert (ticket.rating, ticket.rating_comment) == (5, "Quick and kind")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download transcript").click()
    transcript = Path(download.value.path()).read_text(encoding="utf-8")
    assert "] Ana:\n  Hi Sam!" in transcript
    assert "] You:\n  Thanks, that's all" in transcript

    page.get_by_role("button", name="Start a new conversation").click()
    expect(page.locator("#messages > li")).to_have_count(0)
    expect(page.get_by_label("Your message")).to_be_focused()


# --- Anywhere: phones and other sites ------------------------------------------------------


def test_on_a_phone_the_chat_fits_the_screen_and_a_person_is_one_tap_away(chat_server, new_context):
    page = open_chat(
        new_context,
        chat_server,
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
    )

    talk = page.get_by_role("button", name="Talk to a person")
    expect(talk).to_be_in_viewport()
    expect(page.get_by_label("Your message")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    talk.tap()

    expect(page.locator("#queue-position")).to_have_text("1")
    expect(talk).to_be_in_viewport()


def test_the_chat_is_reachable_by_keyboard_alone(chat_server, new_context):
    page = open_chat(new_context, chat_server)

    focused = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))

    assert "talk-to-person" in focused
    assert "chat-message" in focused
    page.locator("#talk-to-person").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#queue-position")).to_have_text("1")


@pytest.fixture
def other_site(chat_server) -> Iterator[str]:
    """A company's web page with the one-line snippet, on a site of its own.

    Served from 127.0.0.1 but opened as http://localhost:<port>, a different site from the
    chat's 127.0.0.1: cross-site framing is tested, and both stay in the loopback address
    space, which Chromium requires before a page may load a script from loopback.
    """
    page = (
        "<!doctype html><title>Acme Shop</title><h1>Acme Shop</h1>"
        f'<script src="{chat_server}/static/tickets/embed.js" defer></script>'
    ).encode()

    class ShopPage(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ShopPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_one_script_tag_opens_the_chat_in_a_corner_of_another_site(
    chat_server, other_site, new_context
):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(other_site)

    launcher = page.get_by_role("button", name="Chat with us")
    launcher.click()

    expect(page.get_by_role("button", name="Close chat")).to_have_attribute("aria-expanded", "true")
    chat = page.frame_locator('iframe[title="Customer support chat"]')
    expect(chat.get_by_role("button", name="Talk to a person")).to_be_visible()
    chat.get_by_label("Your message").fill("How do I track my parcel?")
    chat.get_by_role("button", name="Send").click()
    expect(bot_answer(chat, '(From: "Where is my order?")')).to_be_visible()
    frame_box = page.locator("iframe").bounding_box()
    assert frame_box["x"] + frame_box["width"] > 1280 - 40  # the right-hand corner
    assert frame_box["y"] + frame_box["height"] > 800 - 120  # near the bottom
    expect(chat.locator(".site-header")).to_have_count(0)

    page.get_by_role("button", name="Close chat").click()
    expect(page.locator("iframe")).to_be_hidden()
    expect(page.get_by_role("button", name="Chat with us")).to_be_focused()


# --- Outages -------------------------------------------------------------------------------


def test_talk_to_a_person_refused_during_an_outage_is_retried_by_the_page(chat_server, new_context):
    page = new_context().new_page()
    refused = []

    def first_request_refused(route) -> None:
        # Between the page and the server: the page's first "talk to a person" is answered
        # as the server answers it while the database is unreachable.
        server = route.connect_to_server()

        def from_page(message) -> None:
            if not refused and '"request_human"' in str(message):
                refused.append(message)
                route.send(
                    json.dumps(
                        {
                            "type": "error",
                            "code": "unavailable",
                            "detail": "We could not do that just now. Nothing was changed.",
                            "frame": "request_human",
                            "retry": True,
                        }
                    )
                )
                return
            server.send(message)

        route.on_message(from_page)

    page.route_web_socket(re.compile(r"/ws/chat/"), first_request_refused)
    page.goto(f"{chat_server}/chat/")
    send(page, "Hello")
    expect(bot_answer(page, "")).not_to_have_count(0)

    page.get_by_role("button", name="Talk to a person").click()

    expect(page.locator("#queue")).to_be_visible()
    assert refused, "the page's first request never reached the stand-in outage"
    assert Ticket.objects.get().status == Ticket.Status.QUEUED
