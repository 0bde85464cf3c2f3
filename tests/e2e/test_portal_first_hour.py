"""The first hour in the portal and the chat, polished (issue #19), in real headless Chromium:
canned replies found with `/`, queue cards that read at a glance, a release that asks in the
page and leaves nothing that looks usable behind, and a customer page that says what "Talk to
a person" does after a resolve."""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings
from playwright.sync_api import Page, expect

from tests.e2e.test_portal_round_trip import go_online, log_in, queue_card
from tests.factories import AgentFactory, QueuedTicketFactory
from tests.servers import running_server
from tickets.demo_canned_replies import DEMO_CANNED_REPLIES
from tickets.models import CannedReply, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

CANNED = {title: body for title, language, body in DEMO_CANNED_REPLIES if language == "en"}

HANDOVER_SUMMARY = "\n".join(
    [
        "Topic: refunds",
        "Why a person: the customer asked for a person",
        "Customer said:",
        '- "I returned my shoes two weeks ago and still have no refund"',
        '- "talk to a person please"',
        'Assistant last answered: "Refunds are made by the store."',
        'Related article: "Refunds for purchases paid with Acme Pay"',
    ]
)


@pytest.fixture
def portal_server(transactional_db, settings):
    # Users made in the test log in on the server, which hashes as production does.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    with running_server(CELERY_TASK_ALWAYS_EAGER="1", ROUTING_MODE="pick") as base:
        yield base


def claimed_chat(page: Page, ticket: Ticket):
    queue_card(page, ticket.pk).get_by_role("button", name=re.compile("^Claim")).click()
    chat = page.locator(f'.chat-panel[data-ticket="{ticket.pk}"]')
    expect(chat).to_be_visible()
    return chat


def test_canned_replies_are_visible_and_a_slash_in_the_message_box_finds_one(
    portal_server, new_context
):
    for title, language, body in DEMO_CANNED_REPLIES:
        CannedReply.objects.create(title=title, language=language, body=body)
    AgentFactory(user__email="ana@example.com")
    ticket = QueuedTicketFactory()
    ana = log_in(new_context(), portal_server, "ana@example.com")
    go_online(ana)
    chat = claimed_chat(ana, ticket)
    box = chat.get_by_label("Message to the customer")
    replies = chat.get_by_role("listbox", name="Canned replies")

    # Visible without hunting, with the shortcut said next to it.
    expect(chat.get_by_role("button", name="Canned replies")).to_be_visible()
    expect(chat.locator(".composer-hint")).to_contain_text("type / in the message box")

    # "/" and a word: the list, filtered; Enter puts the reply in the box and sends nothing.
    box.press_sequentially("/refund")
    expect(replies).to_be_visible()
    expect(replies.get_by_role("option")).to_have_count(1)
    expect(replies.get_by_role("option")).to_contain_text("Refund timing")
    box.press("Enter")
    expect(replies).to_be_hidden()
    expect(box).to_have_value(CANNED["Refund timing"])
    expect(chat.locator(".message.from-agent")).to_have_count(0)

    # Escape closes the list and leaves the slash as typed.
    box.fill("")
    box.press_sequentially("Costs: /")
    expect(replies).to_be_visible()
    box.press("Escape")
    expect(replies).to_be_hidden()
    expect(box).to_have_value("Costs: /")

    # The button opens the whole list at the caret; arrows move, Enter chooses.
    box.fill("Thanks. ")
    chat.get_by_role("button", name="Canned replies").click()
    expect(replies.get_by_role("option")).to_have_count(len(CANNED))
    expect(box).to_be_focused()
    box.press("ArrowDown")
    box.press("ArrowDown")
    expected = sorted(CANNED)[2]
    expect(replies.get_by_role("option", selected=True)).to_contain_text(expected)
    box.press("Enter")
    expect(box).to_have_value(f"Thanks. {CANNED[expected]}")


def test_a_queue_card_shows_one_line_of_what_the_customer_wants_and_the_rest_on_demand(
    portal_server, new_context
):
    AgentFactory(user__email="ana@example.com")
    ticket = QueuedTicketFactory(
        topic="refunds", priority=Ticket.Priority.HIGH, summary=HANDOVER_SUMMARY
    )
    ana = log_in(new_context(), portal_server, "ana@example.com")
    go_online(ana)
    card = queue_card(ana, ticket.pk)

    expect(card.locator(".topic")).to_contain_text("refunds")
    expect(card.locator(".waiting")).to_contain_text(re.compile(r"^Waiting \d+"))
    expect(card.locator(".language")).to_have_text("en")
    expect(card.locator(".priority")).to_have_text("high")
    expect(card.locator(".ask")).to_have_text(
        "I returned my shoes two weeks ago and still have no refund"
    )
    full = card.get_by_text("Assistant last answered", exact=False)
    expect(full).to_be_hidden()

    card.get_by_text("Full summary").click()
    expect(full).to_be_visible()
    expect(card.locator(".summary")).to_have_text(HANDOVER_SUMMARY)
